"""The pipeline's alerts: the SNS topic, the failure sink (stacks/failure_sink.py), and the
EventBridge rules that tell the topic what no state of a run could (and start the reap function).

Each run that ends badly alerts once: caught failures from the state machine's NotifyFailure;
failures no Catch sees (States.Runtime, ...), a failed publish (ALERT_NOT_SENT), timeouts and
stops from the rules here; a failed cluster or job run as well. What an asynchronous delivery
gives up on lands in the failure sink.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import nag
from stacks.failure_sink import FailureSink
from stacks.pipeline_definition import ALERT_NOT_SENT, UNCAUGHT_ERROR_PREFIX

# The events AWS sends (Step Functions, EMR and EMR Serverless user guides, "EventBridge events").
EXECUTION_STATUS_CHANGE = ("aws.states", "Step Functions Execution Status Change")
CLUSTER_STATE_CHANGE = ("aws.emr", "EMR Cluster State Change")
JOB_RUN_STATE_CHANGE = ("aws.emr-serverless", "EMR Serverless Job Run State Change")
# TIMED_OUT and ABORTED end a run without running another state: no NotifyFailure.
ENDED_WITHOUT_A_STATE = ["TIMED_OUT", "ABORTED"]
ENDED_BADLY = [*ENDED_WITHOUT_A_STATE, "FAILED"]


def _pattern(source: tuple[str, str], detail: dict) -> events.EventPattern:
    service, detail_type = source
    return events.EventPattern(source=[service], detail_type=[detail_type], detail=detail)


class PipelineAlerts:
    """Builds into ``scope`` (the pipeline's own, so the topic, its subscriptions and the dead-letter
    queue keep their logical ids): ``topic`` and ``failures`` at once, the rules once there is a
    state machine to watch (``watch_*``)."""

    def __init__(self, scope: Construct, *, name: str, email: str | None = None) -> None:
        self._scope, self._name = scope, name
        self.topic = sns.Topic(scope, "Alerts", display_name=f"{name} pipeline alerts", enforce_ssl=True)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        nag.skip_checkov(
            self.topic,
            "CKV_AWS_26",
            "Alerts carry run ids and error messages, no lake data; EventBridge can publish to an "
            "encrypted topic only with a customer-managed key whose policy admits events.amazonaws.com. "
            "Publishing requires TLS (enforce_ssl).",
        )
        self.failures = FailureSink(scope, "Failures", name=name, alerts=self.topic)

    def _alert(self) -> events_targets.SnsTopic:
        """The topic as a rule target; what EventBridge cannot deliver lands in the sink."""
        return events_targets.SnsTopic(self.topic, dead_letter_queue=self.failures.queue)

    def _rule(self, construct_id: str, what: str, pattern: events.EventPattern, target: events.IRuleTarget) -> None:
        events.Rule(
            self._scope, construct_id, description=f"{self._name}: {what}", event_pattern=pattern, targets=[target]
        )

    def watch_clusters(self) -> None:
        """EMR on EC2: a cluster of this app (named <name>-...) that failed."""
        detail = {"state": ["TERMINATED_WITH_ERRORS"], "name": [{"prefix": self._name}]}
        self._rule(
            "ClusterFailedRule", "a cluster of this app failed", _pattern(CLUSTER_STATE_CHANGE, detail), self._alert()
        )

    def watch_job_runs(self, application_id: str) -> None:
        """EMR Serverless: a job run of this app's application that failed."""
        detail = {"state": ["FAILED"], "applicationId": [application_id]}
        self._rule(
            "JobRunFailedRule", "a job run of this app failed", _pattern(JOB_RUN_STATE_CHANGE, detail), self._alert()
        )

    def watch_runs(self, state_machine: sfn.IStateMachine, reap: lambda_.IFunction) -> None:
        """The runs that end without alerting themselves, and the reap function for every run that
        ends badly. A FAILED run alerts exactly once: every caught failure publishes from
        NotifyFailure and ends under a name of ours (never States.*: see OwnError?); the rule here
        takes the two that did not publish: an error no catcher runs for (States.Runtime,
        States.DataLimitExceeded) and a publish that failed. The message is the whole event: "the
        detail section in the event data provides the same information as the DescribeExecution
        API" (Step Functions developer guide, events), whose answer carries error, cause,
        executionArn and input (Step Functions API reference)."""

        def ended(detail: dict) -> events.EventPattern:
            return _pattern(EXECUTION_STATUS_CHANGE, {**detail, "stateMachineArn": [state_machine.state_machine_arn]})

        self._rule(
            "RunTimedOutRule",
            "a pipeline run timed out or was stopped",
            ended({"status": ENDED_WITHOUT_A_STATE}),
            self._alert(),
        )
        self._rule(
            "RunFailedUnalertedRule",
            "a pipeline run failed without publishing its alert",
            ended({"status": ["FAILED"], "error": [{"prefix": UNCAUGHT_ERROR_PREFIX}, ALERT_NOT_SENT]}),
            self._alert(),
        )
        self._rule(
            "ReapRule",
            "end the cluster of a run that did not",
            ended({"status": ENDED_BADLY}),
            events_targets.LambdaFunction(reap, retry_attempts=4, dead_letter_queue=self.failures.queue),
        )
