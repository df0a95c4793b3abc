"""Keep secrets out of every message: requests are described as `METHOD url`, redacted.

Two rules work together. By name: the value of any query parameter whose name looks like a
credential (`token`, `api_key`, `X-Signature`...) is masked in every URL a message shows. By
value: every secret the client was told about (config secrets, auth tokens) is masked wherever
it appears, echoed response bodies included.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable
from urllib.parse import quote, quote_plus, unquote_plus

MASK = "***"
# Query parameters stripped on a cross-origin redirect hop whatever the auth type. Deliberately
# narrower than the name rule below: a redirect to a presigned URL keeps its `signature`.
SENSITIVE_QUERY_PARAMS = frozenset({"api_key", "apikey", "api-key", "access_token", "client_secret"})
# Secrets shorter than this are masked only as a whole query/header value: as substrings they
# would garble ordinary words in messages.
MIN_SUBSTRING_SECRET = 4

_SENSITIVE_WORDS = re.compile(r"key|token|secret|pass|auth|sig|session|cookie", re.IGNORECASE)
# Ordinary names that contain a sensitive word by accident (`author`, `keyword`), removed
# before the check; `authorization` and `author_token` still count.
_INNOCENT_WORDS = re.compile(r"author(?!i[sz]ation)|keywords?", re.IGNORECASE)
# `name=value` inside a URL (or any text): a query parameter with its value.
_QUERY_PAIR = re.compile(r"([?&;])([^=&#\s?;]+)=([^&#\s;\"'<>]*)")
_USERINFO = re.compile(r"(://[^/@:\s]*:)[^/@\s]*@")


def is_sensitive_name(name: str) -> bool:
    """Header or query names that usually carry a secret: Authorization, Cookie, X-API-Key, token, sig..."""
    return bool(_SENSITIVE_WORDS.search(_INNOCENT_WORDS.sub("", name)))


def secret_parts(value: str) -> list[str]:
    """A credential value and, for `Scheme credential` values (`Token abc`), the credential alone.

    A server that echoes the request often shows only the token, without its scheme word.
    """
    value = value.strip()
    if not value:
        return []
    parts = [value]
    scheme, _, credential = value.partition(" ")
    if credential.strip() and scheme.isalpha():
        parts.append(credential.strip())
    return parts


class Redactor:
    """Masks known secret values and the values of credential-named query params with `***`.

    `dynamic_secrets` is consulted at redaction time, so secrets that appear later (a freshly
    fetched OAuth2 token) are hidden too. Redaction only runs on the error and logging paths.
    """

    def __init__(self, secrets: Iterable[str] = (), query_params: Iterable[str] = (),
                 dynamic_secrets: Callable[[], Iterable[str]] | None = None):
        self._secrets = tuple(s for s in secrets if s)
        self._dynamic = dynamic_secrets
        self._extra_names = frozenset(p.lower() for p in query_params if p)

    def secrets(self, extra: Iterable[str] = ()) -> list[str]:
        """Every known secret, longest first, so a secret that contains another is replaced whole."""
        found = [*self._secrets, *(s for s in extra if s)]
        if self._dynamic is not None:
            found.extend(s for s in self._dynamic() if s)
        return sorted(set(found), key=len, reverse=True)

    def redact(self, text: str, extra_secrets: Iterable[str] = ()) -> str:
        """`text` with every secret masked; `extra_secrets` count for this call only."""
        secrets = self.secrets(extra_secrets)
        text = _QUERY_PAIR.sub(lambda m: self._mask_pair(m, secrets), text)
        for secret in secrets:
            if len(secret) < MIN_SUBSTRING_SECRET:
                continue
            for form in _encoded_forms(secret):
                text = text.replace(form, MASK)
        short = [s for s in secrets if len(s) < MIN_SUBSTRING_SECRET]
        if short:
            text = _mask_whole_values(text, short)
        return _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)

    def describe(self, method: str, url: str, extra_secrets: Iterable[str] = ()) -> str:
        return self.redact(f"{method.upper()} {url}", extra_secrets)

    def _mask_pair(self, match: re.Match[str], secrets: list[str]) -> str:
        separator, name, value = match.groups()
        decoded_name = unquote_plus(name)
        sensitive = is_sensitive_name(decoded_name) or decoded_name.lower() in self._extra_names
        if value and (sensitive or unquote_plus(value) in secrets or value in secrets):
            return f"{separator}{name}={MASK}"
        return match.group(0)


def _encoded_forms(secret: str) -> list[str]:
    # A secret with reserved characters shows up percent-encoded in URLs.
    return list(dict.fromkeys((secret, quote(secret, safe=""), quote_plus(secret, safe=""))))


def _mask_whole_values(text: str, short_secrets: list[str]) -> str:
    # `name=ab` or `Name: ab`, ending at a delimiter: the whole value is the secret.
    alternatives = "|".join(re.escape(s) for s in short_secrets)
    pattern = re.compile(r"((?:=|:\s?)[\"']?)(?:" + alternatives + r")(?=[\"']?(?:[&#\s,;}\]]|$))")
    return pattern.sub(lambda m: m.group(1) + MASK, text)
