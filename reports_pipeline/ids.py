"""Prefixed ULID identifiers, sortable by creation time."""

from __future__ import annotations

import re

from ulid import ULID

RUN = "rrun"
ORGANIZATION = "org"
CREDENTIAL = "cred"
SAVED_REPORT = "rsav"
SCHEDULE = "rsch"
DELIVERY = "rdlv"

_ID_PATTERN = re.compile(r"^(?P<prefix>[a-z]+)_(?P<ulid>[0-9A-HJKMNP-TV-Z]{26})$")


def new_id(prefix: str) -> str:
    """Return a new identifier such as `rrun_01JF8RRRN1A2B3C4D5E6F7G8H9`."""
    return f"{prefix}_{ULID()}"


def has_prefix(value: str, prefix: str) -> bool:
    """Return whether `value` is a well-formed identifier with the given prefix."""
    match = _ID_PATTERN.fullmatch(value)
    return match is not None and match.group("prefix") == prefix
