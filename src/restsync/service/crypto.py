"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with one server key.

The key comes from `RESTSYNC_SECRET_KEY` or, when that is unset, from `secret.key` in the data
directory, created on first start readable by its owner only (0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from restsync.errors import ConfigError

SECRET_KEY_ENV = "RESTSYNC_SECRET_KEY"
KEY_FILE = "secret.key"


def load_or_create_key(data_dir: Path, env: dict[str, str] | None = None) -> bytes:
    environment = os.environ if env is None else env
    given = environment.get(SECRET_KEY_ENV, "").strip()
    if given:
        _check_key(given.encode(), SECRET_KEY_ENV)
        return given.encode()
    path = data_dir / KEY_FILE
    if path.exists():
        key = path.read_bytes().strip()
        _check_key(key, str(path))
        return key
    key = Fernet.generate_key()
    # O_EXCL: two servers starting at once must not each write a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def _check_key(key: bytes, where: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise ConfigError("is not a Fernet key (32 url-safe base64-encoded bytes)", key=where) from None


class Sealer:
    """Encrypts JSON values; what comes out never holds the plain text."""

    def __init__(self, key: bytes):
        self._fernet = Fernet(key)

    def seal(self, value: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode("utf-8"))

    def open(self, sealed: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise ConfigError("stored credentials cannot be decrypted with this secret key "
                              "(was RESTSYNC_SECRET_KEY or secret.key changed?)", key=SECRET_KEY_ENV) from None
