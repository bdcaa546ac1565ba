"""The generated reference pages match the code they describe."""

from __future__ import annotations

from pathlib import Path

from reports_pipeline.catalogue.loader import load_catalogue
from reports_pipeline.catalogue.reference import render_catalogue
from reports_pipeline.semantic.reference import render_reference
from reports_pipeline.semantic.sources import SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_semantic_layer_page_is_current() -> None:
    page = (DOCS / "semantic-layer.md").read_text(encoding="utf-8")
    assert page == render_reference(SOURCES.values()), "run `reports docs` and commit the result"


def test_semantic_layer_page_lists_every_field() -> None:
    page = render_reference(SOURCES.values())
    for source in SOURCES.values():
        assert f"### `{source.id}`" in page
        for key in source.dimension_keys + source.metric_keys:
            assert f"| `{key}` |" in page


def test_catalogue_page_is_current() -> None:
    page = (DOCS / "catalogue.md").read_text(encoding="utf-8")
    assert page == render_catalogue(load_catalogue().values()), "run `reports docs` and commit"


def test_catalogue_page_lists_every_report() -> None:
    page = render_catalogue(load_catalogue().values())
    for report_id in load_catalogue():
        assert f"### `{report_id}`" in page
