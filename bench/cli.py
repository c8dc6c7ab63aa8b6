"""`make bench` (`python -m bench`, or `wikilake bench` in a checkout): time the jobs against DuckDB and
zcat, at 1x/2x/4x, and Athena scan efficiency."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wikilake.cli import OneLineParser
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError


def _scales(text: str) -> tuple[int, ...]:
    try:
        scales = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad scales {text!r}: use e.g. 1,2,4") from None
    if not scales or scales[0] < 1:
        raise argparse.ArgumentTypeError("scales are whole factors >= 1, e.g. 1,2,4")
    return scales


def _conf(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"bad --conf {text!r}: use key=value")
    return key, value


def _run(args) -> int:
    from bench import jobs_source
    from bench.harness import Bench, BenchConfig
    from bench.inputs import RECIPES, recipes_for

    missing = [name for name in args.dataset or () if name not in RECIPES]
    if missing:
        raise WikilakeError(f"no benchmark input for {missing[0]} yet (benchmarked: {', '.join(RECIPES)})")
    if args.articles_copies is not None and args.articles_copies < 1:
        raise WikilakeError("--articles-copies must be at least 1")
    config = BenchConfig(
        recipes=recipes_for(list(args.dataset or RECIPES), args.articles_copies),
        scales=args.scales,
        spark_conf=dict(args.conf),
        max_load=args.wait_for_load,
        max_wait_s=args.max_wait * 60,
    )
    if args.repetitions is not None:
        if args.repetitions < 1:
            raise WikilakeError("--repetitions must be at least 1")
        config.repetitions = dict.fromkeys(args.scales, args.repetitions)
    if args.cache_dir:
        config.cache_root = args.cache_dir
    if args.jobs_dir:
        config.jobs = jobs_source.custom(args.jobs_dir)
    elif args.jobs_rev:
        config.jobs = jobs_source.at_revision(args.jobs_rev, config.cache_root)
    if args.results_dir:
        config.results_dir = args.results_dir
    bench = Bench(config)
    _, path = bench.run()
    if bench.failed_runs:
        raise WikilakeError(f"{len(bench.failed_runs)} run(s) failed (see the table and {path})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="make bench",
        description="Generate (or reuse) the benchmark inputs, time our Spark jobs through "
        "spark-submit local[2], the DuckDB peer and zcat on each, at 1x/2x/4x, "
        "report Athena scan efficiency, print one table and write "
        "bench/results/<date>.json and a chart of it, <date>.png.",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        choices=DATASETS,
        help="only this dataset (repeatable; default: every benchmarked one)",
    )
    parser.add_argument(
        "--scales", type=_scales, default=(1, 2, 4), metavar="LIST", help="input sizes to run (default: 1,2,4)"
    )
    parser.add_argument(
        "--articles-copies",
        type=int,
        metavar="N",
        help="the articles input as N copies of the sample's pages in one bz2 file "
        "(default: 170, ~1 GB of XML; fewer on a slow or busy machine)",
    )
    parser.add_argument(
        "--repetitions", type=int, metavar="N", help="runs per engine and size (default: 3 at 1x, 2 at 2x, 1 at 4x)"
    )
    parser.add_argument(
        "--conf",
        type=_conf,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra spark-submit --conf for the job runs (repeatable)",
    )
    parser.add_argument(
        "--wait-for-load",
        type=float,
        metavar="LOAD",
        help="before timing, wait until the 1-minute load average is below LOAD",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=30,
        metavar="MINUTES",
        help="give up waiting for a quiet machine after this long (default 30)",
    )
    jobs = parser.add_mutually_exclusive_group()
    jobs.add_argument(
        "--jobs-rev",
        metavar="REV",
        help="time spark_jobs/ as of this git revision (e.g. HEAD) instead of the working tree",
    )
    jobs.add_argument(
        "--jobs-dir", type=Path, metavar="DIR", help="time DIR/<dataset>.py instead of spark_jobs/ (e.g. a tuned copy)"
    )
    parser.add_argument("--cache-dir", type=Path, help="inputs and outputs (default bench/cache)")
    parser.add_argument("--results-dir", type=Path, help="JSON results (default bench/results)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the bench; a WikilakeError is one line and exit 1, as in the CLI."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:
        return int(done.code or 0)
    try:
        return _run(args)
    except WikilakeError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
