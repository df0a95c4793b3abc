"""Alembic migrations of the service's state, one history for SQLite and PostgreSQL.

`upgrade(engine)` brings any database to the newest schema: a new one from nothing, and a data
directory created before migrations existed (its tables made by `create_all`, no version
recorded) is stamped at the baseline first, so it upgrades in place.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

BASELINE = "0001"
_HERE = Path(__file__).parent


def _config(connection):  # noqa: ANN001 - alembic's Config, imported lazily
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        config = _config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "datasets" in tables:
            command.stamp(config, BASELINE)  # made before migrations: its tables are the baseline
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
