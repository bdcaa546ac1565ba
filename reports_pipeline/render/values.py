"""Conversion of Arrow values into JSON-safe Python values, shared by JSON and the preview."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pyarrow.types as pat


def _float(value: float | None, counter: list[int]) -> float | None:
    if value is None:
        return None
    if math.isnan(value) or math.isinf(value):
        counter[0] += 1
        return None
    return value


def json_columns(
    table: pa.Table, timezone: str, *, exact_decimals: bool = True
) -> tuple[list[list[Any]], int]:
    """Return each column as a list of JSON-safe values, and how many NaN or infinite numbers
    became null.

    Timestamps become ISO 8601 strings with the offset of `timezone` and dates ISO dates.
    Decimals keep every digit as a raw JSON number (an `orjson.Fragment`) when
    `exact_decimals` is set, and become floats otherwise.
    """
    zone = ZoneInfo(timezone)
    replaced = [0]
    columns: list[list[Any]] = []
    for field, column in zip(table.schema, table.columns, strict=True):
        values = column.to_pylist()
        kind = field.type
        if pat.is_timestamp(kind):
            values = [None if v is None else _aware(v).astimezone(zone).isoformat() for v in values]
        elif pat.is_date(kind):
            values = [None if v is None else v.isoformat() for v in values]
        elif pat.is_decimal(kind) and exact_decimals:
            values = [None if v is None else orjson.Fragment(_decimal_text(v)) for v in values]
        elif pat.is_decimal(kind):
            values = [None if v is None else _float(float(v), replaced) for v in values]
        elif pat.is_floating(kind):
            values = [_float(v, replaced) for v in values]
        columns.append(values)
    return columns, replaced[0]


def json_rows(
    table: pa.Table, timezone: str, *, limit: int | None = None, exact_decimals: bool = True
) -> tuple[list[list[Any]], int]:
    """Return the rows of `table` (at most `limit`) as JSON-safe lists; see `json_columns`."""
    if limit is not None:
        table = table.slice(0, limit)
    columns, replaced = json_columns(table, timezone, exact_decimals=exact_decimals)
    return [list(row) for row in zip(*columns, strict=True)], replaced


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text if text not in ("NaN", "Infinity", "-Infinity") else "null"
