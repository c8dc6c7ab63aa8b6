"""`wikilake profile`: what a day's run did with its cores, where its time went, and what to change."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options, add_lake_option
from wikilake_core.datasets import DATASETS

DESCRIPTION = """\
Show the profile of the run that wrote a dataset's day (the day's live run), read from its
manifest: its wall time, the cores it had and the share of their time that ran tasks
(utilization), garbage collection, bytes read, shuffled and spilled; a table of its Spark stages
(seconds, tasks, task seconds, slowest and median task, skew, spill); and the advice that applies,
each naming the setting to change and its value (docs/monitoring.md). The profile is read from the
run's Spark event log when the run is recorded (logs/spark-events/ of the lake, or EMR
Serverless's log location).

--chart writes a PNG: task time per stage (the slowest task marked) above the executors' busy
time (cores running tasks against cores alive, over the run).

With --local the day's manifest is read from the local lake, else from the deployed lake bucket.
Exit status: 0, or 1 with one line (no run for the day, a run without a profile, a bad option).
"""

EPILOG = """\
examples:
  wikilake profile pageviews --date 2024-03-15 --local --chart profile.png
  wikilake profile articles --date 2016-05-01 --profile prod --region eu-west-1
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "profile",
        help="a day's run: its cores' use, its stages, and the settings to change",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--date", required=True, help="the run's dt, YYYY-MM-DD")
    parser.add_argument("--local", action="store_true", help="read the local lake's manifest")
    add_lake_option(parser)
    parser.add_argument("--chart", metavar="FILE.png", help="also draw the profile into this PNG")
    add_aws_options(parser)
    parser.set_defaults(func=_profile)


def _profile(args) -> int:
    from rich.console import Console

    from wikilake import profile_view
    from wikilake.charts import check_chart_path
    from wikilake.profile_chart import write_profile_chart
    from wikilake_core.dates import parse_date

    dt = parse_date(args.date)
    chart = check_chart_path(args.chart) if args.chart else None
    manifest = _day_manifest(args, dt)
    console = Console()
    profile_view.show(console, manifest)
    if chart:
        title = f"{args.dataset} dt={dt}: run {manifest.get('run_id') or '-'}"
        console.print(
            f"chart: {write_profile_chart(manifest['profile'], chart, title)}", highlight=False, soft_wrap=True
        )
    return 0


def _day_manifest(args, dt: str) -> dict:
    """The day's manifest with a profile; WikilakeError in one line when there is none."""
    from wikilake_core.errors import WikilakeError

    if args.local:
        from wikilake.local.days import read_day_manifest as read_local_day

        manifest, where = read_local_day(args.lake, args.dataset, dt), f"the lake {args.lake}"
        hint = f"wikilake local run {args.dataset} --date {dt} --input ..."
    else:
        from wikilake.aws.day_manifest import read_day_manifest as read_s3_day
        from wikilake.aws.session import AwsContext, aws_errors
        from wikilake_core.contract import Outputs

        with aws_errors():
            aws = AwsContext.from_args(args)
            bucket = aws.outputs.require(Outputs.BUCKET)
            manifest, where = read_s3_day(aws.client("s3"), bucket, args.dataset, dt), f"s3://{bucket}"
        hint = f"wikilake run {args.dataset} --date {dt}"
    if manifest is None:
        raise WikilakeError(f"no run of {args.dataset} dt={dt} in {where}: run it first ({hint})")
    if not manifest.get("profile"):
        raise WikilakeError(
            f"{args.dataset} dt={dt}: its run {manifest.get('run_id') or '-'} has no profile "
            "(recorded before profiles, or its Spark event log could not be read; docs/monitoring.md)"
        )
    return manifest
