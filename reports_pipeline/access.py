"""Entitlements an organisation can hold and permissions a credential can carry."""

from __future__ import annotations

BASE_ENTITLEMENT = "enterprise_reporting"
BRANDED_PDF_ENTITLEMENT = "enterprise_reporting.branded_pdf"
BUILDER_ENTITLEMENT = "enterprise_reporting.builder"
SCHEDULES_ENTITLEMENT = "enterprise_reporting.schedules"
PREMIUM_REPORTS_ENTITLEMENT = "enterprise_reporting.premium_reports"
"""Unlocks catalogue reports marked as premium (forecasts, peer benchmarks, evidence packs)."""

ENTITLEMENTS = (
    BASE_ENTITLEMENT,
    BRANDED_PDF_ENTITLEMENT,
    BUILDER_ENTITLEMENT,
    SCHEDULES_ENTITLEMENT,
    PREMIUM_REPORTS_ENTITLEMENT,
)
PERMISSIONS = ("analytics:read", "analytics:create", "analytics:update", "analytics:delete")
