"""The failure sink in the synthesized templates: one encrypted, TLS-only dead-letter queue behind
every EventBridge rule target, every schedule and the reap function's asynchronous invocations;
an alarm on it that reaches the alerts topic; and the split that makes each FAILED run alert once.

What each service needs, from AWS's documentation:
- EventBridge rule DLQ: a standard SQS queue whose policy lets events.amazonaws.com SendMessage,
  scoped by aws:SourceArn to the rule (EventBridge User Guide, "Using dead-letter queues to
  process undelivered events", granting permissions to the dead-letter queue).
- EventBridge Scheduler DLQ: a standard queue; the schedule's execution role needs sqs:SendMessage
  on it (Scheduler User Guide, "Configuring a schedule's dead-letter queue", execution role).
- Lambda on-failure destination: a standard queue; the function's execution role needs
  sqs:SendMessage on it (Lambda Developer Guide, "Capturing records of asynchronous invocations").
(Executing the alert split: tests/pipeline/test_state_machine.py.)"""

import json

import pytest

from stacks.pipeline_definition import ALERT_NOT_SENT
from wikilake_core.contract import Outputs

from .test_pipeline import _policy_statements, definition

VARIANTS = ("default", "full", "byo", "serverless")
FOURTEEN_DAYS = 14 * 24 * 3600


def _queue(template) -> str:
    (queue_id,) = template.find_resources("AWS::SQS::Queue")
    return queue_id


def _queue_arn(template) -> dict:
    return {"Fn::GetAtt": [_queue(template), "Arn"]}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_sink_is_encrypted_tls_only_and_keeps_letters_14_days(templates, variant):
    processing = templates(variant, "processing")
    queue = processing.find_resources("AWS::SQS::Queue")[_queue(processing)]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == FOURTEEN_DAYS
    assert "FifoQueue" not in queue  # EventBridge, Scheduler and Lambda take standard queues only
    (policy,) = processing.find_resources("AWS::SQS::QueuePolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "sqs:*"
    assert deny["Principal"] == {"AWS": "*"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_rule_target_keeps_what_it_cannot_deliver_and_only_those_rules_may_send(templates, variant):
    processing = templates(variant, "processing")
    rules = processing.find_resources("AWS::Events::Rule")
    assert rules
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"] == {"Arn": _queue_arn(processing)}
    (policy,) = processing.find_resources("AWS::SQS::QueuePolicy").values()
    allowed = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allowed)
    assert all(s["Action"] == "sqs:SendMessage" for s in allowed)
    assert sorted(s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in allowed) == sorted(rules)


def test_every_schedule_keeps_a_start_it_could_not_make(templates):
    processing = templates("full", "processing")
    schedules = processing.find_resources("AWS::Scheduler::Schedule")
    assert len(schedules) == 2
    roles = set()
    for schedule in schedules.values():
        target = schedule["Properties"]["Target"]
        assert target["DeadLetterConfig"] == {"Arn": _queue_arn(processing)}
        roles.add(target["RoleArn"]["Fn::GetAtt"][0])
    for role in roles:
        sends = [s for s in _policy_statements(processing, role) if "sqs:SendMessage" in json.dumps(s["Action"])]
        assert [s["Resource"] for s in sends] == [_queue_arn(processing)]


@pytest.mark.parametrize("variant", ["default", "full", "byo"])
def test_the_reap_function_sends_its_failed_async_invocations_to_the_sink(templates, variant):
    processing = templates(variant, "processing")
    (config,) = processing.find_resources("AWS::Lambda::EventInvokeConfig").values()
    properties = config["Properties"]
    assert properties["FunctionName"]["Ref"].startswith("PipelineReapFunction")
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": _queue_arn(processing)}}
    assert properties["MaximumRetryAttempts"] == 2
    sends = [
        s for s in _policy_statements(processing, "PipelineReapFunctionServiceRole") if "sqs:SendMessage" in s["Action"]
    ]
    assert [s["Resource"] for s in sends] == [_queue_arn(processing)]


def test_the_serverless_reap_function_keeps_its_failed_events_too(templates):
    """With runtime=emr-serverless the reap function only gives a run's day back (issue 27); an
    event it could not handle is kept like on EC2."""
    processing = templates("serverless", "processing")
    (config,) = processing.find_resources("AWS::Lambda::EventInvokeConfig").values()
    assert "OnFailure" in config["Properties"]["DestinationConfig"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_waiting_dead_letter_raises_an_alarm_on_the_alerts_topic(templates, variant):
    processing = templates(variant, "processing")
    (topic,) = processing.find_resources("AWS::SNS::Topic")
    ((alarm_id, alarm),) = processing.find_resources("AWS::CloudWatch::Alarm").items()
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [_queue(processing), "QueueName"]}}
    ]
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanThreshold", 0)
    assert properties["TreatMissingData"] == "notBreaching"  # an idle queue publishes no metric
    assert properties["AlarmActions"] == [{"Ref": topic}]
    (policy,) = processing.find_resources("AWS::SNS::TopicPolicy").values()
    (alarm_may_publish,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert alarm_may_publish["Action"] == "sns:Publish"
    assert alarm_may_publish["Condition"]["ArnEquals"] == {"aws:SourceArn": {"Fn::GetAtt": [alarm_id, "Arn"]}}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_stack_names_the_sink_for_wikilake_status(synthesized, variant):
    outputs = synthesized.template_json(variant, "processing")["Outputs"]
    assert outputs[Outputs.DEAD_LETTER_QUEUE_URL]["Value"] == {
        "Ref": _queue(synthesized.template(variant, "processing"))
    }


@pytest.mark.parametrize("variant", ["default", "serverless"])
def test_each_failed_run_alerts_from_exactly_one_place(templates, variant):
    """A caught failure publishes from NotifyFailure and ends under a name of ours: never States.*
    (OwnError? maps those to PipelineError), AlertNotSent only when the publish itself failed. The
    rule alerts exactly the rest: FAILED under States.* (nothing caught it) or AlertNotSent."""
    processing = templates(variant, "processing")
    states = definition(processing)["States"]
    notify = states["NotifyFailure"]
    assert notify["Next"] == "OwnError?"
    (catch,) = notify["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert states[catch["Next"]] == {
        "Type": "Fail",
        "Error": ALERT_NOT_SENT,
        "CausePath": "States.Format('{}: {}', $.error.Error, $.error.Cause)",
    }
    own_error = states["OwnError?"]
    (internal,) = own_error["Choices"]
    assert internal["StringMatches"] == "States.*" and states[internal["Next"]]["Error"] == "PipelineError"
    assert states[own_error["Default"]]["ErrorPath"] == "$.error.Error"
    fails = {name for name, state in states.items() if state["Type"] == "Fail"}
    assert fails == {internal["Next"], own_error["Default"], catch["Next"]}

    rules = processing.find_resources("AWS::Events::Rule").values()
    (topic,) = processing.find_resources("AWS::SNS::Topic")
    failed = [r for r in rules if "FAILED" in r["Properties"]["EventPattern"]["detail"].get("status", [])]
    (alert,) = [r for r in failed if r["Properties"]["Targets"][0]["Arn"] == {"Ref": topic}]
    detail = alert["Properties"]["EventPattern"]["detail"]
    assert detail["status"] == ["FAILED"]
    assert detail["error"] == [{"prefix": "States."}, ALERT_NOT_SENT]
    assert "InputTransformer" not in alert["Properties"]["Targets"][0]  # the whole event: error and cause
