"""The pipeline's one failure sink: an SQS dead-letter queue for every asynchronous delivery that
gave up (EventBridge rule targets, EventBridge Scheduler targets, the reap function's asynchronous
invocations), and an alarm that tells the alerts topic as soon as a dead letter is waiting.

- Encryption: SQS-managed keys (SSE-SQS). EventBridge, EventBridge Scheduler and Lambda send to it
  with no key policy to keep in step. With KMS, "to enable an event source to access the encrypted
  Amazon SQS queue, you need to configure the queue with a customer-managed AWS KMS key" whose key
  policy admits each service (SQS Developer Guide, least-privilege policies for encrypted queues).
  The messages are run events (execution ARN, input, error), no lake data.
- TLS only (a queue policy denying aws:SecureTransport=false), 14 days' retention (SQS's maximum),
  so a dead letter outlives a long weekend.
- Redrive: SQS's StartMessageMoveTask moves messages only out of queues that are the DLQ of another
  SQS queue ("Non-SQS queue sources of dead-letter queues, such as Lambda or Amazon SNS topics, are
  currently not supported", SQS API reference, StartMessageMoveTask). A dead letter here is redone
  by hand; docs/running-daily.md ("Dead letters") says how for each kind.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import nag

RETENTION = Duration.days(14)  # SQS's maximum
# SQS publishes queue metrics every minute while the queue is active; the alarm looks at each
# 5 minutes' maximum, and an empty queue that has gone quiet (no metric at all) is not breaching.
ALARM_PERIOD = Duration.minutes(5)


class FailureSink(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name: str, alerts: sns.Topic) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=RETENTION,
            # Letters are about runs of this stack: nothing is left to redo once it is destroyed.
            removal_policy=RemovalPolicy.DESTROY,
        )
        nag.skip_checkov(
            self.queue,
            "CKV_AWS_27",
            "Encrypted with SQS-managed keys (SqsManagedSseEnabled), which this check does not read: a KMS "
            "key would have to be a customer-managed one whose policy admits EventBridge, Scheduler and "
            "Lambda (AWS's aws/sqs key cannot).",
        )
        nag.acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the pipeline's EventBridge rule targets, "
            "schedules and reap function (not of another SQS queue, which is what the rule looks for).",
        )
        self.alarm = self._alarm(name, alerts)

    def _alarm(self, name: str, alerts: sns.Topic) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "DeadLettersWaiting",
            alarm_description=f"{name}: a delivery gave up and left a dead letter (`wikilake status`)",
            metric=self.queue.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(alerts))
        # The topic's own policy (TLS only) replaces SNS's default one: admit this alarm by name.
        stack = Stack.of(self)
        alerts.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmPublishes",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[alerts.topic_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": alarm.alarm_arn},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        return alarm
