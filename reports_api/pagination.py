"""Opaque cursors for list endpoints: base64url of the last key on the previous page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from reports_pipeline import ids
from reports_pipeline.errors import ValidationError

T = TypeVar("T")


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, prefix: str) -> str:
    """Return the prefixed id inside `cursor`, or raise a validation error."""
    return decode_key_cursor(cursor, lambda value: ids.has_prefix(value, prefix))


def decode_key_cursor(cursor: str, is_valid: Callable[[str], bool]) -> str:
    """Return the key inside `cursor` when `is_valid` accepts it, or raise a validation error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        value = ""
    if not is_valid(value):
        raise ValidationError(
            "cursor is invalid; pass the next_cursor value of the previous page unchanged",
            details=[{"field": "cursor", "value": cursor}],
        )
    return value


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """Return the first `limit` rows and the cursor of the next page.

    The caller fetches `limit + 1` rows, so one row more than the page means another page exists.
    """
    page = list(rows[:limit])
    return page, encode_cursor(key(page[-1])) if len(rows) > limit else None
