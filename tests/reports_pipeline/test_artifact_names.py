"""File names of artifacts on disk and in downloads."""

from __future__ import annotations

import pytest

from reports_pipeline.render import artifact_name


@pytest.mark.parametrize(
    ("format_key", "on_disk", "download"),
    [
        ("csv", "ops.cost.csv", "ops.cost-rrun_1.csv"),
        ("pdf", "ops.cost.pdf", "ops.cost-rrun_1.pdf"),
        ("pdf_branded", "ops.cost-branded.pdf", "ops.cost-rrun_1-branded.pdf"),
        ("xlsx", "ops.cost.xlsx", "ops.cost-rrun_1.xlsx"),
    ],
)
def test_artifact_name(format_key: str, on_disk: str, download: str) -> None:
    assert artifact_name("ops.cost", format_key) == on_disk
    assert artifact_name("ops.cost", format_key, "rrun_1") == download
