"""`wikilake demo`: the whole pipeline on one machine, from the shipped samples to charts."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_lake_option

DESCRIPTION = """\
Run the whole pipeline locally, with no AWS account: the edits job on the real sample
(data/samples/wikiticker-2015-09-12-sampled.json.gz) and the pageviews job on the shipped
synthetic day (data/samples/pageviews/), both PySpark on Spark local[*] into the lake folder;
then every named query of athena_ddl/queries/ on DuckDB, printed as tables; then
<lake>/report/index.html with the tables and charts; then `cdk synth` of the AWS app.
Reruns replace the same partitions, so a second run gives the same answers.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline locally on the samples, query it, report, cdk synth",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_lake_option(parser)
    parser.add_argument(
        "--skip-synth", action="store_true", help="leave out `cdk synth` (e.g. in tests, or without Node)"
    )
    parser.set_defaults(func=_demo)


def _demo(args) -> int:
    from wikilake.local.demo import run_demo

    run_demo(args.lake, skip_synth=args.skip_synth)
    return 0
