"""`check` and `preview`: what page 1 of a source says about its config, as a report a person or a
script can read. Problems are collected, not raised, so one run shows everything it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from restsync.document import Document
from restsync.errors import AuthError, BlockedAddressError, ConfigError, CredentialError, RestSyncError

MAX_KEYS_IN_HINT = 8
# What parse_timestamp reads; no config key widens it (poll_time_format only formats the window sent out).
READABLE_TIMESTAMPS = "ISO 8601, 'YYYY-MM-DD HH:MM:SS', RFC 2822 or epoch seconds/milliseconds"


@dataclass
class FieldPresence:
    """How many items on page 1 carry a configured field (a non-empty value at its path)."""

    role: str  # id, title, content, metadata, timestamp, link
    path: str
    present: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "path": self.path, "present": self.present, "total": self.total}


@dataclass
class CheckReport:
    config_warnings: list[str] = field(default_factory=list)
    auth: str = "none"
    request: str | None = None
    status: int | None = None
    elapsed_s: float | None = None
    items_found: int = 0
    items_path: str | None = None
    dropped_items: int = 0
    pagination: str | None = None
    has_next: bool | None = None
    notes: list[str] = field(default_factory=list)  # how a parent/child or sliced source is walked
    fields: list[FieldPresence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    error_kind: str | None = None  # "config" | "auth" | "source" when a request or the config failed
    # The step that failed: "config" (loading or validation), "credentials", "address" (refused by
    # the SSRF guard), "request" (no usable answer) or "items" (page 1 holds none); None when ok.
    failed_step: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_status(self) -> int:
        if self.ok:
            return 0
        return 2 if self.error_kind == "config" else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config_warnings": self.config_warnings,
            "auth": self.auth,
            "request": self.request,
            "status": self.status,
            "elapsed_s": None if self.elapsed_s is None else round(self.elapsed_s, 3),
            "items_found": self.items_found,
            "items_path": self.items_path,
            "dropped_items": self.dropped_items,
            "pagination": self.pagination,
            "has_next": self.has_next,
            "notes": self.notes,
            "fields": [presence.to_dict() for presence in self.fields],
            "warnings": self.warnings,
            "problems": self.problems,
            "hints": self.hints,
            "error_kind": self.error_kind,
            "failed_step": self.failed_step,
        }


@dataclass
class PreviewReport:
    check: CheckReport
    documents: list[Document] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return self.check.exit_status

    def to_dict(self) -> dict[str, Any]:
        return {**self.check.to_dict(), "documents": [doc.to_dict() for doc in self.documents]}


def check_failed(exc: RestSyncError, config: Any | None = None) -> CheckReport:
    """The report for a config that could not even be loaded or a connector that could not be built."""
    report = CheckReport(config_warnings=list(getattr(config, "warnings", []) or []))
    if config is not None:
        report.auth = getattr(config, "auth_type", "none")
    _record_error(report, exc)
    method = getattr(config, "method", None)
    if method and report.request and not report.request.startswith(f"{method} "):
        report.request = f"{method} {report.request}"  # a refused URL still reads as the request it was
    return report


def run_check(connector: Any) -> CheckReport:
    return _check(connector)[0]


def run_preview(connector: Any, limit: int = 5) -> PreviewReport:
    report, probe = _check(connector)
    if probe is None:
        return PreviewReport(report)
    documents = list(probe.documents)
    report.warnings.extend(_document_warnings(connector.config, probe.items.items, documents))
    return PreviewReport(report, documents[: max(limit, 0)])


def _check(connector: Any) -> tuple[CheckReport, Any]:
    config = connector.config
    report = CheckReport(config_warnings=list(config.warnings), auth=config.auth_type)
    try:
        probe = connector.probe()
    except RestSyncError as exc:
        _record_error(report, exc)
        return report, None
    selection = probe.items
    report.request, report.status, report.elapsed_s = probe.request, probe.status, probe.elapsed_s
    if config.auth_type != "none":
        report.auth = f"{config.auth_type}: accepted (HTTP {probe.status})"
    report.items_found = len(selection.items)
    report.items_path = selection.path
    report.dropped_items = selection.dropped
    report.pagination = probe.pagination
    report.has_next = probe.has_next
    report.notes = list(getattr(probe, "notes", None) or [])
    report.warnings.extend(w for w in probe.warnings if w not in report.config_warnings)
    repeated = getattr(probe.response, "duplicate_keys", ())
    if repeated:
        shown = ", ".join(repr(key) for key in repeated[:5]) + (", ..." if len(repeated) > 5 else "")
        report.warnings.append(f"page 1 repeats keys within one JSON object ({shown}): only the last value "
                               "of each is kept, as every JSON reader does; check which one the API means")
    if not selection.items:
        if _is_empty_list(selection):
            # The path is right and the list is there: the source (or this query) has nothing yet.
            report.warnings.append(f"{selection.path} is empty on page 1: no items to check the fields "
                                   "against (the source may have none yet, or the query filters them all out)")
            return report, probe
        report.problems.append("page 1 has no items")
        report.hints.append(_items_hint(config.items_path, probe.response.data))
        report.failed_step = "items"
        return report, probe
    report.fields = field_presence(config, selection.items)
    for presence in report.fields:
        if presence.present == 0:
            report.warnings.append(
                f"{presence.role} field '{presence.path}' is in none of the {presence.total} items on page 1"
            )
    return report, probe


def configured_fields(config: Any) -> list[tuple[str, str]]:
    """(role, path) for every field path the config names, in the order a person reads them."""
    roles: list[tuple[str, str]] = []
    singles = [("id", config.id_field), ("title", config.title_field)]
    roles += [(role, path) for role, path in singles if path]
    roles += [("content", path) for path in config.content_fields]
    roles += [("metadata", path) for path in config.metadata_fields]
    roles += [(role, path) for role, path in [("timestamp", config.poll_timestamp_field),
                                              ("link", config.link_field)] if path]
    return roles


def field_presence(config: Any, items: list[dict]) -> list[FieldPresence]:
    from restsync.extraction.fieldpath import get_field

    return [
        FieldPresence(role, path, sum(1 for item in items if _has_value(get_field(item, path))), len(items))
        for role, path in configured_fields(config)
    ]


def _has_value(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _document_warnings(config: Any, items: list[dict], documents: list[Document]) -> list[str]:
    from restsync.extraction.fieldpath import get_field

    warnings: list[str] = []
    total = len(documents)
    if not config.id_field:
        warnings.append("no id_field: ids are hashes of each item's content, so an edited item gets a new id "
                        "(set id_field to keep ids stable)")
    empty = sum(1 for doc in documents if not doc.content.strip())
    if empty:
        warnings.append(f"{empty} of {total} documents have empty content (check content_fields)")
    untitled = sum(1 for doc in documents if not doc.semantic_identifier.strip())
    if untitled:
        warnings.append(f"{untitled} of {total} documents have no title (check title_field)")
    if config.poll_timestamp_field and len(items) == total:
        unparsed = [get_field(item, config.poll_timestamp_field) for item, doc in zip(items, documents)
                    if doc.doc_updated_at is None and _has_value(get_field(item, config.poll_timestamp_field))]
        if unparsed:
            warnings.append(f"{len(unparsed)} of {total} timestamps in '{config.poll_timestamp_field}' could not "
                            f"be parsed (e.g. {unparsed[0]!r}), so those documents have no doc_updated_at and "
                            f"every time window keeps them; restsync reads {READABLE_TIMESTAMPS}: point "
                            "poll_timestamp_field at a field in one of those forms (poll_time_format only "
                            "formats the {poll_start}/{poll_end} values sent to the API)")
    if (config.link_field or config.link_template) and any(doc.link is None for doc in documents):
        missing = sum(1 for doc in documents if doc.link is None)
        warnings.append(f"{missing} of {total} documents have no link")
    return warnings


def _record_error(report: CheckReport, exc: RestSyncError) -> None:
    message = " ".join(str(exc).split())
    report.problems.append(message)
    report.request = getattr(exc, "request", None) or report.request
    report.status = getattr(exc, "status", None) or report.status
    if isinstance(exc, ConfigError):
        report.error_kind = "config"
        if isinstance(exc, BlockedAddressError):
            report.failed_step = "address"
        elif isinstance(exc, CredentialError):
            report.failed_step = "credentials"
            report.hints.append("provide the secret (--credentials FILE, `credentials:` or ${ENV} placeholders)")
        else:
            report.failed_step = "config"
    elif isinstance(exc, AuthError):
        report.error_kind = "auth"
        report.failed_step = "request"
        report.auth = f"{report.auth}: rejected" + (f" (HTTP {exc.status})" if exc.status else "")
        report.hints.append("check the credentials (--credentials FILE or ${ENV} placeholders) and auth_type")
    else:
        report.error_kind = "source"
        report.failed_step = "request"
        if "cannot resolve host" in message:
            report.hints.append("check the host name in url, and that this machine can resolve it (DNS)")


def _is_empty_list(selection: Any) -> bool:
    """True when the items path (given or detected) found a list and that list is simply empty."""
    matched = getattr(selection, "matched", True)  # absent on older selections: judge by the path
    return bool(matched) and selection.path is not None and not selection.items and not selection.dropped


def _items_hint(items_path: str | None, data: Any) -> str:
    lists = list_paths(data)
    found = (f"lists in the response: {', '.join(lists[:MAX_KEYS_IN_HINT])}" if lists
             else "the response holds no non-empty list")
    if items_path:
        return f"items_path {items_path} matched no objects; {found}"
    if isinstance(data, dict) and data:
        keys = ", ".join(list(data)[:MAX_KEYS_IN_HINT])
        return f"set items_path to the JSONPath of the items array (top-level keys: {keys}; {found})"
    return f"set items_path to the JSONPath of the items array ({found})"


def list_paths(data: Any, prefix: str = "$", depth: int = 3) -> list[str]:
    """JSONPaths of the non-empty lists inside a response, shallowest first (for hints)."""
    found: list[str] = []
    if isinstance(data, list):
        return [prefix] if data else []
    if not isinstance(data, dict) or depth == 0:
        return found
    nested: list[str] = []
    for key, value in data.items():
        path = f"{prefix}.{key}" if str(key).isidentifier() else f"{prefix}['{key}']"
        if isinstance(value, list) and value:
            found.append(path)
        elif isinstance(value, dict):
            nested += list_paths(value, path, depth - 1)
    return found + nested
