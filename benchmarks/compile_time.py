"""Compile time per report definition, from definition to SQL text and bound parameters.

Compiles every catalogue report and one definition per source that uses all of its metrics,
grouped by its first two dimensions at its finest time grain, with a filter; each definition
is compiled `--repeat` times after one warm-up. Target: median under 2 ms.

Usage: python benchmarks/compile_time.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import UTC, datetime

from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding
from reports_pipeline.compile import compile_report
from reports_pipeline.params import resolve_params
from reports_pipeline.semantic.model import FilterOp
from reports_pipeline.semantic.sources import SOURCES

ORG = "org_01M91CZMQ3XE1TRKYK78DRNE8A"
NOW = datetime(2027, 1, 31, 10, tzinfo=UTC)


def wide_definitions() -> list[ReportDefinition]:
    alerts = get_catalogue()["ciso.alerts_by_severity"]
    period_params = [spec for spec in alerts.params or () if spec.filter is None]
    definitions = []
    for source in SOURCES.values():
        first = source.dimensions[0]
        definitions.append(
            ReportDefinition(
                id=f"ops.wide_{source.id}",
                persona="ops",
                title=f"Everything in {source.id}",
                description="Benchmark definition.",
                source_id=source.id,
                dimensions=source.dimension_keys[:2],
                metrics=source.metric_keys,
                time_grain=source.time_grains[0],
                default_filters=[ReportFilterBinding(field=first.key, op=FilterOp.IS_NOT_NULL)],
                params=period_params,
            )
        )
    return definitions


def time_compile(definition: ReportDefinition, repeat: int) -> list[float]:
    resolved = resolve_params(definition, {}, now=NOW)

    def once() -> None:
        compile_report(
            definition,
            organization_id=ORG,
            period=resolved.period,
            timezone=resolved.timezone,
            extra_filters=resolved.filters,
        )

    once()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        once()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200, help="timed compilations per definition")
    args = parser.parse_args()

    definitions = list(get_catalogue().values()) + wide_definitions()
    medians = {d.id: statistics.median(time_compile(d, args.repeat)) * 1000 for d in definitions}
    overall = statistics.median(medians.values())
    print(f"## Compile time ({datetime.now(UTC):%Y-%m-%d})")
    print()
    print(f"Command: `python benchmarks/compile_time.py --repeat {args.repeat}`")
    print(
        f"Machine: {platform.platform()}, {platform.machine()}, Python {platform.python_version()}"
    )
    print()
    print(f"{len(definitions)} definitions, {args.repeat} compilations each.")
    print()
    print("| statistic | ms |")
    print("|---|---|")
    print(f"| median of per-definition medians | {overall:.3f} |")
    slowest = max(medians, key=medians.__getitem__)
    print(f"| slowest definition ({slowest}) | {medians[slowest]:.3f} |")
    print(f"| fastest definition | {min(medians.values()):.3f} |")


if __name__ == "__main__":
    main()
