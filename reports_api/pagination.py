"""Opaque cursors for list endpoints: base64url of the last id on the previous page."""

from __future__ import annotations

import base64
import binascii

from reports_pipeline import ids
from reports_pipeline.errors import ValidationError


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, prefix: str) -> str:
    """Return the id inside `cursor`, or raise a validation error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        value = ""
    if not ids.has_prefix(value, prefix):
        raise ValidationError(
            "cursor is invalid; pass the next_cursor value of the previous page unchanged",
            details=[{"field": "cursor", "value": cursor}],
        )
    return value
