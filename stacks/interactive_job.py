"""The job stage's branch for a run whose input names the interactive cluster (``cluster_id``;
runtime=emr-ec2 with interactive_cluster=true): the run's step goes to that cluster; nothing is
created and nothing is terminated.

    AddJobStep (AddJobFlowSteps: the plan's step, ActionOnFailure CONTINUE) -> poll DescribeStep
    until the step ends or the deadline passes -> VerifyAndRecordStep -> (the release of the day);
    a failed step (or any failure) -> (the definition's failure path); a step past its deadline ->
    CancelStep -> (the failure path).

The plan function has checked that the id names the stack's interactive cluster and that it takes
steps (functions/wikilake_functions/interactive.py); each EMR action here is granted only on a
cluster carrying that cluster's tags (stacks/run_clusters.py), so an input naming another cluster
is refused by IAM too. Lease, plan, ingest, sizing, verification, quality, publishing and the
release are the same states as for any run (stacks/pipeline_definition.py).
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.emr_tasks import STEP_FAILED_STATES, emr_task
from stacks.pipeline_states import ALL_ERRORS, ERROR, PLAN, RUN, SIZE, VERIFY_AND_RECORD, J, verify_and_record
from stacks.run_clusters import RunClusters
from wikilake_core import runs

CLUSTER_ID = f"{RUN}.{runs.CLUSTER_ID}"  # the input's cluster, as the plan checked it
STEP_ID = "$.job_step.StepId"


def on_interactive_cluster(scope: Construct, interactive: sfn.IChainable, *, otherwise: sfn.IChainable) -> sfn.Choice:
    """The run's input names a cluster: the interactive branch; else ``otherwise`` (a cluster of
    the run's own)."""
    return (
        sfn.Choice(scope, "OnInteractiveCluster?")
        .when(sfn.Condition.is_present(CLUSTER_ID), interactive)
        .otherwise(otherwise)
    )


class InteractiveJobBranch:
    """The states of a run on the interactive cluster, touching only a cluster with its tags."""

    def __init__(self, clusters: RunClusters, *, log_uri: str) -> None:
        self._clusters, self._log_uri = clusters, log_uri

    def states(
        self, scope: Construct, *, record: lambda_.IFunction, on_failure: sfn.State, release_day: sfn.State
    ) -> sfn.IChainable:
        add_step = self._emr(
            scope,
            "AddJobStep",
            "addJobFlowSteps",
            {"JobFlowId": J.string_at(CLUSTER_ID), "Steps": J.list_at(f"{PLAN}.steps")},
            creates=True,
            result_selector={"StepId": J.string_at("$.StepIds[0]")},
            result_path="$.job_step",
        )
        add_step.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        verify = verify_and_record(
            scope,
            record,
            {"cluster_id": J.string_at(CLUSTER_ID), "step_id": J.string_at(STEP_ID)},
            construct_id=f"{VERIFY_AND_RECORD}Step",
        )
        verify.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        start, wait, poll = self._poll(scope, on_failure)
        step_failed = self._step_failed(scope)
        step_failed.next(on_failure)
        step_done = (
            sfn.Choice(scope, "StepDone?")
            .when(sfn.Condition.string_equals("$.step.State", "COMPLETED"), verify.next(release_day))
            .when(
                sfn.Condition.or_(*(sfn.Condition.string_equals("$.step.State", s) for s in STEP_FAILED_STATES)),
                step_failed,
            )
            .otherwise(self._deadline(scope, wait, on_failure))
        )
        return add_step.next(start).next(wait).next(poll).next(step_done)

    def _poll(self, scope: Construct, on_failure: sfn.State) -> tuple[sfn.Pass, sfn.Wait, tasks.CallAwsService]:
        """EMR steps have no timeout: the polls the plan's deadline allows are counted down."""
        start = sfn.Pass(
            scope,
            "StartStepDeadline",
            parameters={"polls_left": J.number_at(f"{SIZE}.deadline_polls")},
            result_path="$.deadline",
        )
        wait = sfn.Wait(scope, "WaitForStep", time=sfn.WaitTime.seconds_path(f"{PLAN}.poll_seconds"))
        poll = self._emr(
            scope,
            "PollStep",
            "describeStep",
            {"ClusterId": J.string_at(CLUSTER_ID), "StepId": J.string_at(STEP_ID)},
            # Only what the choice needs: EMR's answer carries datetimes moto cannot serialize.
            result_selector={"State": J.string_at("$.Step.Status.State"), "Id": J.string_at("$.Step.Id")},
            result_path="$.step",
        )
        poll.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        return start, wait, poll

    def _deadline(self, scope: Construct, wait: sfn.Wait, on_failure: sfn.State) -> sfn.Choice:
        """Past the deadline: cancel the step (the cluster stays) and fail; else poll again."""
        cancel = self._emr(
            scope,
            "CancelStep",
            "cancelSteps",
            {
                "ClusterId": J.string_at(CLUSTER_ID),
                "StepIds": J.array(J.string_at(STEP_ID)),
                "StepCancellationOption": "SEND_INTERRUPT",
            },
        )
        timed_out = sfn.Pass(
            scope,
            "StepTimedOut",
            result_path=ERROR,
            parameters={
                "Error": "JobTimedOut",
                "Cause": J.format(
                    "job step {} on the interactive cluster {} still {} at its deadline, {} s after it was "
                    "added; the step is cancelled, the cluster stays",
                    J.string_at(STEP_ID),
                    J.string_at(CLUSTER_ID),
                    J.string_at("$.step.State"),
                    J.string_at(f"{SIZE}.timeout_seconds"),
                ),
            },
        )
        # A cancel that fails (the step ended meanwhile, say) must not keep the run from failing.
        cancel.add_catch(timed_out, errors=ALL_ERRORS, result_path="$.cleanup_error")
        cancel.next(timed_out)
        timed_out.next(on_failure)
        count_poll = sfn.Pass(
            scope,
            "CountStepPoll",
            parameters={"polls_left": J.math_add(J.number_at("$.deadline.polls_left"), -1)},
            result_path="$.deadline",
        )
        return (
            sfn.Choice(scope, "StepDeadlinePassed?")
            .when(sfn.Condition.number_less_than_equals("$.deadline.polls_left", 1), cancel)
            .otherwise(count_poll.next(wait))
        )

    def _step_failed(self, scope: Construct) -> sfn.Pass:
        return sfn.Pass(
            scope,
            "StepFailed",
            result_path=ERROR,
            parameters={
                "Error": "JobFailed",
                "Cause": J.format(
                    "job step {} on the interactive cluster {} ended {}; step logs under {}{}/steps/{}/",
                    J.string_at(STEP_ID),
                    J.string_at(CLUSTER_ID),
                    J.string_at("$.step.State"),
                    self._log_uri,
                    J.string_at(CLUSTER_ID),
                    J.string_at(STEP_ID),
                ),
            },
        )

    def _emr(
        self, scope: Construct, construct_id: str, action: str, parameters: dict, **kwargs
    ) -> tasks.CallAwsService:
        """Allowed only on a cluster carrying the interactive cluster's tags."""
        clusters = self._clusters
        return emr_task(
            scope,
            construct_id,
            action,
            parameters,
            resources=[clusters.arns],
            conditions=clusters.interactive(),
            **kwargs,
        )
