"""Values shared by several sources."""

from __future__ import annotations

from reports_pipeline.semantic.model import TimeGrain

ALL_GRAINS = tuple(TimeGrain)
DATE_GRAINS = tuple(g for g in TimeGrain if g is not TimeGrain.HOUR)

REGIONS = ("amer", "emea", "apac")
SEVERITIES = ("critical", "high", "medium", "low", "info")
