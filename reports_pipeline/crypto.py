"""Encryption of secrets at rest (channel passwords, keys and webhook secrets).

Fernet (AES-128-CBC with HMAC-SHA256) from the cryptography package, with the key derived by
HKDF-SHA256 from the configured key string, so an operator can set any long random string.
Earlier keys stay readable after a rotation: tokens are decrypted with each key in turn.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reports_pipeline.errors import ReportsError
from reports_pipeline.settings import Settings

_HKDF_INFO = b"reports-api channel secrets v1"


class DecryptionFailed(ReportsError):
    """Stored secrets cannot be decrypted with any configured key."""


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Encrypts JSON values with the current key and decrypts with the current or an earlier one."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        keys = [settings.encryption_key.get_secret_value()]
        keys += [key.get_secret_value() for key in settings.encryption_previous_keys]
        return cls(keys)

    def encrypt(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError) as exc:
            raise DecryptionFailed(
                "stored secrets cannot be decrypted with REPORTS_ENCRYPTION_KEY or "
                "REPORTS_ENCRYPTION_PREVIOUS_KEYS; was the key changed without keeping the old one?"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
