"""A generated config checked against the live API with `check`'s own machinery, when it can be: a
description says what an API should answer, one real page says what it does."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import httpx

from restsync.clock import Clock
from restsync.diagnostics import CheckReport, run_check
from restsync.errors import BlockedAddressError, ConfigError, RestSyncError
from restsync.openapi.infer import FILL_ME

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class LiveCheck:
    # "ok", "mismatch" (the API answers otherwise than described), "failed" (refused credentials, errors),
    # "unreachable" (no answer at all: nothing to compare) or "skipped" (secrets or values missing)
    outcome: str
    lines: list[str] = field(default_factory=list)  # what the check confirmed (or why it did not run)
    problems: list[str] = field(default_factory=list)  # mismatches and failures, with check's hints
    report: CheckReport | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("ok", "skipped", "unreachable")


def check_live(config: Mapping[str, Any], *, allow_private: bool = False, env: Mapping[str, str] | None = None,
               credentials: Mapping[str, str] | None = None, transport: httpx.BaseTransport | None = None,
               clock: Clock | None = None) -> LiveCheck:
    """Run `check` on `config` (its `${ENV}` placeholders read from `env`, or from `credentials` given
    on the command line), and say what the live page confirms and what it contradicts."""
    from restsync.config import load_config
    from restsync.connector import RestApiConnector

    text = json.dumps(config)
    unset = [key for key in ("url", "query_params") if FILL_ME in json.dumps(config.get(key))]
    if unset:
        return LiveCheck("skipped", ["not checked against the live API: fill in the CHANGE_ME values first, "
                                     "then run `restsync check`"])
    env = dict(os.environ if env is None else env)
    for key, value in (config.get("credentials") or {}).items():
        match = _ENV.fullmatch(str(value))
        if match and match.group(1) not in env and credentials and credentials.get(key) is not None:
            env[match.group(1)] = credentials[key]
    missing = sorted({name for name in _ENV.findall(text) if name not in env})
    if missing:
        return LiveCheck("skipped", [f"not checked against the live API: export {', '.join(missing)} and run "
                                     "`restsync check` (or pass the credentials with -H / -u)"])
    try:
        loaded = load_config(dict(config), env=env)
        connector = RestApiConnector(loaded, allow_private=allow_private, transport=transport, clock=clock)
    except BlockedAddressError:
        return LiveCheck("skipped", ["not checked against the live API: its address is private or loopback "
                                     "(pass --allow-private to check it)"])
    except ConfigError as exc:
        return LiveCheck("skipped", [f"not checked against the live API: {exc}"])
    try:
        report = run_check(connector)
    except RestSyncError as exc:  # run_check collects errors; this is a last line of defence
        return LiveCheck("failed", [f"live check failed: {exc}"])
    finally:
        connector.close()
    return _judge(report)


def _judge(report: CheckReport) -> LiveCheck:
    request = f"{report.request} -> HTTP {report.status}" if report.status else (report.request or "the request")
    if report.error_kind == "source" and not report.status and any(
            "connection error" in problem or "cannot resolve host" in problem for problem in report.problems):
        return LiveCheck("unreachable", [f"not checked: the live API did not answer ({problem})"
                                         for problem in report.problems], report=report)
    if report.failed_step == "request" or report.error_kind in ("auth", "source") and not report.items_found:
        problems = [f"live check: {request}: {problem}" for problem in report.problems] + \
                   [f"live check hint: {hint}" for hint in report.hints]
        return LiveCheck("failed", problems=problems, report=report)
    if report.failed_step == "items":
        problems = [f"live check MISMATCH: {request}: {problem}" for problem in report.problems] + \
                   [f"live check hint: {hint}" for hint in report.hints]
        return LiveCheck("mismatch", problems=problems, report=report)
    if not report.ok:
        return LiveCheck("failed", problems=[f"live check: {problem}" for problem in report.problems], report=report)
    missing = [f for f in report.fields if f.present == 0]
    lines = [f"checked against the live API: {request}, {report.items_found} items at {report.items_path or '$'}"
             f", pagination {report.pagination}" + ("" if report.has_next is None else
                                                     f" (more pages: {'yes' if report.has_next else 'no'})")]
    found = [f"{f.role} '{f.path}' {f.present}/{f.total}" for f in report.fields if f.present]
    if found:
        lines.append("fields found on page 1: " + ", ".join(found))
    problems = [f"live check MISMATCH: {f.role} field '{f.path}' is in none of the {f.total} items on page 1"
                for f in missing]
    problems += [f"live check warning: {warning}" for warning in report.warnings
                 if "is in none of the" not in warning]
    return LiveCheck("mismatch" if missing else "ok", lines, problems, report)
