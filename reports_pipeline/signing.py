"""Signed artifact URLs: an HMAC-SHA256 over the artifact's relative path and an expiry.

The signed message is the UTF-8 bytes of `<relative path>` + `"\\n"` + `<expiry as decimal
unix seconds>`, keyed with the platform signing key. The signature is its lowercase hex digest.
The relative path is `<organisation id>/<run id>/<file name>` with `/` separators, so a
signature for one tenant's file cannot be replayed for another's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_EXPIRES = re.compile(r"^[0-9]{1,12}$")
SIGNED_PATH_PREFIX = "/v1/reports/artifacts/local/"


def signature(key: bytes, relative_path: str, expires: int) -> str:
    """Return the hex HMAC-SHA256 of `relative_path` and `expires` under `key`."""
    message = f"{relative_path}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_url(base_url: str, key: bytes, relative_path: str, expires: int) -> str:
    """Return the absolute signed download URL of an artifact."""
    quoted = "/".join(quote(part, safe="") for part in relative_path.split("/"))
    sig = signature(key, relative_path, expires)
    return f"{base_url.rstrip('/')}{SIGNED_PATH_PREFIX}{quoted}?expires={expires}&sig={sig}"


def parse_expires(text: str | None) -> int | None:
    """Return the expiry as an integer, or None when it is missing or not plain digits."""
    if text is None or not _EXPIRES.match(text):
        return None
    return int(text)


def signature_matches(key: bytes, relative_path: str, expires: int, given: str | None) -> bool:
    """Compare `given` with the expected signature in constant time."""
    if given is None or not _SIGNATURE.match(given):
        return False
    return hmac.compare_digest(signature(key, relative_path, expires), given)
