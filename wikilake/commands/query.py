"""`wikilake query`: run a named query or ad-hoc Athena SQL, on Athena or locally on DuckDB."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wikilake.commands.common import add_aws_options, add_lake_option
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Run a named query of athena_ddl/queries/ (by name) or ad-hoc SQL, written in Athena (Trino) SQL.
With --local it runs on DuckDB over the Parquet tables of a local lake (the same SQL, translated
by sqlglot); without, on the deployed Athena workgroup.

Parameters fill the query's `?` placeholders: positionally in the order its header declares
(`-- @param name type: ...`) or by name. Values are typed by that header, so type them plainly:
--param dt=2015-09-12 (strings are quoted for you, numbers and true/false checked).
Ad-hoc SQL's parameters are p1, p2, ...: numbers and true/false go as is, anything else quoted.
"""

EPILOG = """\
examples:
  wikilake query --list
  wikilake query top_channels --local --param dt=2015-09-12
  wikilake query top_pages --local --param 2024-03-15 --param en.wikipedia --chart top.png
  wikilake query top_pages --local -p dt=2024-03-15 -p project=de.wikipedia -p access_site=mobile
  wikilake query "SELECT channel, edits FROM edits_by_channel WHERE dt = ?" --local -p 2015-09-12
  wikilake query mobile_share -p dt=2024-03-15 --format csv > share.csv      # on Athena
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "query",
        help="run a named query or Athena SQL, on Athena or locally (--local)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "query", nargs="?", metavar="NAME|SQL", help="a named query (see --list) or one SELECT statement"
    )
    parser.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="[NAME=]VALUE",
        help="a parameter value, by name or in header order (repeatable)",
    )
    parser.add_argument("--local", action="store_true", help="run on DuckDB over the local lake")
    add_lake_option(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table for people (default), csv or json for scripts",
    )
    parser.add_argument(
        "--chart",
        metavar="FILE.png",
        type=Path,
        help="also draw the result: a bar chart for rankings, a line for hours",
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL as sent (and, with --local, as translated) to stderr"
    )
    add_aws_options(parser)
    parser.set_defaults(func=_query)


def _query(args) -> int:
    from rich.console import Console

    from wikilake import charts, output, query_params
    from wikilake_core.ddl import load_queries

    queries = load_queries()
    errors = Console(stderr=True)
    if args.list:
        _list(queries, Console())
        return 0
    if not args.query:
        raise WikilakeError("give a query name or SQL; `wikilake query --list` shows the named queries")
    query = query_params.resolve(args.query, queries)
    literals = query_params.bind(query, args.param)
    if args.chart:
        charts.check_chart_path(args.chart)
    run = _run_local if args.local else _run_on_athena
    result = run(args, query, literals, errors)
    title = f"{query.name} · {query_params.describe(literals)}".rstrip(" ·")
    output.render(result, args.format, sys.stdout, title=title)
    if args.chart:
        path = charts.write_chart(result, args.chart, title)
        errors.print(f"chart written to {path}", highlight=False, soft_wrap=True)
    return 0


def _list(queries, console) -> None:
    from rich.table import Table

    from wikilake.query_params import param_signature

    table = Table(title="named queries (athena_ddl/queries/)", title_justify="left", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("parameters")
    table.add_column("answers")
    for query in queries.values():
        table.add_row(query.name, "\n".join(map(param_signature, query.parameters)), query.description)
    console.print(table)


def _run_local(args, query, literals, errors):
    from wikilake.local.query import LocalEngine
    from wikilake.query_params import substitute

    lake = Path(args.lake)
    if not lake.is_dir():
        raise WikilakeError(
            f"no lake at {lake}/: run `wikilake demo` or `wikilake local run ...` first, or pass --lake"
        )
    with LocalEngine(lake) as engine:
        if args.show_sql:
            sql = substitute(query.sql, list(literals.values()))
            errors.print(
                f"-- Athena SQL\n{sql}\n-- DuckDB SQL\n{engine.translate(sql)}", highlight=False, soft_wrap=True
            )
        return engine.run(query, literals)


def _run_on_athena(args, query, literals, errors):
    from wikilake.aws.athena import athena_target, run_athena_query
    from wikilake.aws.session import AwsContext, aws_errors

    aws = AwsContext.from_args(args)
    if args.show_sql:
        errors.print(
            f"-- Athena SQL\n{query.sql}\n-- execution parameters: {list(literals.values())}",
            highlight=False,
            soft_wrap=True,
        )
    with aws_errors(), errors.status("Athena: submitting the query") as status:
        workgroup, database = athena_target(aws)
        return run_athena_query(
            aws,
            query.sql,
            list(literals.values()),
            workgroup=workgroup,
            database=database,
            progress=lambda state, seconds: status.update(f"Athena: {state.lower()} ({seconds:.0f} s)"),
        )
