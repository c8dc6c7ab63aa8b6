"""`wikilake preflight`: before the first deploy or run, does the account have what the app needs?"""

from __future__ import annotations

import argparse

from wikilake.commands.backfill import DEFAULT_MAX_CONCURRENCY
from wikilake.commands.common import add_aws_options, positive_int
from wikilake_core.errors import WikilakeError

RUNTIMES = ("emr-ec2", "emr-serverless")

DESCRIPTION = """\
Check, read-only, what a deploy and a run of the app as configured (cdk.json's context and
your -c overrides, the same values `make deploy` uses) need from the AWS account, and print
one line per check, with the fix when it does not fit:

  credentials and region   STS GetCallerIdentity
  CDK bootstrap            the CDKToolkit stack and its version (SSM /cdk-bootstrap/hnb659fds/version)
  Lambda concurrency       the account's quota and unreserved concurrency (GetAccountSettings)
                           against -c ingest_reserved_concurrency (Lambda keeps 100 unreserved)
  EC2 on-demand/spot vCPUs the Standard-family vCPU quotas (L-1216C47A, L-34B43A08) against one
                           run's cluster and --max-concurrency clusters at once (backfill)
  EMR Serverless vCPUs     quota L-D05C8A75 against -c serverless_max_vcpu (emr-serverless)
  EMR release              the release label offered in the region (ListReleaseLabels)
  deployed stacks          the stacks' outputs the CLI reads (none yet is fine before the
                           first deploy)

A check that cannot read the account (no permission, an endpoint without the API) says
`skipped` and why: check that one by hand.

Exit status: 0 when no check fails (a skipped one does not); 1 when one does, or with one
line when the configuration itself is invalid.
"""

EPILOG = """\
examples:
  wikilake preflight
  wikilake preflight --runtime emr-serverless
  wikilake preflight -c run_core_nodes_max=6 --max-concurrency 4 --profile prod --region eu-west-1
  make deploy                                     # runs preflight first
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "preflight",
        help="check the account's quotas, bootstrap and stacks before a deploy or a run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runtime", choices=RUNTIMES, help="check for this runtime (default: the context's `runtime`)")
    parser.add_argument(
        "--max-concurrency",
        type=positive_int,
        default=DEFAULT_MAX_CONCURRENCY,
        metavar="N",
        help=f"run clusters at once to plan for, as backfill's --max-concurrency (default {DEFAULT_MAX_CONCURRENCY})",
    )
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context value, as `cdk deploy -c` takes it (repeatable)",
    )
    add_aws_options(parser, deployment=False)
    parser.set_defaults(func=_preflight)


def _preflight(args) -> int:
    from wikilake.aws.preflight import FAIL, PASS, SKIPPED, run_checks
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake.config import app_config

    overrides = _overrides(args.context)
    if args.runtime:
        overrides["runtime"] = args.runtime
    config = app_config(overrides)
    needs = _needs(config, args.max_concurrency)
    print(f"preflight: {config.name}, runtime {config.runtime}")
    try:
        with aws_errors():
            aws = AwsContext.from_args(args, stack_prefix=config.stack_prefix, stage=config.stage)
    except WikilakeError as err:  # no credentials or no region: that is the first check's answer
        print(f"{FAIL:<8} credentials and region: {err}")
        return 1
    checks = run_checks(aws, needs)
    for check in checks:
        print(check.line())
    counts = {status: sum(c.status == status for c in checks) for status in (PASS, FAIL, SKIPPED)}
    verdict = "does not fit" if counts[FAIL] else "fits"
    print(f"preflight: {verdict}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIPPED]} skipped")
    return 1 if counts[FAIL] else 0


def _overrides(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WikilakeError(f"bad -c {pair!r}: write KEY=VALUE, e.g. -c runtime=emr-serverless")
        values[key.strip()] = value
    return values


def _needs(config, max_concurrency: int):
    from wikilake.aws.preflight import Needs
    from wikilake_core import datasets

    return Needs(
        runtime=config.runtime,
        release_label=config.release.label,
        cluster=config.cluster_shape,
        max_concurrency=max_concurrency,
        interactive_cluster=config.interactive_cluster,
        serverless_max_vcpu=config.serverless_max_vcpu,
        serverless_smallest_vcpu=max(d.size.smallest_vcpu for d in datasets.REGISTRY.values()),
        ingest_reserved_concurrency=config.ingest_reserved_concurrency,
    )
