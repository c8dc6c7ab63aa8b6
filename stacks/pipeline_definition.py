"""The pipeline's state machine: one execution runs (dataset, dt) end to end on compute that exists
only for the run.

    TakeDayLease (one writer per (dataset, dt): the day's lease, stacks/day_publishing.py,
    docs/atomic-days.md) -> Plan -> Ingest (Map, 3 at a time, one Lambda per dump file) -> SizeRun
    (the plan function again: the job's compute and deadline from the day's bytes under raw/) ->
    the job stage -> Verify+publish+record (Lambda) -> ReleaseDay; any failure -> (the job stage's
    cleanup ->) ReleaseDayAfterFailure -> Notify (SNS) -> Fail.

The job stage is the runtime's: a transient EMR cluster polled until its step ends or its deadline
passes (stacks/cluster_job.py), or one job run on the EMR Serverless application
(stacks/serverless_job.py). Only aws-sdk EMR integrations on EC2 (no .sync exists for them, and
moto's interpreter runs them), so the tests execute this very definition (tests/pipeline/).
docs/running-daily.md explains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import nag
from stacks.pipeline_functions import PipelineFunctions
from stacks.pipeline_states import ALL_ERRORS, ERROR, EXECUTION_ID, PLAN, RUN, SIZE, J, lambda_task
from wikilake_core import run_sizing
from wikilake_core.http_budget import MAX_DOWNLOADS

RUN_TIMEOUT = Duration.seconds(run_sizing.RUN_TIMEOUT_SECONDS)
# All slots held: the ingest function fails fast with SlotsBusy, retried until one frees up
# (a download takes ~20 s; every retry is one short invocation and one state transition).
SLOTS_BUSY_INTERVAL = Duration.seconds(2)
SLOTS_BUSY_MAX_DELAY = Duration.seconds(30)  # the interval doubles up to this
SLOTS_BUSY_ATTEMPTS = 500  # > the run's 4 hours at the maximum delay
# A run whose own alert could not be published ends under this error; EventBridge alerts it instead.
ALERT_NOT_SENT = "AlertNotSent"
# Errors no catcher runs for (States.ALL does not catch States.Runtime or States.DataLimitExceeded):
# the run ends under them without publishing its alert.
UNCAUGHT_ERROR_PREFIX = "States."


class JobStage(Protocol):
    """The runtime's part of the definition: from the sized plan to the recorded run."""

    description: str  # what runs the job, for the state machine's comment

    def states(
        self, scope: Construct, *, record: lambda_.IFunction, on_failure: sfn.State, release_day: sfn.State
    ) -> sfn.IChainable:
        """The job's states, from the sized plan to ``release_day`` (a failure: to ``on_failure``)."""
        ...

    def grant(self, machine: sfn.StateMachine) -> None:
        """What the state machine's role needs beyond its tasks' own statements."""
        ...


@dataclass(frozen=True)
class DefinitionProps:
    name: str  # the app's base name: the alerts' subject, the state machine's comment
    functions: PipelineFunctions
    alerts: sns.ITopic
    execution_logs: logs.ILogGroup  # the execution history: audit data
    job: JobStage


class PipelineDefinition:
    """Builds the states and the state machine into ``scope`` (the pipeline's own: the machine, its
    role and its log group keep their logical ids; the states' names are their ids)."""

    def __init__(self, scope: Construct, props: DefinitionProps) -> None:
        self._scope, self._props = scope, props
        functions = props.functions
        notify = self._notify_failure()
        on_failure = self._release_day_after_failure(notify)
        take_day = self._day_lease("TakeDayLease", "take")
        take_day.add_catch(notify, errors=ALL_ERRORS, result_path=ERROR)
        release_day = self._day_lease("ReleaseDay", "release")
        plan = lambda_task(
            scope,
            "Plan",
            functions.plan,
            {
                "input": J.object_at("$"),
                "started_at": J.string_at("$$.Execution.StartTime"),
                "run_id": J.string_at("$$.Execution.Name"),
            },
            result_path=PLAN,
        )
        plan.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        ingest, size_run = self._ingest(on_failure), self._size_run(on_failure)
        job = props.job.states(scope, record=functions.record, on_failure=on_failure, release_day=release_day)
        self.state_machine = self._machine(take_day.next(plan).next(ingest).next(size_run).next(job))

    def _release_day_after_failure(self, notify: sfn.State) -> tasks.LambdaInvoke:
        """Every failure gives the day back first (the release is conditional: never another's
        hold), then alerts (``notify``)."""
        on_failure = self._day_lease("ReleaseDayAfterFailure", "release")
        on_failure.add_catch(notify, errors=ALL_ERRORS, result_path="$.release_error")
        on_failure.next(notify)
        return on_failure

    def _notify_failure(self) -> tasks.SnsPublish:
        """Publish the run's alert, then end the run (under its own error when it can)."""
        scope = self._scope
        # Our errors (IngestFailed, JobFailed, VerificationFailed, Emr.*) end the run under their own
        # name; Step Functions' own (States.Runtime, ...) may not be re-raised by a Fail state.
        fail = (
            sfn.Choice(scope, "OwnError?")
            .when(
                sfn.Condition.string_matches("$.error.Error", f"{UNCAUGHT_ERROR_PREFIX}*"),
                sfn.Fail(scope, "RunFailedInternally", error="PipelineError", cause_path="$.error.Cause"),
            )
            .otherwise(sfn.Fail(scope, "RunFailed", error_path="$.error.Error", cause_path="$.error.Cause"))
        )
        notify = tasks.SnsPublish(
            scope,
            "NotifyFailure",
            topic=self._props.alerts,
            subject=f"{self._props.name}: pipeline run failed",
            message=sfn.TaskInput.from_text(
                J.format(
                    "wikilake run failed: {} ({}). Execution: {}. Input: {}",
                    J.string_at("$.error.Error"),
                    J.string_at("$.error.Cause"),
                    J.string_at(EXECUTION_ID),
                    J.json_to_string(J.object_at("$$.Execution.Input")),
                )
            ),
            result_path=J.DISCARD,
        )
        notify.add_retry(
            errors=["SNS.ThrottledException", "SNS.InternalErrorException"],
            interval=Duration.seconds(5),
            backoff_rate=2,
            max_attempts=5,
        )
        # The alert could not be published: end under ALERT_NOT_SENT, which EventBridge alerts.
        alert_not_sent = sfn.Fail(
            scope,
            "RunFailedUnalerted",
            error=ALERT_NOT_SENT,
            cause_path=J.format("{}: {}", J.string_at("$.error.Error"), J.string_at("$.error.Cause")),
        )
        notify.add_catch(alert_not_sent, errors=ALL_ERRORS, result_path="$.notify_error")
        notify.next(fail)
        return notify

    def _day_lease(self, construct_id: str, action: str) -> tasks.LambdaInvoke:
        """Take or give back the execution's day (functions/wikilake_functions/day_lease.py); the
        state's input passes through unchanged."""
        return lambda_task(
            self._scope,
            construct_id,
            self._props.functions.day_lease,
            {
                "action": action,
                "input": J.object_at("$$.Execution.Input"),
                "started_at": J.string_at("$$.Execution.StartTime"),
                "execution": J.string_at(EXECUTION_ID),
            },
            result_path=J.DISCARD,
        )

    def _ingest(self, on_failure: sfn.State) -> sfn.Map:
        """One ingest function per dump file, at most MAX_DOWNLOADS at once."""
        ingest_one = lambda_task(
            self._scope,
            "IngestFile",
            self._props.functions.ingest,
            {
                "dataset": J.string_at("$.dataset"),
                "dt": J.string_at("$.dt"),
                "file": J.object_at("$.file"),
                "execution": J.string_at(EXECUTION_ID),
            },
        )
        ingest_one.add_retry(
            errors=["SlotsBusy"],
            interval=SLOTS_BUSY_INTERVAL,
            backoff_rate=2,
            max_delay=SLOTS_BUSY_MAX_DELAY,
            max_attempts=SLOTS_BUSY_ATTEMPTS,
            jitter_strategy=sfn.JitterType.FULL,
        )
        ingest = sfn.Map(
            self._scope,
            "Ingest",
            items_path=f"{PLAN}.files",
            max_concurrency=MAX_DOWNLOADS,
            item_selector={
                "dataset": J.string_at(f"{RUN}.dataset"),
                "dt": J.string_at(f"{RUN}.dt"),
                "file": J.string_at("$$.Map.Item.Value"),
            },
            result_path=J.DISCARD,
        )
        ingest.item_processor(ingest_one)
        ingest.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        return ingest

    def _size_run(self, on_failure: sfn.State) -> tasks.LambdaInvoke:
        """The day is under raw/: its bytes size the job's compute and deadline (plan.size)."""
        size_run = lambda_task(
            self._scope,
            "SizeRun",
            self._props.functions.plan,
            {"size": {"run": J.object_at(RUN), "started_at": J.string_at("$$.Execution.StartTime")}},
            result_path=SIZE,
        )
        size_run.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        return size_run

    def _machine(self, chain: sfn.IChainable) -> sfn.StateMachine:
        props = self._props
        machine = sfn.StateMachine(
            self._scope,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            timeout=RUN_TIMEOUT,
            tracing_enabled=True,
            comment=f"{props.name}: one run of (dataset, dt): ingest, {props.job.description}, verify, record",
            logs=sfn.LogOptions(destination=props.execution_logs, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        for function in props.functions.invoked_by_the_state_machine:
            nag.acknowledge(
                machine,
                nag.iam5_finding(f"<{nag.logical_id(function)}.Arn>:*"),
                "lambda:InvokeFunction on the function's versions and aliases (CDK's grantInvoke "
                "adds <arn>:*); only the pipeline's own four functions.",
            )
        props.job.grant(machine)
        return machine
