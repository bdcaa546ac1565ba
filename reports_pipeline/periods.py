"""Reporting periods: explicit bounds, the `30d` shorthand and named calendar periods.

Every period resolves to inclusive bounds `[start, end]` as aware datetimes, computed in the
IANA time zone of the request or schedule. Calendar periods end one microsecond before the next
boundary, so `previous_month` in April is 1 March 00:00 to 31 March 23:59:59.999999 local time.

Shorthand grammar: `<n><unit>` with 1 <= n <= 9999 and unit `h` (hours), `d` (days), `w` (weeks)
or `m` (calendar months). It covers the rolling window that ends at the resolution instant:
`30d` at 2027-01-31T10:00 covers 2027-01-01T10:00 to 2027-01-31T10:00.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from reports_pipeline.errors import ValidationError

NAMED_PERIODS = (
    "previous_day",
    "previous_week",
    "previous_month",
    "previous_quarter",
    "previous_year",
    "month_to_date",
    "quarter_to_date",
    "year_to_date",
)
_SHORTHAND = re.compile(r"^(?P<count>[1-9][0-9]{0,3})(?P<unit>[hdwm])$")
_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")
_ONE_MICROSECOND = timedelta(microseconds=1)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """Inclusive period bounds, with the zone they were resolved in."""

    start: datetime
    end: datetime
    timezone: str
    label: str

    def start_date(self) -> date:
        return self.start.astimezone(ZoneInfo(self.timezone)).date()

    def end_date(self) -> date:
        return self.end.astimezone(ZoneInfo(self.timezone)).date()


def parse_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`, or raise a validation error naming it."""
    if name not in _timezone_names():
        raise ValidationError(
            f"unknown time zone {name!r}: use an IANA name such as 'UTC' or 'America/New_York'",
            details=[{"field": "timezone", "value": name}],
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}") from exc


_ZONES: frozenset[str] | None = None


def _timezone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


@functools.cache
def _zone_links() -> dict[str, str]:
    """Return each IANA link name (an alias such as US/Pacific) with the zone it names.

    The links are read from the `tzdata` package's compact source, the zone data that zoneinfo
    falls back to. Without that package no alias is known.
    """
    try:
        source = resources.files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    links = {}
    for line in source.splitlines():
        if line.startswith("L "):
            _, target, name = line.split()
            links[name] = target
    return links


def zone_aliases(name: str) -> frozenset[str]:
    """Return every name of the zone `name`: the zone itself and the links to it, `name`
    included (Asia/Kolkata and Asia/Calcutta)."""
    links = _zone_links()
    zone = links.get(name, name)
    return frozenset({name, zone, *(link for link, target in links.items() if target == zone)})


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = (date(year + (month // 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # A zone whose midnight is skipped by a daylight-saving change starts the day at the first
    # existing instant; `fold=0` with a round trip through UTC finds it.
    naive = datetime.combine(day, time.min)
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        return round_trip
    return aware


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _named(name: str, now_local: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    today = now_local.date()
    if name == "previous_day":
        start_day, end_day = today - timedelta(days=1), today
    elif name == "previous_week":
        this_monday = today - timedelta(days=today.weekday())
        start_day, end_day = this_monday - timedelta(days=7), this_monday
    elif name == "previous_month":
        end_day = today.replace(day=1)
        start_day = (end_day - timedelta(days=1)).replace(day=1)
    elif name == "previous_quarter":
        end_day = _quarter_start(today)
        start_day = _quarter_start(end_day - timedelta(days=1))
    elif name == "previous_year":
        start_day, end_day = date(today.year - 1, 1, 1), date(today.year, 1, 1)
    else:
        start_day = {
            "month_to_date": today.replace(day=1),
            "quarter_to_date": _quarter_start(today),
            "year_to_date": date(today.year, 1, 1),
        }[name]
        return _local_midnight(start_day, zone), now_local
    return _local_midnight(start_day, zone), _local_midnight(end_day, zone) - _ONE_MICROSECOND


def _shorthand(count: int, unit: str, now_local: datetime) -> datetime:
    if unit == "m":
        return _add_months(now_local, -count)
    hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * count
    # Hours, days and weeks are elapsed time, so subtract in UTC where every hour exists once.
    return (now_local.astimezone(UTC) - timedelta(hours=hours)).astimezone(now_local.tzinfo)


def parse_bound(value: str, zone: ZoneInfo, *, field: str, end: bool) -> datetime:
    """Parse an ISO 8601 timestamp or date; a date alone covers its whole local day."""
    text = value.strip()
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            if end:
                return _local_midnight(day + timedelta(days=1), zone) - _ONE_MICROSECOND
            return _local_midnight(day, zone)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            f"{field} {value!r} is not an ISO 8601 date or timestamp "
            "(for example 2026-04-01 or 2026-04-01T00:00:00Z)",
            details=[{"field": field, "value": value}],
        ) from exc
    except OverflowError as exc:
        # The end of 9999-12-31 is the next midnight, which Python's dates cannot represent.
        raise ValidationError(
            f"{field} {value!r} is outside the supported dates; use a date before 9999-12-31",
            details=[{"field": field, "value": value}],
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def resolve_period(
    *,
    period: str | None,
    period_start: str | None,
    period_end: str | None,
    timezone: str,
    now: datetime,
) -> Period:
    """Resolve the period parameters at `now` in `timezone` into inclusive bounds."""
    zone = parse_timezone(timezone)
    now_local = now.astimezone(zone)

    if period_start or period_end:
        if period and period not in ("custom",):
            raise ValidationError(
                "give either period or period_start/period_end, not both",
                details=[{"field": "period", "value": period}],
            )
        if not (period_start and period_end):
            missing = "period_end" if period_start else "period_start"
            raise ValidationError(
                f"{missing} is required when the other bound is given",
                details=[{"field": missing}],
            )
        start = parse_bound(period_start, zone, field="period_start", end=False)
        end = parse_bound(period_end, zone, field="period_end", end=True)
        label = f"{period_start} to {period_end}"
    else:
        text = (period or "30d").strip()
        match = _SHORTHAND.match(text)
        if match:
            end = now_local
            start = _shorthand(int(match["count"]), match["unit"], now_local)
        elif text in NAMED_PERIODS:
            start, end = _named(text, now_local, zone)
        else:
            raise ValidationError(
                f"invalid period {text!r}: use <n>h, <n>d, <n>w or <n>m (1 to 9999), "
                f"or one of {', '.join(NAMED_PERIODS)}",
                details=[{"field": "period", "value": text, "allowed": list(NAMED_PERIODS)}],
            )
        label = text

    if start > end:
        raise ValidationError(
            "period_start must not be after period_end",
            details=[{"field": "period_start", "value": start.isoformat()}],
        )
    if start < _EARLIEST:
        raise ValidationError("the period starts before 1970-01-01", details=[{"field": "period"}])
    return Period(
        start=start.astimezone(zone), end=end.astimezone(zone), timezone=timezone, label=label
    )
