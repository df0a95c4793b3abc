"""Secrets an API echoes into item fields are masked before a document exists.

An API may echo the request into its items (a debug field, a signed link, a webhook URL with
the key in it). The source config already knows its secrets (`SourceConfig.secret_values()`
plus credentials given at run time); whatever the mapper takes from an item passes through
here, so documents, chunks, the keyword index, `fetch` output and search hits never hold them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from restsync.http.redact import MASK, MIN_SUBSTRING_SECRET


class SecretMasker:
    """Masks each secret wherever it appears in a text, in the forms a response may carry it
    (raw, percent-encoded, JSON- or HTML-escaped). A secret shorter than MIN_SUBSTRING_SECRET
    is masked only as a whole value: as a substring it would garble ordinary words."""

    def __init__(self, secrets: Iterable[str]):
        values = {secret for secret in secrets if isinstance(secret, str) and secret.strip()}
        forms: list[str] = []
        for secret in sorted(values, key=len, reverse=True):  # a secret holding another goes first
            if len(secret) >= MIN_SUBSTRING_SECRET:
                forms += _forms_of(secret)
        self._forms = [form for form in dict.fromkeys(forms) if len(form) >= MIN_SUBSTRING_SECRET]
        self._shortest = min((len(form) for form in self._forms), default=0)
        self._whole = frozenset(values) | frozenset(value.strip() for value in values)
        # Only a secret that reads as a number can come back as one (a PIN, a numeric key).
        self._numeric = any(value.strip().lstrip("-").replace(".", "", 1).isdigit() for value in values)

    def __bool__(self) -> bool:
        return bool(self._whole)

    def text(self, text: str) -> str:
        if text in self._whole:
            return MASK
        if self._forms and len(text) >= self._shortest:
            for form in self._forms:
                if form in text:
                    text = text.replace(form, MASK)
        return text

    def value(self, value: Any) -> Any:
        """A JSON value with every string, object key and number that holds a secret masked."""
        if type(value) is str:
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key) if type(key) is str else key: self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        if self._numeric and isinstance(value, (int, float)) and not isinstance(value, bool) and str(value) in self._whole:
            return MASK
        return value

    def fields(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """Metadata with its values masked; its top-level keys are config field paths, not item data."""
        return {key: self.value(value) for key, value in metadata.items()}


def document_secrets(config: Any, extra: Iterable[str] = ()) -> list[str]:
    """What to mask in documents: every secret the config knows (`secret_values()`) and `extra`
    (credentials given at run time), except a `${ENV}` value that only says where the API lives
    (a base URL or host kept out of the file): links are built from it, and it is no credential."""
    secret_values = getattr(config, "secret_values", None)
    known = list(secret_values()) if callable(secret_values) else []
    location = _api_location(getattr(config, "url", None) or "")
    credentials = {value for value in (getattr(config, "credentials", None) or {}).values() if isinstance(value, str)}
    env_values = set(getattr(config, "env_values", ()) or ())
    kept = [
        value for value in known
        if value in credentials or value not in env_values or not _is_location(value, location)
    ]
    return [*kept, *(value for value in extra if isinstance(value, str) and value)]


def _api_location(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "", ""
    host = parts.hostname or ""
    return url, f"{host}:{port}" if port else host


def _is_location(value: str, location: tuple[str, str]) -> bool:
    url, host = location
    if not value or "@" in value:  # user info holds credentials
        return False
    return (("://" in value and url.startswith(value)) or value in (host, host.split(":")[0])) and bool(url)


def _forms_of(secret: str) -> list[str]:
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        html.escape(secret),
    ]
