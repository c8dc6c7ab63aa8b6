"""`wikilake preflight`'s checks: what a deploy and a run need from the account, read-only.

Each check returns one ``Check``: ``pass``, ``fail`` (with the fix) or ``skipped`` (the account
could not be read: the reason says why; a skipped check never counts as passed). Only Get/List/
Describe calls are made.

Quota codes (Service Quotas; the AWS CLI's service-quotas examples and the EMR Serverless user
guide, "Endpoints and quotas"):
- ec2 L-1216C47A "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", in vCPUs;
- ec2 L-34B43A08 "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", in vCPUs;
- emr-serverless L-D05C8A75 "Max concurrent vCPUs per account".
GetServiceQuota answers NoSuchResourceException for a quota that has no applied value; the
default value (GetAWSDefaultServiceQuota) is the one in force then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import botocore.exceptions

from wikilake.aws.stack import NOT_DEPLOYED, StackInfo, read_stack_outputs
from wikilake_core.aws_errors import one_line
from wikilake_core.cluster import ON_DEMAND, SPOT, ClusterShape, InstanceGroup
from wikilake_core.contract import Outputs

PASS, FAIL, SKIPPED = "pass", "fail", "skipped"

# The CDK bootstrap stack and the version parameter the app's templates read (default qualifier).
BOOTSTRAP_STACK = "CDKToolkit"
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
BOOTSTRAP_VERSION_OUTPUT = "BootstrapVersion"
# Every synthesized template's CheckBootstrapVersion rule refuses versions 1-5.
MIN_BOOTSTRAP_VERSION = 6
# Lambda refuses a reservation that leaves fewer unreserved executions than this (Lambda developer
# guide, "Configuring reserved concurrency").
LAMBDA_MIN_UNRESERVED = 100
# Instance families counted by the "Standard" vCPU quotas; other families have quotas of their own.
STANDARD_FAMILIES = frozenset("acdhimrtz")


@dataclass(frozen=True)
class Quota:
    service: str
    code: str
    name: str


ON_DEMAND_STANDARD = Quota("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances")
SPOT_STANDARD = Quota("ec2", "L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests")
SERVERLESS_VCPUS = Quota("emr-serverless", "L-D05C8A75", "Max concurrent vCPUs per account")
MARKET_QUOTAS = {ON_DEMAND: ON_DEMAND_STANDARD, SPOT: SPOT_STANDARD}
MARKET_NAMES = {ON_DEMAND: "on-demand", SPOT: "spot"}

# The outputs the CLI's run verbs read, per stack role; runtime=emr-serverless adds its application.
REQUIRED_OUTPUTS = {
    "storage": (Outputs.BUCKET, Outputs.JOBS_PACKAGE_URL),
    "catalog": (Outputs.DATABASE, Outputs.WORKGROUP),
    "processing": (Outputs.STATE_MACHINE_ARN,),
}
SERVERLESS_OUTPUTS = (Outputs.SERVERLESS_APPLICATION_ID,)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS | FAIL | SKIPPED
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix and self.status != PASS else ""
        return f"{self.status:<8} {self.name}: {self.detail}{fix}"


@dataclass(frozen=True)
class Needs:
    """What the app, as configured, asks of the account (built from the CDK context)."""

    runtime: str
    release_label: str
    cluster: ClusterShape
    max_concurrency: int  # backfill --max-concurrency: run clusters at once
    interactive_cluster: bool  # one more cluster, always up
    serverless_max_vcpu: int
    serverless_smallest_vcpu: int  # a job's driver and one executor
    ingest_reserved_concurrency: int | None

    @property
    def serverless(self) -> bool:
        return self.runtime == "emr-serverless"


class Unreadable(Exception):
    """The account could not tell (no permission, or an endpoint without the API): skip."""


def reading(what: str, call: Callable):
    """``call()``, with any AWS error turned into Unreadable naming ``what`` and the answer."""
    try:
        return call()
    except botocore.exceptions.ClientError as err:
        raise Unreadable(f"cannot read {what}: {err.operation_name} answered {_error_text(err)}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise Unreadable(f"cannot read {what}: {one_line(str(err))}") from None


def _error_text(err: botocore.exceptions.ClientError) -> str:
    error = err.response.get("Error", {})
    code, message = error.get("Code", "an error"), one_line(error.get("Message", ""))
    if message.startswith("<"):  # an HTML error page: the endpoint has no such API
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"HTTP {status} (not implemented by this endpoint)"
    return f"{code}: {message}" if message else code


def quota_value(service_quotas, quota: Quota) -> float:
    """The applied value of ``quota``, or its AWS default when none was applied."""
    try:
        return service_quotas.get_service_quota(ServiceCode=quota.service, QuotaCode=quota.code)["Quota"]["Value"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise Unreadable(
                f"cannot read quota {quota.code}: {err.operation_name} answered {_error_text(err)}"
            ) from None
    return reading(
        f"quota {quota.code}",
        lambda: service_quotas.get_aws_default_service_quota(ServiceCode=quota.service, QuotaCode=quota.code),
    )["Quota"]["Value"]


def guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Unreadable as why:
        return Check(name, SKIPPED, str(why), "check it by hand in the console")


# --- the checks ------------------------------------------------------------------------------


def identity(caller: dict, region: str) -> Check:
    return Check("credentials and region", PASS, f"account {caller['Account']} as {caller['Arn']}, region {region}")


def bootstrap(cloudformation, ssm, account: str, region: str) -> Check:
    name, fix = "CDK bootstrap", f"npx cdk bootstrap aws://{account}/{region}"
    stack = _stack(cloudformation, BOOTSTRAP_STACK, region)
    if stack.status == NOT_DEPLOYED:
        return Check(name, FAIL, f"no {BOOTSTRAP_STACK} stack in {region}: `cdk deploy` has nowhere to put assets", fix)
    if not stack.usable:
        return Check(name, FAIL, f"{BOOTSTRAP_STACK} is {stack.status}", f"delete it, then {fix}")
    version = _bootstrap_version(ssm, stack)
    if version is None:
        return Check(name, FAIL, f"{BOOTSTRAP_STACK} has no version ({BOOTSTRAP_VERSION_PARAMETER})", fix)
    if version < MIN_BOOTSTRAP_VERSION:
        return Check(name, FAIL, f"version {version}, the templates need {MIN_BOOTSTRAP_VERSION} or later", fix)
    return Check(name, PASS, f"{BOOTSTRAP_STACK} version {version} (>= {MIN_BOOTSTRAP_VERSION})")


def _stack(cloudformation, name: str, region: str) -> StackInfo:
    return reading(f"stack {name}", lambda: read_stack_outputs(cloudformation, {name: name}, region).stacks[0])


def _bootstrap_version(ssm, stack: StackInfo) -> int | None:
    """The SSM parameter the templates read; the stack's output when the parameter is gone."""
    try:
        text = ssm.get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise Unreadable(f"cannot read {BOOTSTRAP_VERSION_PARAMETER}: {_error_text(err)}") from None
        text = stack.outputs.get(BOOTSTRAP_VERSION_OUTPUT)
    return int(text) if text and text.strip().isdigit() else None


def lambda_concurrency(lambda_client, reservation: int | None) -> Check:
    name = "Lambda concurrency"
    limits = reading("Lambda's account settings", lambda_client.get_account_settings)["AccountLimit"]
    quota, unreserved = limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]
    seen = f"quota {quota}, unreserved {unreserved}"
    if reservation is None:
        return Check(name, PASS, f"{seen}; the default deploy reserves none (the lease table caps downloads)")
    # An app already deployed with the reservation has it out of `unreserved` already, so a
    # redeploy is judged conservatively, by at most the reservation (3) too strict.
    left = unreserved - reservation
    if left < LAMBDA_MIN_UNRESERVED:
        return Check(
            name,
            FAIL,
            f"{seen}; ingest_reserved_concurrency={reservation} would leave {left} unreserved, "
            f"Lambda keeps at least {LAMBDA_MIN_UNRESERVED}: the deploy would fail",
            f"leave ingest_reserved_concurrency empty (the default), or raise the quota (Service Quotas, "
            f"lambda 'Concurrent executions') to at least {quota - left + LAMBDA_MIN_UNRESERVED}",
        )
    return Check(name, PASS, f"{seen}; reserving {reservation} leaves {left} (>= {LAMBDA_MIN_UNRESERVED})")


def ec2_vcpus(ec2, service_quotas, needs: Needs) -> list[Check]:
    """One line per market (on-demand, spot): the quota against one run's cluster and against
    ``max_concurrency`` clusters at once (plus the interactive cluster, when it is on)."""
    names = {market: f"EC2 {MARKET_NAMES[market]} vCPUs" for market in MARKET_QUOTAS}
    if needs.serverless:
        return [Check(name, SKIPPED, "runtime emr-serverless starts no EC2 instances") for name in names.values()]
    return [guarded(name, partial(_market, ec2, service_quotas, needs, market, name)) for market, name in names.items()]


def instance_vcpus(ec2, instance_types: Iterable[str]) -> dict[str, int]:
    """vCPUs per instance type, as EC2 describes them (DescribeInstanceTypes, VCpuInfo)."""
    described = reading(
        "the instance types", lambda: ec2.describe_instance_types(InstanceTypes=sorted(set(instance_types)))
    )["InstanceTypes"]
    return {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in described}


def _market(ec2, service_quotas, needs: Needs, market: str, name: str) -> Check:
    quota = MARKET_QUOTAS[market]
    groups = [g for g in needs.cluster.peak_groups() if g.market == market and g.count]
    if not groups:
        return Check(name, PASS, "the run cluster uses none")
    other = sorted({g.instance_type for g in groups if g.instance_type[0] not in STANDARD_FAMILIES})
    if other:
        return Check(name, SKIPPED, f"{', '.join(other)}: outside the standard families whose quota this checks")
    vcpus = instance_vcpus(ec2, (g.instance_type for g in groups))
    per_cluster = sum(g.count * vcpus[g.instance_type] for g in groups)
    clusters = needs.max_concurrency + (1 if needs.interactive_cluster else 0)
    need = per_cluster * clusters
    value = int(quota_value(service_quotas, quota))
    shown = f"quota {value} ({quota.code}); one run's cluster needs {per_cluster} ({_groups_text(groups, vcpus)})"
    at_once = f"backfill --max-concurrency {needs.max_concurrency}" + (
        " + the interactive cluster" if needs.interactive_cluster else ""
    )
    if value < per_cluster:
        return Check(
            name,
            FAIL,
            f"{shown}: a run cannot start",
            f"request {quota.service} {quota.code} >= {need} in Service Quotas, or use smaller or fewer "
            "instances (core_instance_type, run_core_nodes_max, task_instance_count, managed_scaling_max)",
        )
    if value < need:
        fits = max(value // per_cluster - (1 if needs.interactive_cluster else 0), 1)
        return Check(
            name,
            FAIL,
            f"{shown}; {at_once} needs {need}",
            f"run backfill with --max-concurrency {fits}, or request {quota.service} {quota.code} >= {need}",
        )
    return Check(name, PASS, f"{shown}; {at_once} needs {need}")


def _groups_text(groups: list[InstanceGroup], vcpus: dict[str, int]) -> str:
    return " + ".join(f"{g.count} {g.name} {g.instance_type} x {vcpus[g.instance_type]}" for g in groups)


def serverless_vcpus(service_quotas, needs: Needs) -> Check:
    name = "EMR Serverless vCPUs"
    if not needs.serverless:
        return Check(name, SKIPPED, "runtime emr-ec2 runs no EMR Serverless application")
    value = int(quota_value(service_quotas, SERVERLESS_VCPUS))
    shown = f"quota {value} ({SERVERLESS_VCPUS.code}); the application's cap is {needs.serverless_max_vcpu}"
    if value < needs.serverless_max_vcpu:
        at_least = f" (at least {needs.serverless_smallest_vcpu})"
        return Check(
            name,
            FAIL,
            f"{shown}: jobs would hit the quota before the cap",
            f"request emr-serverless {SERVERLESS_VCPUS.code} >= {needs.serverless_max_vcpu}, "
            f"or lower -c serverless_max_vcpu to {value}{at_least if value < needs.serverless_smallest_vcpu else ''}",
        )
    return Check(name, PASS, shown)


def release_label(emr, label: str, region: str, serverless: bool) -> Check:
    name = "EMR release"
    labels = reading("EMR's release labels", lambda: _release_labels(emr))
    # EMR Serverless has no API listing its releases: EMR's own list is the nearest evidence.
    note = " (EMR on EC2's list; EMR Serverless has no API listing its releases)" if serverless else ""
    if label in labels:
        return Check(name, PASS, f"{label} is offered in {region}{note}")
    newest = sorted((x for x in labels if x.startswith(label.rsplit(".", 2)[0])), reverse=True)[:3]
    return Check(
        name,
        FAIL,
        f"{label} is not offered in {region}{note}",
        "use another region, or -c release_label=<one of wikilake_core/release_labels.py>"
        + (f" (offered here: {', '.join(newest)})" if newest else ""),
    )


def _release_labels(emr) -> set[str]:
    labels, token = set(), None
    while True:
        page = emr.list_release_labels(**({"NextToken": token} if token else {}))
        labels.update(page.get("ReleaseLabels", []))
        token = page.get("NextToken")
        if not token:
            return labels


def deployed_stacks(cloudformation, stack_names: dict[str, str], region: str, serverless: bool) -> Check:
    name = "deployed stacks"
    stacks = reading("the deployed stacks", lambda: read_stack_outputs(cloudformation, stack_names, region)).stacks
    by_role = dict(zip(stack_names, stacks))
    if all(s.status == NOT_DEPLOYED for s in stacks):
        return Check(name, PASS, "not deployed yet (fine before the first deploy): `make deploy` creates them")
    broken = [s for s in stacks if s.status != NOT_DEPLOYED and not s.usable]
    if broken:
        names = ", ".join(f"{s.name} is {s.status}" for s in broken)
        return Check(name, FAIL, names, "delete the stack (aws cloudformation delete-stack), then `make deploy`")
    missing = [
        f"{by_role[r].name}.{k}"
        for r, k in _required(serverless)
        if by_role[r].status != NOT_DEPLOYED and k not in by_role[r].outputs
    ]
    absent = [s.name for s in stacks if s.status == NOT_DEPLOYED]
    if missing:
        return Check(name, FAIL, f"outputs missing: {', '.join(missing)}", "`make deploy` with this version")
    if absent:
        return Check(name, PASS, f"{', '.join(absent)} not deployed yet: `make deploy` creates it (informational)")
    return Check(name, PASS, f"{', '.join(s.name for s in stacks)} deployed with their outputs")


def _required(serverless: bool) -> list[tuple[str, str]]:
    pairs = [(role, key) for role, keys in REQUIRED_OUTPUTS.items() for key in keys]
    return pairs + ([("processing", key) for key in SERVERLESS_OUTPUTS] if serverless else [])


def run_checks(aws, needs: Needs) -> list[Check]:
    """Every check, in the order a new account meets them; without working credentials, only
    the first (the others could not read anything)."""
    try:
        caller = reading("the caller identity", aws.client("sts").get_caller_identity)
    except Unreadable as why:
        return [
            Check("credentials and region", FAIL, str(why), "check --profile/--region, or `aws sso login`"),
            Check("the other checks", SKIPPED, "they need working credentials"),
        ]
    account = caller["Account"]
    quotas = aws.client("service-quotas")
    return [
        identity(caller, aws.region),
        guarded(
            "CDK bootstrap", lambda: bootstrap(aws.client("cloudformation"), aws.client("ssm"), account, aws.region)
        ),
        guarded(
            "Lambda concurrency", lambda: lambda_concurrency(aws.client("lambda"), needs.ingest_reserved_concurrency)
        ),
        *ec2_vcpus(aws.client("ec2"), quotas, needs),
        guarded("EMR Serverless vCPUs", lambda: serverless_vcpus(quotas, needs)),
        guarded(
            "EMR release", lambda: release_label(aws.client("emr"), needs.release_label, aws.region, needs.serverless)
        ),
        guarded(
            "deployed stacks",
            lambda: deployed_stacks(aws.client("cloudformation"), aws.stack_names, aws.region, needs.serverless),
        ),
    ]
