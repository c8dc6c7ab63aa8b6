"""The pipeline's job stage on runtime=emr-ec2: a transient EMR cluster per run, and what the state
machine needs for it.

    CreateCluster (RunJobFlow with the job step and the sized core nodes; no keep-alive, step
    failure terminates, idle auto-termination) -> poll ListSteps until the step ends or the
    deadline passes -> TerminateCluster -> VerifyAndRecord -> (the release of the day); any
    failure after the cluster exists (a step past its deadline too) -> TerminateAfterFailure ->
    (the definition's failure path).

With interactive_cluster=true, a run whose input names the interactive cluster takes the branch
of stacks/interactive_job.py instead (OnInteractiveCluster?): its step on that cluster, no cluster
created or terminated.

aws-sdk integrations only (stacks/emr_tasks.py), each granted on this app's clusters only
(stacks/run_clusters.py); terminating only on clusters a run made.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import nag
from stacks.emr_roles import EC2_SERVICE, EMR_SERVICE
from stacks.emr_tasks import STEP_FAILED_STATES, emr_task
from stacks.interactive_job import InteractiveJobBranch, on_interactive_cluster
from stacks.pipeline_states import ALL_ERRORS, ERROR, EXECUTION_ID, PLAN, RUN, SIZE, J, verify_and_record
from stacks.run_clusters import EMR, NAG_FINDING, RunClusters
from wikilake_core import contract
from wikilake_core.cluster import ClusterDefinition

RUN_JOB_FLOW = "runJobFlow"
# RunJobFlow passes the service role to EMR and the instance profile's role to EC2.
EMR_CLEANUP_ROLE = "AWSServiceRoleForEMRCleanup"  # EMR's service-linked role, created at the first cluster
_PASS_ROLE_SIDS = {EMR_SERVICE: "PassServiceRoleToEmr", EC2_SERVICE: "PassInstanceRoleToEc2"}
_CLUSTER_ID = "$.cluster.ClusterId"


@dataclass(frozen=True)
class _PollLoop:
    start: sfn.Pass  # the deadline's count of polls
    wait: sfn.Wait
    poll: tasks.CallAwsService
    job_failed: sfn.Pass
    deadline: sfn.Choice


class ClusterJobStage:
    """The job on a transient cluster of ``definition`` (the ONE cluster definition), passing each of
    ``pass_roles`` (role, the service it goes to) and touching only ``clusters``; with
    ``interactive`` (the stack deploys the interactive cluster), a run whose input names that
    cluster runs its step there instead (stacks/interactive_job.py)."""

    description = "job on a transient EMR cluster"

    def __init__(
        self,
        *,
        definition: ClusterDefinition,
        pass_roles: list[tuple[iam.IRole, str]],
        clusters: RunClusters,
        interactive: bool = False,
    ) -> None:
        self._definition, self._pass_roles, self._clusters = definition, pass_roles, clusters
        self._interactive = InteractiveJobBranch(clusters, log_uri=definition.log_uri) if interactive else None
        if interactive:
            self.description += " (or a step on the interactive cluster)"
        self._request = definition.run_job_flow_request(
            name=J.string_at(f"{PLAN}.cluster_name"),
            steps=J.list_at(f"{PLAN}.steps"),
            extra_tags=(
                (contract.TAG_RUN_DATASET, J.string_at(f"{RUN}.dataset")),
                (contract.TAG_RUN_DT, J.string_at(f"{RUN}.dt")),
                (contract.TAG_RUN_EXECUTION, J.string_at(EXECUTION_ID)),
            ),
            core_count=J.number_at(f"{SIZE}.core_nodes"),
            compute_limits=J.object_at(f"{SIZE}.compute_limits") if definition.managed_scaling else None,
        )

    def states(
        self, scope: Construct, *, record: lambda_.IFunction, on_failure: sfn.State, release_day: sfn.State
    ) -> sfn.IChainable:
        transient = self._transient_states(scope, record=record, on_failure=on_failure, release_day=release_day)
        if self._interactive is None:
            return transient
        interactive = self._interactive.states(scope, record=record, on_failure=on_failure, release_day=release_day)
        return on_interactive_cluster(scope, interactive, otherwise=transient)

    def _transient_states(
        self, scope: Construct, *, record: lambda_.IFunction, on_failure: sfn.State, release_day: sfn.State
    ) -> sfn.IChainable:
        terminate_on_failure = self._emr(
            scope, "TerminateAfterFailure", "terminateJobFlows", {"JobFlowIds": J.array(J.string_at(_CLUSTER_ID))}
        )
        terminate_on_failure.add_catch(on_failure, errors=ALL_ERRORS, result_path="$.cleanup_error")
        terminate_on_failure.next(on_failure)
        create = self._emr(
            scope,
            "CreateCluster",
            RUN_JOB_FLOW,
            self._request,
            result_selector={"ClusterId": J.string_at("$.JobFlowId")},
            result_path="$.cluster",
        )
        create.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        loop = self._poll_loop(scope, terminate_on_failure)
        terminate = self._emr(
            scope, "TerminateCluster", "terminateJobFlows", {"JobFlowIds": J.array(J.string_at(_CLUSTER_ID))}
        )
        terminate.add_catch(terminate_on_failure, errors=ALL_ERRORS, result_path=ERROR)
        verify = verify_and_record(scope, record, {"cluster_id": J.string_at(_CLUSTER_ID)})
        verify.add_catch(terminate_on_failure, errors=ALL_ERRORS, result_path=ERROR)
        job_done = (
            sfn.Choice(scope, "JobDone?")
            .when(sfn.Condition.string_equals("$.step.State", "COMPLETED"), terminate.next(verify).next(release_day))
            .when(
                sfn.Condition.or_(*(sfn.Condition.string_equals("$.step.State", s) for s in STEP_FAILED_STATES)),
                loop.job_failed,
            )
            .otherwise(loop.deadline)
        )
        return create.next(loop.start).next(loop.wait).next(loop.poll).next(job_done)

    def _poll_loop(self, scope: Construct, on_failure: sfn.State) -> _PollLoop:
        """EMR steps have no timeout: the loop counts down the polls the plan's deadline allows;
        a failed or late step goes to ``on_failure``. (CDK renders the states in the order they are
        linked: this order keeps a deployed state machine's definition string as it is.)"""
        wait = sfn.Wait(scope, "WaitForJob", time=sfn.WaitTime.seconds_path(f"{PLAN}.poll_seconds"))
        poll = self._emr(
            scope,
            "PollJob",
            "listSteps",
            {"ClusterId": J.string_at(_CLUSTER_ID)},
            result_selector={"State": J.string_at("$.Steps[0].Status.State"), "Id": J.string_at("$.Steps[0].Id")},
            result_path="$.step",
        )
        poll.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        job_failed = self._job_failed(scope)
        job_failed.next(on_failure)
        start = sfn.Pass(
            scope,
            "StartJobDeadline",
            parameters={"polls_left": J.number_at(f"{SIZE}.deadline_polls")},
            result_path="$.deadline",
        )
        count_poll = sfn.Pass(
            scope,
            "CountPoll",
            parameters={"polls_left": J.math_add(J.number_at("$.deadline.polls_left"), -1)},
            result_path="$.deadline",
        )
        job_timed_out = self._job_timed_out(scope)
        job_timed_out.next(on_failure)
        deadline = (
            sfn.Choice(scope, "DeadlinePassed?")
            .when(sfn.Condition.number_less_than_equals("$.deadline.polls_left", 1), job_timed_out)
            .otherwise(count_poll.next(wait))
        )
        return _PollLoop(start=start, wait=wait, poll=poll, job_failed=job_failed, deadline=deadline)

    def _job_failed(self, scope: Construct) -> sfn.Pass:
        return sfn.Pass(
            scope,
            "JobFailed",
            result_path=ERROR,
            parameters={
                "Error": "JobFailed",
                "Cause": J.format(
                    "job step {} on cluster {} ended {}; step logs under {}{}/steps/{}/",
                    J.string_at("$.step.Id"),
                    J.string_at(_CLUSTER_ID),
                    J.string_at("$.step.State"),
                    self._definition.log_uri,
                    J.string_at(_CLUSTER_ID),
                    J.string_at("$.step.Id"),
                ),
            },
        )

    @staticmethod
    def _job_timed_out(scope: Construct) -> sfn.Pass:
        return sfn.Pass(
            scope,
            "JobTimedOut",
            result_path=ERROR,
            parameters={
                "Error": "JobTimedOut",
                "Cause": J.format(
                    "job step {} on cluster {} still {} at its deadline, {} s after the cluster was requested "
                    "(sized for {} bytes: ~{} s of job on {} core nodes); the cluster is terminated",
                    J.string_at("$.step.Id"),
                    J.string_at(_CLUSTER_ID),
                    J.string_at("$.step.State"),
                    J.string_at(f"{SIZE}.timeout_seconds"),
                    J.string_at(f"{SIZE}.input_bytes"),
                    J.string_at(f"{SIZE}.estimated_seconds"),
                    J.string_at(f"{SIZE}.core_nodes"),
                ),
            },
        )

    def _emr(
        self,
        scope: Construct,
        construct_id: str,
        action: str,
        parameters: dict,
        *,
        result_selector: dict | None = None,
        result_path: str = J.DISCARD,
    ) -> tasks.CallAwsService:
        """RunJobFlow only for a cluster tagged as this app's; the rest only on such clusters that a
        run made (never the interactive cluster). Both condition keys are listed for these actions
        in the Service Authorization Reference (Amazon EMR)."""
        creates = action == RUN_JOB_FLOW
        return emr_task(
            scope,
            construct_id,
            action,
            parameters,
            resources=["*"] if creates else [self._clusters.arns],
            conditions=self._clusters.requested() if creates else self._clusters.made_by_a_run(),
            creates=creates,
            result_selector=result_selector,
            result_path=result_path,
        )

    def grant(self, machine: sfn.StateMachine) -> None:
        self._grant_pass_cluster_roles(machine)
        self._grant_tag_run_clusters(machine)
        steps = " and AddJobFlowSteps, DescribeStep, CancelSteps only on the one tagged as its interactive cluster"
        nag.acknowledge(
            machine,
            nag.iam5_finding("*"),
            "RunJobFlow has no resource-level permissions (the cluster does not exist yet); CloudWatch "
            "Logs delivery and X-Ray tracing for the state machine take * as AWS documents.",
        )
        nag.acknowledge(
            machine,
            NAG_FINDING,
            "Run clusters get their ids at run time: ListSteps, TerminateJobFlows and AddTags on "
            "EMR clusters of this account and region tagged with this app's Project and Stage only "
            "(terminating: a run's own clusters only)" + (steps if self._interactive else "") + ".",
        )

    def _grant_tag_run_clusters(self, machine: sfn.StateMachine) -> None:
        """RunJobFlow with Tags is also authorized as elasticmapreduce:AddTags (Service Authorization
        Reference, Amazon EMR: the API operations table lists AddTags, RunJobFlow and iam:PassRole for
        RunJobFlow). AddTags takes aws:RequestTag, aws:TagKeys and aws:ResourceTag: only this app's
        Project and Stage, only the keys a run's request carries, and never onto a cluster of another
        project or stage. (No plain aws:ResourceTag condition: a cluster being created has no tags
        yet; IfExists lets that case through.) Never onto the interactive cluster either (the Null
        condition: the cluster carries no role tag), which a run's execution tag would otherwise
        make terminable."""
        clusters = self._clusters
        machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="TagRunClusters",
                actions=[f"{EMR}:AddTags"],
                resources=[clusters.arns],
                conditions={
                    **clusters.requested(),
                    "ForAllValues:StringEquals": {"aws:TagKeys": sorted(t["Key"] for t in self._request["Tags"])},
                    "StringEqualsIfExists": clusters.tagged()["StringEquals"],
                    "Null": {f"aws:ResourceTag/{contract.TAG_CLUSTER_ROLE}": "true"},
                },
            )
        )

    def _grant_pass_cluster_roles(self, machine: sfn.StateMachine) -> None:
        """RunJobFlow passes each role to the service that assumes it; EMR may create its cleanup role.

        AWS's AmazonEMRFullAccessPolicy_v2 passes the service role only to elasticmapreduce.amazonaws.com
        and the instance role only to ec2.amazonaws.com (statement PassRoleForEC2), and lets the caller
        create the AWSServiceRoleForEMRCleanup service-linked role, which EMR creates at the first
        cluster of an account (docs.aws.amazon.com/aws-managed-policy/latest/reference/
        AmazonEMRFullAccessPolicy_v2.html; .../emr/latest/ManagementGuide/using-service-linked-roles-cleanup.html).
        """
        for role, service in self._pass_roles:
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    sid=_PASS_ROLE_SIDS[service],
                    actions=["iam:PassRole"],
                    resources=[role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": service}},
                )
            )
        stack = Stack.of(machine)
        machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="CreateEmrCleanupRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/{EMR_SERVICE}/{EMR_CLEANUP_ROLE}"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": EMR_SERVICE}},
            )
        )
