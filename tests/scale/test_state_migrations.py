"""The service's state through Alembic migrations on SQLite and on PostgreSQL: a new database
gets the newest schema, one made before migrations upgrades in place keeping its rows, and the
models and the migrations never drift apart."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from restsync.service.db import Base, open_database
from restsync.service.migrations import BASELINE, current, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state.db"
    return request.getfixturevalue("postgres_url")


def _head() -> str:
    from alembic.script import ScriptDirectory

    from restsync.service.migrations import _config

    return ScriptDirectory.from_config(_config(None)).get_current_head()


def test_a_new_database_gets_the_newest_schema_matching_the_models(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine, _ = open_database(database_url)
    assert current(engine) == _head()
    with engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []
    engine.dispose()


def test_a_database_made_before_migrations_upgrades_in_place(database_url):
    engine = create_engine(database_url)
    upgrade(engine, BASELINE)  # the tables as the first release's create_all left them...
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))  # ...with no version recorded
        connection.execute(text(
            "INSERT INTO datasets (id, name, description, directory, create_time, update_time) "
            "VALUES ('d1', 'docs', '', 'kb/d1', 1.0, 1.0)"
        ))
    engine.dispose()

    engine, sessions = open_database(database_url)
    assert current(engine) == _head()
    columns = {column["name"] for column in inspect(engine).get_columns("runs")}
    assert {"worker", "heartbeat_at"} <= columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM datasets")).scalars().all() == ["docs"]
    engine.dispose()
    engine, _ = open_database(database_url)  # opening again changes nothing
    assert current(engine) == _head()
    engine.dispose()
