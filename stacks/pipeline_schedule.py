"""The pipeline's optional schedules (context `schedule`): one EventBridge Scheduler schedule per
dataset, each starting an execution for the previous UTC day (docs/running-daily.md)."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from wikilake_core import runs

# A start that fails is retried; one the scheduler could not make within this age is a dead letter.
MAX_EVENT_AGE = Duration.hours(2)
START_ATTEMPTS = 2


def add_schedules(
    scope: Construct,
    *,
    name: str,
    state_machine: sfn.IStateMachine,
    entries: Iterable[tuple[str, str]],
    dead_letters: sqs.IQueue,
) -> None:
    """A schedule ``Schedule<Dataset>`` in ``scope`` per (dataset, cron/rate expression) entry;
    what it cannot deliver lands in ``dead_letters``."""
    for dataset, expression in entries:
        scheduler.Schedule(
            scope,
            f"Schedule{dataset.title()}",
            description=f"{name}: run {dataset} for the previous UTC day",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=scheduler_targets.StepFunctionsStartExecution(
                state_machine,
                input=scheduler.ScheduleTargetInput.from_object(runs.scheduled_input(dataset)),
                retry_attempts=START_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
                dead_letter_queue=dead_letters,
            ),
        )
