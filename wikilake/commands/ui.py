"""`wikilake ui`: the Spark UI of the run that wrote a dataset's day, after the run has ended."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options, add_lake_option, positive_int
from wikilake_core.datasets import DATASETS

DESCRIPTION = """\
Print (or --open) the URL of the Spark UI of the day's live run, long after its compute is gone:

- a run on EMR on EC2: EMR's persistent application UI (the Spark History Server EMR hosts
  off-cluster, kept after the cluster ends), opened at the run's Spark application; the URL is
  presigned and short-lived, so run the command again for a fresh one;
- a run on EMR Serverless: the job run's dashboard (its persistent Spark UI), valid for an hour;
- --local: starts the Spark History Server that ships with pyspark over the run's event log in
  the local lake (logs/spark-events/...), on 127.0.0.1, prints its URL, and serves until Ctrl-C.

The AWS permissions this needs are in docs/monitoring.md. Exit status: 0, or 1 with one line (no
run for the day, no event log, the UI could not be had).
"""

EPILOG = """\
examples:
  wikilake ui pageviews --date 2024-03-15 --local --open
  wikilake ui articles --date 2016-05-01 --profile prod --region eu-west-1
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="the Spark UI of a day's finished run (EMR, EMR Serverless, or a local History Server)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--date", required=True, help="the run's dt, YYYY-MM-DD")
    parser.add_argument("--local", action="store_true", help="serve the local run's event log with a History Server")
    add_lake_option(parser)
    parser.add_argument("--port", type=positive_int, help="--local: the History Server's port (default: a free one)")
    parser.add_argument("--open", action="store_true", help="also open the URL in a web browser")
    add_aws_options(parser)
    parser.set_defaults(func=_ui)


def _ui(args) -> int:
    from wikilake_core.dates import parse_date

    dt = parse_date(args.date)
    return _ui_local(args, dt) if args.local else _ui_aws(args, dt)


def _show(url: str, args) -> None:
    import webbrowser

    print(url, flush=True)
    if args.open:
        webbrowser.open(url)


def _ui_local(args, dt: str) -> int:
    from pathlib import Path

    from wikilake.local import history_server
    from wikilake.local.days import read_day_manifest
    from wikilake_core import layout
    from wikilake_core.errors import WikilakeError

    manifest = read_day_manifest(args.lake, args.dataset, dt)
    if manifest is None:
        raise WikilakeError(f"no run of {args.dataset} dt={dt} in the lake {args.lake}: run it first")
    folder = Path(layout.event_log_dir(args.lake, args.dataset, dt, manifest.get("run_id") or "-"))
    if not folder.is_dir() or not any(folder.iterdir()):
        raise WikilakeError(f"{args.dataset} dt={dt}: no Spark event log of its run at {folder}")
    server = history_server.start(folder, args.port)
    application = (manifest.get("profile") or {}).get("application_id")
    _show(server.url(application), args)
    print(f"Spark History Server for {args.dataset} dt={dt} (pid {server.process.pid}); Ctrl-C stops it", flush=True)
    server.wait()
    return 0


def _ui_aws(args, dt: str) -> int:
    from wikilake.aws import app_ui
    from wikilake.aws.day_manifest import read_day_manifest
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core import run_history
    from wikilake_core.contract import Outputs
    from wikilake_core.day_runs import RUN_RECORD
    from wikilake_core.errors import WikilakeError

    with aws_errors():
        aws = AwsContext.from_args(args)
        bucket = aws.outputs.require(Outputs.BUCKET)
        manifest = read_day_manifest(aws.client("s3"), bucket, args.dataset, dt)
        if manifest is None:
            raise WikilakeError(f"no run of {args.dataset} dt={dt} in s3://{bucket}: run it first")
        record = manifest.get(RUN_RECORD) or {}
        if record.get("runtime") == run_history.SERVERLESS_RUNTIME:
            url = app_ui.serverless_dashboard_url(
                aws.client("emr-serverless"), record["cluster_id"], record["job_run_id"]
            )
        elif record.get("cluster_id"):
            application = (manifest.get("profile") or {}).get("application_id")
            url = app_ui.persistent_ui_url(aws.client("emr"), record["cluster_id"], application)
        else:
            raise WikilakeError(f"{args.dataset} dt={dt}: its manifest names no cluster or job run")
    _show(url, args)
    return 0
