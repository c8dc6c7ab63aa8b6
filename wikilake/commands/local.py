"""`wikilake local run`: a dataset's PySpark job on this machine, into a local lake folder."""

from __future__ import annotations

import argparse
import time

from wikilake.commands.common import add_lake_option
from wikilake_core import datasets, quality
from wikilake_core.datasets import DATASETS, REGISTRY
from wikilake_core.errors import WikilakeError
from wikilake_core.layout import manifest_path
from wikilake_core.run_history import failed_checks, warning_message

EPILOG = """\
examples:
  wikilake local run edits --date 2015-09-12 --input data/samples/wikiticker-2015-09-12-sampled.json.gz
  wikilake local run pageviews --date 2024-03-15 --input 'data/samples/pageviews/dt=2024-03-15/'
  wikilake local run edits --date 2015-09-12 --input lake/raw/edits/dt=2015-09-12/ --country France
"""


def register(subparsers) -> None:
    local = subparsers.add_parser("local", help="run the pipeline on this machine (Spark local[*])")
    verbs = local.add_subparsers(dest="local_command", required=True, metavar="VERB")
    run = verbs.add_parser(
        "run",
        help="run a dataset's PySpark job into a local lake folder",
        description="Run the same PySpark job EMR runs, on local Spark, writing processed/, "
        "rejected/ and manifests/ of one dt under the lake folder.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("dataset", choices=DATASETS)
    run.add_argument("--date", required=True, help="the dt to write, YYYY-MM-DD")
    run.add_argument(
        "--input",
        required=True,
        nargs="+",
        metavar="PATH|GLOB",
        help="input files, folders or globs (quote globs to let Spark expand them)",
    )
    add_lake_option(run)
    add_job_options(run)
    run.set_defaults(func=_run)


def add_job_options(parser) -> None:
    """Every registered dataset's job options, each labelled with its dataset (default None: not
    given, so the job's own default applies and an option of another dataset can be refused)."""
    for dataset in REGISTRY.values():
        for option in dataset.job_options:
            parser.add_argument(
                option.flag,
                dest=option.dest,
                default=None,
                help=f"{dataset.name} only: {option.help} (default: {option.default})",
            )


def job_options(args, dataset_name: str) -> tuple[str, ...]:
    """The job options given on the command line, as job arguments; one line if one belongs to
    another dataset."""
    dataset = datasets.get(dataset_name)
    own = {option.dest for option in dataset.job_options}
    given = []
    for other in REGISTRY.values():
        for option in other.job_options:
            value = getattr(args, option.dest, None)
            if value is None:
                continue
            if option.dest not in own:
                raise WikilakeError(f"{option.flag} applies to the {other.name} dataset only")
            given += [option.flag, value]
    return tuple(given)


def _run(args) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from wikilake.local.runner import run_local
    from wikilake_core.dates import parse_date

    parse_date(args.date)
    options = job_options(args, args.dataset)
    console = Console()
    started = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{args.dataset} dt={args.date}: starting Spark", total=None)
        manifest = run_local(
            args.dataset,
            args.date,
            args.input,
            lake=args.lake,
            job_options=options,
            progress=lambda step: progress.update(task, description=f"{args.dataset} dt={args.date}: {step}"),
        )
    _print_summary(console, manifest, args.lake, time.perf_counter() - started)
    return 0


def _print_summary(console, manifest: dict, lake: str, seconds: float) -> None:
    from rich.table import Table

    table = Table(title=f"{manifest['dataset']} dt={manifest['dt']}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in manifest["rows_written"].items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    rejected = manifest["rejected_records"]
    reasons = ", ".join(f"{reason}: {n:,}" for reason, n in manifest["rejected_by_reason"].items())
    console.print(
        f"{manifest['input_records']:,} records from {len(manifest['input_files'])} file(s): "
        f"{manifest['valid_records']:,} valid, {rejected:,} rejected"
        + (f" ({reasons})" if reasons else "")
        + f"; job {manifest['duration_seconds']:.1f} s, "
        f"{manifest['records_per_second'] or 0:,} records/s (with Spark start-up: {seconds:.1f} s)",
        highlight=False,
    )
    console.print(f"manifest: {manifest_path(lake, manifest['dataset'], manifest['dt'])}", highlight=False)
    if failed_checks(manifest, quality.WARN):
        console.print(f"[yellow]warning[/]: {warning_message(manifest)}", highlight=False)
