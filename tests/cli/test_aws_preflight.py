"""`wikilake preflight` against moto: all green, and one failing line for each wall a new account
meets (no bootstrap stack, a vCPU quota below the cluster's need, a Lambda quota of 10 with the
opt-in reservation).

moto lacks two of the APIs the checks read, so this module fills them in, in-process:
- Lambda GetAccountSettings has no route in moto 5.2: this module's own moto server (the
  ``moto_server`` fixture below overrides the shared one) adds the route, answered by a
  LambdaResponse subclass: the quota is the test's, the unreserved concurrency is the quota less
  the reservations of the functions in moto's Lambda backend (as Lambda computes it).
- Service Quotas in moto knows only VPC quotas (and has no GetAWSDefaultServiceQuota): the
  backend's ``get_service_quota`` is patched to answer the test's EC2 and EMR Serverless values.
What stays untested here: how real Service Quotas answers a quota never changed (the applied-value
vs default fallback is exercised only as far as moto's NoSuchResourceException, in
test_aws_preflight_moto_gaps.py), the real GetAccountSettings beyond the two fields read, and
ListReleaseLabels pagination (moto answers one page).

Expected numbers are worked out here from cdk.json and the vCPU counts AWS publishes for the
instance types ("Amazon EC2 instance types", general purpose: m5.xlarge 4 vCPUs, m5.2xlarge 8),
not from the command's own arithmetic.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path

import pytest
from aws_stacks import deploy_stack, redeploy
from conftest import Clients
from moto.awslambda import urls as lambda_urls
from moto.awslambda.responses import LambdaResponse
from moto.server import ThreadedMotoServer
from moto.servicequotas.models import ServiceQuotasBackend

from wikilake_core.contract import Outputs

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
VCPUS = {"m5.xlarge": 4, "m5.2xlarge": 8}  # AWS: Amazon EC2 instance types, general purpose
LAMBDA_MIN_UNRESERVED = 100  # Lambda developer guide: reserved concurrency leaves >= 100 unreserved
ON_DEMAND, SPOT, SERVERLESS = ("ec2", "L-1216C47A"), ("ec2", "L-34B43A08"), ("emr-serverless", "L-D05C8A75")
PLENTY = 256


class AccountSettings(LambdaResponse):
    """GetAccountSettings for moto's Lambda: the test's quota, less the functions' reservations."""

    quota = 1000

    def get_account_settings(self):
        reserved = sum(int(f.reserved_concurrency or 0) for f in self.backend.list_functions())
        limit = {"ConcurrentExecutions": self.quota, "UnreservedConcurrentExecutions": self.quota - reserved}
        return 200, {}, json.dumps({"AccountLimit": limit, "AccountUsage": {"FunctionCount": 0}})


@pytest.fixture(scope="module")
def moto_server():
    """A moto server of this module's own, whose Lambda answers GetAccountSettings."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    patch = pytest.MonkeyPatch()
    patch.setitem(lambda_urls.url_paths, r"{0}/(?P<api_version>[^/]+)/account-settings/?$", AccountSettings.dispatch)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    patch.undo()


@pytest.fixture(scope="module")
def session_clients(moto_server) -> Clients:
    return Clients(moto_server)


@pytest.fixture
def quotas(monkeypatch) -> dict:
    """The account's quota values by (service, code); moto's own answer for any other quota."""
    values = {ON_DEMAND: PLENTY, SPOT: PLENTY, SERVERLESS: PLENTY}
    original = ServiceQuotasBackend.get_service_quota

    def get_service_quota(backend, service_code, quota_code):
        if (service_code, quota_code) not in values:
            return original(backend, service_code, quota_code)
        return {"ServiceCode": service_code, "QuotaCode": quota_code, "Value": float(values[service_code, quota_code])}

    monkeypatch.setattr(ServiceQuotasBackend, "get_service_quota", get_service_quota)
    return values


@pytest.fixture
def lambda_quota(monkeypatch):
    def set_quota(value: int) -> None:
        monkeypatch.setattr(AccountSettings, "quota", value)

    return set_quota


@pytest.fixture
def bootstrapped(clients):
    """What `cdk bootstrap` leaves that preflight reads: the stack and its version parameter."""
    deploy_stack(clients.cloudformation, "CDKToolkit", {"BootstrapVersion": "29"})
    clients.ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="29", Type="String")


@pytest.fixture
def deployed_with_outputs(deployed, clients, quotas):
    """The default app deployed with every output the CLI reads, in an account with room for it."""
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:wikilake-dev"
    redeploy(clients.cloudformation, deployed, "processing", **{Outputs.STATE_MACHINE_ARN: arn})
    return deployed


@pytest.fixture
def ready(deployed_with_outputs, bootstrapped):
    return deployed_with_outputs


def checks(out: str) -> dict[str, tuple[str, str]]:
    """{check name: (status, rest of the line)} from preflight's one line per check."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("pass", "fail", "skipped"):
            name, _, detail = rest.strip().partition(": ")
            found[name] = (status, detail)
    return found


def failing(out: str) -> list[str]:
    return [name for name, (status, _) in checks(out).items() if status == "fail"]


def default_on_demand_vcpus() -> int:
    """The biggest run's cluster as cdk.json defines it: 1 primary + run_core_nodes_max core nodes
    (a run's sizing gives it up to that many), all on-demand (task_instance_count 0, managed
    scaling off)."""
    assert CONTEXT["task_instance_count"] == 0 and CONTEXT["managed_scaling_max"] == 0
    return (
        VCPUS[CONTEXT["primary_instance_type"]] + CONTEXT["run_core_nodes_max"] * VCPUS[CONTEXT["core_instance_type"]]
    )


def test_all_green_for_the_default_app(wikilake, aws_options, ready):
    code, out, err = wikilake("preflight", *aws_options)
    assert (code, err) == (0, ""), out
    found = checks(out)
    assert [name for name, (status, _) in found.items() if status != "pass"] == ["EMR Serverless vCPUs"]
    assert found["EMR Serverless vCPUs"] == ("skipped", "runtime emr-ec2 runs no EMR Serverless application")
    need = default_on_demand_vcpus()
    assert need == 16  # 1 primary + 3 core m5.xlarge
    assert f"one run's cluster needs {need} " in found["EC2 on-demand vCPUs"][1]
    assert f"backfill --max-concurrency 2 needs {2 * need}" in found["EC2 on-demand vCPUs"][1]
    assert found["EC2 spot vCPUs"] == ("pass", "the run cluster uses none")
    assert "version 29" in found["CDK bootstrap"][1]
    assert f"{CONTEXT['release_label']} is offered in us-east-1" in found["EMR release"][1]
    assert "deployed with their outputs" in found["deployed stacks"][1]
    assert "account 123456789012" in found["credentials and region"][1]
    assert out.splitlines()[-1] == "preflight: fits: 7 passed, 0 failed, 1 skipped"


def test_all_green_for_emr_serverless_before_the_first_deploy(wikilake, aws_options, bootstrapped, quotas):
    quotas[SERVERLESS] = CONTEXT["serverless_max_vcpu"]
    code, out, _ = wikilake("preflight", "--runtime", "emr-serverless", *aws_options)
    assert code == 0, out
    found = checks(out)
    assert found["EMR Serverless vCPUs"][0] == "pass"
    assert f"the application's cap is {CONTEXT['serverless_max_vcpu']}" in found["EMR Serverless vCPUs"][1]
    assert found["EC2 on-demand vCPUs"][0] == found["EC2 spot vCPUs"][0] == "skipped"
    assert found["deployed stacks"][0] == "pass" and "not deployed yet" in found["deployed stacks"][1]


def test_no_bootstrap_stack_is_one_failing_line(wikilake, aws_options, deployed_with_outputs):
    code, out, _ = wikilake("preflight", *aws_options)
    assert code == 1
    assert failing(out) == ["CDK bootstrap"]
    detail = checks(out)["CDK bootstrap"][1]
    assert "no CDKToolkit stack in us-east-1" in detail
    assert "fix: npx cdk bootstrap aws://123456789012/us-east-1" in detail


def test_an_on_demand_quota_below_one_cluster_fails(wikilake, aws_options, ready, quotas):
    need = default_on_demand_vcpus()
    quotas[ON_DEMAND] = need - 1
    code, out, _ = wikilake("preflight", *aws_options)
    assert code == 1
    assert failing(out) == ["EC2 on-demand vCPUs"]
    detail = checks(out)["EC2 on-demand vCPUs"][1]
    assert f"quota {need - 1} (L-1216C47A); one run's cluster needs {need}" in detail
    assert "a run cannot start" in detail and f"L-1216C47A >= {2 * need}" in detail


def test_an_on_demand_quota_for_one_cluster_but_not_a_backfill_fails_with_the_concurrency_that_fits(
    wikilake, aws_options, ready, quotas
):
    need = default_on_demand_vcpus()
    quotas[ON_DEMAND] = 3 * need - 1  # room for 2 clusters, not 3
    code, out, _ = wikilake("preflight", "--max-concurrency", "3", *aws_options)
    assert code == 1
    assert failing(out) == ["EC2 on-demand vCPUs"]
    assert "fix: run backfill with --max-concurrency 2" in checks(out)["EC2 on-demand vCPUs"][1]


def test_the_spot_quota_counts_the_task_nodes_managed_scaling_may_add(wikilake, aws_options, ready, quotas):
    """managed_scaling_max 5 with 1 core node: EMR's limit counts core + task nodes and core nodes
    stay fixed, so up to 4 spot task nodes (m5.xlarge, the core type): 16 spot vCPUs."""
    spot_need = (5 - CONTEXT["core_instance_count"]) * VCPUS[CONTEXT["core_instance_type"]]
    assert spot_need == 16
    quotas[SPOT] = spot_need - 1
    code, out, _ = wikilake("preflight", "-c", "managed_scaling_max=5", "--max-concurrency", "1", *aws_options)
    assert code == 1
    assert failing(out) == ["EC2 spot vCPUs"]
    assert f"one run's cluster needs {spot_need} (4 task m5.xlarge x 4)" in checks(out)["EC2 spot vCPUs"][1]
    quotas[SPOT] = spot_need
    assert wikilake("preflight", "-c", "managed_scaling_max=5", "--max-concurrency", "1", *aws_options)[0] == 0


def test_on_demand_task_nodes_count_against_the_on_demand_quota(wikilake, aws_options, ready, quotas):
    """task_spot=false: managed scaling's task nodes are on-demand too: with runs of 1 core node
    (run_core_nodes_max=1), up to 3 - 1 = 2 more: 1 primary + 1 core + 2 task m5.xlarge."""
    need = (1 + 1 + (3 - 1)) * VCPUS[CONTEXT["core_instance_type"]]
    assert need == 16
    quotas[ON_DEMAND] = need
    options = (
        *("-c", "managed_scaling_max=3", "-c", "task_spot=false", "-c", "run_core_nodes_max=1"),
        *("--max-concurrency", "1", *aws_options),
    )
    code, out, _ = wikilake("preflight", *options)
    assert code == 0, out
    assert f"one run's cluster needs {need} " in checks(out)["EC2 on-demand vCPUs"][1]
    assert checks(out)["EC2 spot vCPUs"] == ("pass", "the run cluster uses none")
    quotas[ON_DEMAND] = need - 1
    assert failing(wikilake("preflight", *options)[1]) == ["EC2 on-demand vCPUs"]


def test_a_lambda_quota_of_10_with_the_opt_in_reservation_fails(wikilake, aws_options, ready, lambda_quota):
    lambda_quota(10)
    code, out, _ = wikilake("preflight", "-c", "ingest_reserved_concurrency=3", *aws_options)
    assert code == 1
    assert failing(out) == ["Lambda concurrency"]
    detail = checks(out)["Lambda concurrency"][1]
    assert f"quota 10, unreserved 10; ingest_reserved_concurrency=3 would leave {10 - 3} unreserved" in detail
    assert f"at least {3 + LAMBDA_MIN_UNRESERVED}" in detail
    # The default (no reservation) deploys on the same account.
    code, out, _ = wikilake("preflight", *aws_options)
    assert code == 0 and checks(out)["Lambda concurrency"][0] == "pass"


def test_the_reservation_counts_what_other_functions_already_reserve(
    wikilake, aws_options, ready, clients, lambda_quota
):
    """Unreserved = quota less every function's reservation: 1000 - 898 leaves 102, and 3 more
    would leave 99 < 100."""
    lambda_quota(1000)
    _function_with_reservation(clients, 898)
    code, out, _ = wikilake("preflight", "-c", "ingest_reserved_concurrency=3", *aws_options)
    assert code == 1 and "unreserved 102" in checks(out)["Lambda concurrency"][1]
    assert wikilake("preflight", "-c", "ingest_reserved_concurrency=2", *aws_options)[0] == 0


def _function_with_reservation(clients, reserved: int) -> None:
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = clients.iam.create_role(RoleName="someone", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    functions = getattr(clients, "lambda")
    functions.create_function(
        FunctionName="someone-else",
        Runtime="python3.12",
        Role=role,
        Handler="x.handler",
        Code={"ZipFile": _empty_zip()},
    )
    functions.put_function_concurrency(FunctionName="someone-else", ReservedConcurrentExecutions=reserved)


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def test_an_invalid_context_value_is_one_line(wikilake, aws_options):
    code, out, err = wikilake("preflight", "-c", "core_instance_count=0", *aws_options)
    assert code == 1 and out == ""
    assert err.startswith("wikilake: error: context core_instance_count='0': out of range") and err.count("\n") == 1


def test_the_minimum_bootstrap_version_is_the_one_the_templates_check():
    """Every synthesized template carries CDK's CheckBootstrapVersion rule: the versions it refuses."""
    from wikilake.aws.preflight import MIN_BOOTSTRAP_VERSION

    snapshot = ROOT / "tests/infra/__snapshots__/test_snapshots/test_stack_template_snapshot[processing].json"
    rule = json.loads(snapshot.read_text())["Rules"]["CheckBootstrapVersion"]["Assertions"][0]["Assert"]
    refused = [int(v) for v in rule["Fn::Not"][0]["Fn::Contains"][0]]
    assert max(refused) + 1 == MIN_BOOTSTRAP_VERSION
