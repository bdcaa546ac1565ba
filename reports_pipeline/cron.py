"""Standard 5-field cron expressions: validation with field-level errors, and a normal form.

Fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day of
week (0-7 or SUN-SAT, where 0 and 7 are Sunday). Each field is `*`, a value, a range `a-b`, a
step `*/n`, `a-b/n` or `a/n`, or a comma-separated list of those. Extensions (`@daily`, `L`, `W`,
`#`, `?`, a seconds field) are rejected.

The normal form is itself a cron expression: every field expanded to a sorted list of values,
a full set written `*`. Two expressions with the same normal form fire at the same times
(`0 8 * * 1` and `0 8 * * MON`, or `*/15 * * * *` and `0,15,30,45 * * * *`), and the scheduler
is given the normal form, so what it runs is exactly what was validated.

The day rule follows croniter, which Dagster's scheduler uses: a day field counts as
unrestricted when it is `*`, or when it covers every value and the other day field's text
contains a `*` (`0 8 1-31 * */2` fires on even weekdays). When both
day fields are restricted, a day matches either of them, so `0 8 1-31 * 1` fires every day,
while `0 8 * * 1` fires on Mondays only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reports_pipeline.errors import ValidationError


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    """Names of the values from `low` upwards (JAN = 1, SUN = 0)."""


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field(
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    _Field("day of week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")),
)
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>\d+))?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MAX_LENGTH = 120


@dataclass(frozen=True)
class CronExpression:
    """A validated expression and its normal form."""

    text: str
    """The expression as given, with runs of spaces collapsed."""
    key: str
    """The normal form, a cron expression: equal keys fire at equal times."""


def _fail(expression: str, message: str) -> ValidationError:
    return ValidationError(
        f"cron {expression!r}: {message}",
        details=[{"field": "cron", "value": expression, "expected": "5-field cron expression"}],
    )


def _value(token: str, field: _Field, expression: str) -> int:
    upper = token.upper()
    if field.names and upper in field.names:
        return field.names.index(upper) + field.low
    if not token.isdigit():
        expected = f"{field.low}-{field.high}"
        if field.names:
            expected += f" or a name {field.names[0]}-{field.names[6 if field.low == 0 else -1]}"
        raise _fail(expression, f"{token!r} is not a valid {field.name}; expected {expected}")
    number = int(token)
    if not field.low <= number <= field.high:
        raise _fail(expression, f"{field.name} {number} is out of range {field.low}-{field.high}")
    return number


def _expand(text: str, field: _Field, expression: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise _fail(expression, f"{item!r} is not a valid {field.name} item")
        step = int(match.group("step")) if match.group("step") else 1
        if step == 0 or step > field.high:
            raise _fail(expression, f"step {step} is out of range for {field.name}")
        span = match.group("range")
        if span == "*":
            low, high = field.low, field.high
        elif "-" in span:
            first, last = span.split("-", 1)
            low, high = _value(first, field, expression), _value(last, field, expression)
            if low > high:
                raise _fail(expression, f"range {span} in {field.name} runs backwards")
        else:
            low = _value(span, field, expression)
            high = field.high if match.group("step") else low
        values.update(range(low, high + 1, step))
    if field.name == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


def _render(values: frozenset[int], field: _Field) -> str:
    full = set(range(field.low, 7 if field.name == "day of week" else field.high + 1))
    if values == full:
        return "*"
    return ",".join(str(v) for v in sorted(values))


def parse_cron(expression: str) -> CronExpression:
    """Validate a 5-field cron expression and return it with its normal form."""
    if not isinstance(expression, str) or not expression.strip():
        raise _fail(str(expression), "the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise _fail(expression[:40] + "...", f"the expression is longer than {MAX_LENGTH}")
    if expression.strip().startswith("@"):
        raise _fail(expression, "macros such as @daily are not supported; write the 5 fields")
    parts = expression.split()
    if len(parts) != len(FIELDS):
        raise _fail(
            expression,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}",
        )

    expanded = [_expand(part, field, expression) for part, field in zip(parts, FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = expanded
    days_field, weekdays_field = _day_fields(parts[2], days, parts[4], weekdays)
    if weekdays_field == "*" and min(days) > max(_DAYS_IN_MONTH[m - 1] for m in months):
        raise _fail(expression, "the day of month never occurs in the given months")
    if months == {2} and days in ({30}, {31}):
        # With a weekday as well, such a day rule still fires on those weekdays, but Dagster's
        # scheduler rejects any expression naming only February and only its 30th or 31st.
        raise _fail(expression, "February has no 30th or 31st; name the weekdays alone")

    key = " ".join(
        (
            _render(minutes, FIELDS[0]),
            _render(hours, FIELDS[1]),
            days_field,
            _render(months, FIELDS[3]),
            weekdays_field,
        )
    )
    return CronExpression(text=" ".join(parts), key=key)


def _day_fields(
    days_text: str, days: frozenset[int], weekdays_text: str, weekdays: frozenset[int]
) -> tuple[str, str]:
    """Return the normal day-of-month and day-of-week fields of the days a schedule fires on."""
    days_full = _render(days, FIELDS[2]) == "*"
    weekdays_full = _render(weekdays, FIELDS[4]) == "*"
    # croniter treats a full field as unrestricted when it is `*` itself, or when the other
    # day field's text contains a `*` anywhere (`*/2` included).
    days_free = "*" in days_text.split(",") or (days_full and "*" in weekdays_text)
    weekdays_free = "*" in weekdays_text.split(",") or (weekdays_full and "*" in days_text)
    if days_free and weekdays_free:
        return "*", "*"
    if days_free:
        return "*", _render(weekdays, FIELDS[4])
    if weekdays_free:
        return _render(days, FIELDS[2]), "*"
    # Both restricted: a day matches either field, so a full field matches every day.
    if days_full or weekdays_full:
        return "*", "*"
    return _render(days, FIELDS[2]), _render(weekdays, FIELDS[4])
