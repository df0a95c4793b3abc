"""Keep secrets out of every message: requests are described as `METHOD url`, redacted."""

from __future__ import annotations

import re
from typing import Callable, Iterable

MASK = "***"
# Query parameters that carry credentials by convention, masked even when not configured as such.
SENSITIVE_QUERY_PARAMS = frozenset({"api_key", "apikey", "api-key", "access_token", "client_secret"})


class Redactor:
    """Replaces known secret values and credential query params with `***`.

    `dynamic_secrets` is consulted at redaction time, so secrets that appear later
    (a freshly fetched OAuth2 token) are hidden too. Redaction only runs on the error path.
    """

    def __init__(self, secrets: Iterable[str] = (), query_params: Iterable[str] = (),
                 dynamic_secrets: Callable[[], Iterable[str]] | None = None):
        self._secrets = tuple(s for s in secrets if s)
        self._dynamic = dynamic_secrets
        names = sorted({p.lower() for p in (*SENSITIVE_QUERY_PARAMS, *query_params) if p}, key=len, reverse=True)
        self._param_pattern = re.compile(
            r"(?i)([?&](?:" + "|".join(re.escape(n) for n in names) + r")=)[^&#\s]*"
        )
        self._userinfo_pattern = re.compile(r"(://[^/@:\s]*:)[^/@\s]*@")

    def secrets(self) -> list[str]:
        found = list(self._secrets)
        if self._dynamic is not None:
            found.extend(s for s in self._dynamic() if s)
        # Longest first, so a secret that contains another is replaced whole.
        return sorted(set(found), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, MASK)
        text = self._param_pattern.sub(lambda m: m.group(1) + MASK, text)
        return self._userinfo_pattern.sub(lambda m: m.group(1) + MASK + "@", text)

    def describe(self, method: str, url: str) -> str:
        return self.redact(f"{method.upper()} {url}")
