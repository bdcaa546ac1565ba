"""The delivery ops of the report job: plan the schedule's channels, deliver each one, and
record the outcome.

They run after the run is stored as ready, so the artifacts stay downloadable whatever the
deliveries do. Dagster skips them for runs started through the API. A failed channel does not
fail its own step. Instead the last op fails once every channel was tried, and its error
names the channels that failed. The Dagster run then shows the failure while the run record
stays `ready`.
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    DynamicOut,
    DynamicOutput,
    Failure,
    In,
    MetadataValue,
    OpExecutionContext,
    Out,
    Output,
    op,
)

from reports_pipeline.errors import ReportsError
from reports_pipeline.orchestration.resources import ReportsService

DELIVERY_OPS = frozenset({"plan_deliveries", "deliver", "record_deliveries"})
"""Ops whose failure leaves the run record as it is: the run itself succeeded."""


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


@op(
    out={
        "run_id": Out(str, description="The run whose deliveries are recorded at the end."),
        "channels": DynamicOut(description="One output per channel of the run's schedule."),
    }
)
def plan_deliveries(
    run_id: str, reports: ReportsService
) -> Iterator[Output[str] | DynamicOutput[Any]]:
    """Load the channels of the run's schedule and store their first attempts as pending."""
    from reports_pipeline.delivery.deliver import plan_deliveries as plan
    from reports_pipeline.store import deliveries

    try:
        with reports.session() as session:
            planned = plan(session, reports.settings, run_id)
    except Exception as exc:
        with reports.session() as session:
            deliveries.set_delivery_status(session, run_id, "failed")
        # Only this project's errors are quoted, and the cause is not chained, because a
        # validation error of a stored channel would quote its values, secrets included.
        reason = exc.message if isinstance(exc, ReportsError) else type(exc).__name__
        raise Failure(
            description=f"cannot load the channels of run {run_id}: {reason}. "
            "Nothing was delivered, and the run's artifacts stay downloadable."
        ) from None
    rows = "\n".join(f"| {item.mapping_key} | {_cell(item.target)} |" for item in planned)
    yield Output(
        run_id,
        "run_id",
        metadata={
            "channels": len(planned),
            "targets": MetadataValue.md("| channel | target |\n|---|---|\n" + rows),
        },
    )
    for item in planned:
        yield DynamicOutput(item, output_name="channels", mapping_key=item.mapping_key)


@op(ins={"planned": In(description="One channel to deliver to.")})
def deliver(context: OpExecutionContext, planned: Any, reports: ReportsService) -> Any:
    """Deliver the run over one channel, retrying transient failures, and return the outcome."""
    from reports_pipeline.delivery.deliver import deliver as deliver_channel

    outcome = deliver_channel(planned, reports.settings, log=context.log)
    rows = "\n".join(
        f"| {a.number} | {a.status} | {a.started_at:%H:%M:%S} "
        f"| {(a.finished_at - a.started_at).total_seconds():.2f} | {_cell(a.http_status)} "
        f"| {_cell(a.error or a.remote_detail)} |"
        for a in outcome.attempts
    )
    context.add_output_metadata(
        {
            "status": "delivered" if outcome.delivered else "failed",
            "target": outcome.target,
            "delivery_id": outcome.delivery_id,
            "attempt_count": len(outcome.attempts),
            "attempts": MetadataValue.md(
                "| attempt | status | started (UTC) | seconds | HTTP | detail |\n"
                "|---|---|---|---|---|---|\n" + rows
            ),
        }
    )
    return outcome


@op
def record_deliveries(
    context: OpExecutionContext, run_id: str, outcomes: list[Any], reports: ReportsService
) -> None:
    """Store the run's delivery status, and fail if any channel failed.

    Every channel was tried by then, because no deliver step fails for a delivery failure.
    """
    from reports_pipeline.delivery.deliver import finish_deliveries

    with reports.session() as session:
        status = finish_deliveries(session, run_id, outcomes)
    failed = [outcome for outcome in outcomes if not outcome.delivered]
    metadata: dict[str, str | int] = {
        "delivery_status": status,
        "delivered": len(outcomes) - len(failed),
        "failed": len(failed),
    }
    if failed:
        names = "; ".join(f"{o.mapping_key} ({o.target}): {o.error}" for o in failed)
        raise Failure(
            description=f"delivery of run {run_id} failed on {len(failed)} of {len(outcomes)} "
            f"channels: {names}. The run stays ready and its artifacts downloadable.",
            metadata=metadata,
        )
    context.add_output_metadata(metadata)
