"""Retention: runs past their expiry lose their artifacts, and the API returns 410 for them."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports_pipeline.store.models import ReportRun

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class ExpiredRun:
    run_id: str
    organization_id: str
    files: int
    bytes: int


def expire_runs(session: Session, artifact_root: Path, now: datetime) -> list[ExpiredRun]:
    """Remove the files of up to BATCH runs whose expiry has passed and mark them expired.

    Run and artifact records stay, so the API can return 410 for them and their signed URLs.
    """
    runs = session.scalars(
        select(ReportRun)
        .where(ReportRun.expires_at <= now, ReportRun.status != "expired")
        .order_by(ReportRun.expires_at)
        .limit(BATCH)
    ).all()
    root = artifact_root.resolve()
    removed = []
    for run in runs:
        directory = (root / run.organization_id / run.id).resolve()
        files = size = 0
        if directory.is_relative_to(root) and directory.is_dir():
            for path in directory.rglob("*"):
                if path.is_file():
                    files += 1
                    size += path.stat().st_size
            shutil.rmtree(directory)
        run.status = "expired"
        removed.append(ExpiredRun(run.id, run.organization_id, files, size))
        logger.info(
            "expired run %s of org %s: removed %d files, %d bytes",
            run.id,
            run.organization_id,
            files,
            size,
        )
    return removed
