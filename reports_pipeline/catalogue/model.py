"""The report definition: the shape shared by catalogue reports and saved reports."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reports_pipeline.access import ENTITLEMENTS
from reports_pipeline.semantic.model import FilterOp, TimeGrain

Persona = Literal["ceo", "cfo", "ciso", "cro", "gc", "auditor", "ops"]
ParamType = Literal[
    "string", "enum", "integer", "number", "boolean", "date", "timestamp", "period", "timezone"
]
ChartType = Literal["bar", "line", "area", "pie", "table", "kpi"]
RedactionMethod = Literal["mask", "hash", "truncate", "drop"]

ROW_CAP = 10_000
_REPORT_ID = re.compile(r"^(ceo|cfo|ciso|cro|gc|auditor|ops)\.[a-z][a-z0-9_]{1,62}$")

PERIOD_PARAMS = ("period", "period_start", "period_end", "timezone")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReportFilterBinding(_Frozen):
    """A filter on one field of the report's source."""

    field: str
    op: FilterOp
    value: Any = None


class ReportSortSpec(_Frozen):
    field: str
    direction: Literal["asc", "desc"] = "asc"


class ParamFilter(_Frozen):
    """The filter on a source field that receives a parameter's value."""

    field: str
    op: FilterOp = FilterOp.EQ


class ReportParamSpec(_Frozen):
    """A parameter a caller may set, with the bounds a client needs to build a form."""

    name: str
    type: ParamType
    label: str = ""
    description: str = ""
    default: Any = None
    required: bool = False
    multiple: bool = False
    allowed_values: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    filter: ParamFilter | None = None


class ChartHint(_Frozen):
    type: ChartType
    x: str
    y: list[str]
    series: str | None = None
    title: str | None = None


class RedactionRule(_Frozen):
    """The treatment of an identifying field in SQL: masked, hashed, truncated or dropped."""

    field: str
    method: RedactionMethod
    keep: int = Field(default=4, ge=0, le=64)


class ReportDefinition(_Frozen):
    """A parameterised report over one semantic source."""

    id: str
    version: int = Field(default=1, ge=1)
    persona: Persona
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    source_id: str
    dimensions: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(min_length=1)
    time_grain: TimeGrain | None = None
    default_filters: list[ReportFilterBinding] = Field(default_factory=list)
    sort: list[ReportSortSpec] | None = None
    limit: int | None = Field(default=None, ge=1, le=ROW_CAP)
    params: list[ReportParamSpec] | None = None
    chart_hints: list[ChartHint] | None = None
    redact: list[RedactionRule] | None = None
    entitlement_key: str | None = None
    tags: list[str] | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not (_REPORT_ID.match(value) or value.startswith("rsav_")):
            raise ValueError("must be <persona>.<snake_case_name>, such as ciso.alerts_by_severity")
        return value

    @field_validator("entitlement_key")
    @classmethod
    def _check_entitlement(cls, value: str | None) -> str | None:
        if value is not None and value not in ENTITLEMENTS:
            raise ValueError(f"unknown entitlement {value!r}; valid: {', '.join(ENTITLEMENTS)}")
        return value

    @model_validator(mode="after")
    def _check_persona_prefix(self) -> ReportDefinition:
        if not self.id.startswith("rsav_") and self.id.split(".", 1)[0] != self.persona:
            raise ValueError(f"id {self.id!r} must start with its persona {self.persona!r}")
        return self

    def param(self, name: str) -> ReportParamSpec | None:
        return next((p for p in self.params or () if p.name == name), None)

    @property
    def output_columns(self) -> list[str]:
        """Result columns in order: the period bucket, then dimensions, then metrics."""
        columns = ["period"] if self.time_grain else []
        redacted = {r.field for r in self.redact or () if r.method == "drop"}
        columns += [d for d in self.dimensions if d not in redacted]
        return columns + list(self.metrics)
