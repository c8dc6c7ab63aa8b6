"""`wikilake run --cluster interactive` against moto: the submitted step, following it, failures and
their log tail."""

from __future__ import annotations

import gzip

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import ElasticMapReduceBackend, Step
from moto.s3.models import s3_backends

from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_core.submit import JobScripts, spark_step

DT = "2015-09-12"


class StepScript:
    """What moto's steps do (moto itself leaves every step RUNNING forever)."""

    def __init__(self):
        self.states = ["RUNNING", "COMPLETED"]
        self.failure: dict | None = None  # FailureDetails, as EMR reports them
        self.log: bytes | None = None  # stderr, copied to the log location on failure
        self.describes = 0


@pytest.fixture
def emr_steps(monkeypatch) -> StepScript:
    """The minimal patch: moto's DescribeStep moves the step through ``script.states`` (one state
    per call, the last one sticks), and on failure copies stderr.gz to the cluster's LogUri and
    reports FailureDetails, as EMR does."""
    script = StepScript()
    describe = ElasticMapReduceBackend.describe_step
    status = Step.status.fget

    def describe_step(backend, cluster_id, step_id):
        step = describe(backend, cluster_id, step_id)
        step.state = script.states[min(script.describes, len(script.states) - 1)]
        script.describes += 1
        log_uri = backend.clusters[cluster_id].log_uri
        if step.state == "FAILED" and script.log is not None:
            bucket, _, prefix = log_uri.removeprefix("s3://").partition("/")
            s3_backends[DEFAULT_ACCOUNT_ID]["aws"].put_object(
                bucket, f"{prefix}{cluster_id}/steps/{step_id}/stderr.gz", gzip.compress(script.log)
            )
        return step

    def status_with_failure(step):
        result = status(step)
        if step.state == "FAILED" and script.failure:
            result["FailureDetails"] = script.failure
        return result

    monkeypatch.setattr(ElasticMapReduceBackend, "describe_step", describe_step)
    monkeypatch.setattr(Step, "status", property(status_with_failure))
    return script


FOLLOW_FAST = ("--poll", "0.01", "--log-wait", "2")
INTERACTIVE = ("--cluster", "interactive")


def expected_step(deployed, dataset: str, dt: str, job_options=()) -> dict:
    """What the ProcessingStack would declare for (dataset, dt), from the same outputs."""
    scripts = JobScripts(
        package_url=deployed.outputs[Outputs.JOBS_PACKAGE_URL],
        entrypoint_urls={dataset: deployed.outputs[job_entrypoint_output(dataset)]},
    )
    return spark_step(dataset, dt, bucket=deployed.bucket, scripts=scripts, job_options=job_options)


def submitted_steps(clients, cluster_id: str) -> list[dict]:
    return clients.emr.list_steps(ClusterId=cluster_id)["Steps"]


@pytest.mark.parametrize(
    "dataset, dt, job_args, job_options",
    [
        ("edits", DT, "--country 'United Kingdom'", ("--country", "United Kingdom")),
        ("pageviews", "2024-03-15", "", ()),
    ],
)
def test_the_step_that_reaches_emr_is_the_stacks_step(
    wikilake, deployed, clients, aws_options, dataset, dt, job_args, job_options
):
    code, out, err = wikilake(
        "run", dataset, "--date", dt, *INTERACTIVE, "--no-wait", f"--job-args={job_args}", *aws_options
    )

    assert code == 0, err
    [listed] = submitted_steps(clients, deployed.cluster_id)
    assert out.strip() == listed["Id"]
    described = clients.emr.describe_step(ClusterId=deployed.cluster_id, StepId=listed["Id"])["Step"]
    want = expected_step(deployed, dataset, dt, job_options)
    assert described["Name"] == want["Name"]
    assert described["ActionOnFailure"] == want["ActionOnFailure"]
    assert described["Config"]["Jar"] == want["HadoopJarStep"]["Jar"]
    assert described["Config"]["Args"] == want["HadoopJarStep"]["Args"]


def test_a_completed_step_exits_zero(wikilake, deployed, clients, aws_options, emr_steps):
    emr_steps.states = ["PENDING", "RUNNING", "RUNNING", "COMPLETED"]

    code, out, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *FOLLOW_FAST, *aws_options)

    assert code == 0, err
    step_id = submitted_steps(clients, deployed.cluster_id)[0]["Id"]
    assert f"step {step_id} COMPLETED" in out
    assert emr_steps.describes == 4  # followed until the waiter's success state, no further


def test_a_failed_step_prints_its_log_tail_and_exits_one(wikilake, deployed, aws_options, emr_steps):
    log = "".join(f"log line {i}\n" for i in range(100)) + "Traceback: ValueError: bad input\n"
    emr_steps.states = ["RUNNING", "FAILED"]
    emr_steps.log = log.encode()
    emr_steps.failure = {"Reason": "Unknown error.", "Message": "ValueError: bad input"}

    code, out, err = wikilake(
        "run", "edits", "--date", DT, *INTERACTIVE, "--log-lines", "5", *FOLLOW_FAST, *aws_options
    )

    assert code == 1
    tail = log.splitlines()[-5:]
    assert all(line in err for line in tail)
    assert "log line 94" not in err
    assert "/steps/" in err and "stderr.gz" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("wikilake: error: step s-") and "FAILED" in last
    assert "ValueError: bad input" in last


def test_a_failed_step_whose_log_is_not_there_yet_says_where_it_will_be(wikilake, deployed, aws_options, emr_steps):
    emr_steps.states = ["FAILED"]

    code, _, err = wikilake(
        "run", "edits", "--date", DT, *INTERACTIVE, "--poll", "0.01", "--log-wait", "0.2", *aws_options
    )

    assert code == 1
    assert f"aws s3 cp s3://{deployed.bucket}/logs/emr/{deployed.cluster_id}/steps/" in err


def test_following_gives_up_after_the_timeout(wikilake, deployed, aws_options, emr_steps):
    emr_steps.states = ["RUNNING"]

    code, _, err = wikilake(
        "run", "edits", "--date", DT, *INTERACTIVE, "--poll", "0.05", "--timeout", "0.005", *aws_options
    )

    assert code == 1
    assert "is still RUNNING after" in err and "wikilake status" in err


def test_a_terminated_cluster_is_refused(wikilake, deployed, clients, aws_options):
    clients.emr.terminate_job_flows(JobFlowIds=[deployed.cluster_id])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert f"cluster {deployed.cluster_id} is TERMINATED" in err and "cannot run steps" in err
    assert submitted_steps(clients, deployed.cluster_id) == []


def test_without_the_processing_stack(wikilake, deployed, clients, aws_options):
    clients.cloudformation.delete_stack(StackName=deployed.stacks["processing"])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert err == (
        "wikilake: error: stack output EmrClusterId not found: Wikilake-dev-Processing is "
        "not deployed in us-east-1 (deploy with `make deploy`, or check "
        "--stack-prefix/--stage/--region)\n"
    )


def test_an_output_missing_from_deployed_stacks(wikilake, deployed, clients, aws_options):
    from aws_stacks import redeploy

    redeploy(clients.cloudformation, deployed, "storage", drop=[Outputs.JOBS_PACKAGE_URL])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert "stack output SparkJobsPackageUrl not found in Wikilake-dev-Storage" in err


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (("run", "clicks", "--date", DT), 2, "argument dataset: invalid choice: 'clicks'"),
        (("run", "edits", "--date", "12/09/2015"), 1, "bad date '12/09/2015'"),
        (("run", "edits", "--date", DT, "--job-args=--country 'France"), 1, "bad --job-args"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(wikilake, argv, code, message, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    status, _, err = wikilake(*argv)
    assert status == code and message in err and err.count("\n") == 1


def test_without_credentials(wikilake, aws_options, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)
    assert code == 1 and "no AWS credentials found" in err
