"""Prints a bench run's tables (where the seconds go, the results, scaling, scan efficiency, the
targets, the EMR sizing) and writes its JSON document."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.summary import RunRecord, SummaryRow
from bench.targets import TargetResult


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def results_table(rows: list[SummaryRow]) -> Table:
    table = Table(
        title="wikilake bench: wall time (median, best of N); ratios of the best runs within the same input; "
        "CPU: user + system seconds of the run's processes (on a shared machine, the figure load moves least)"
    )
    for column in (
        "job",
        "engine",
        "input (gz)",
        "rows",
        "wall median",
        "best",
        "CPU (least)",
        "rows/s",
        "vs DuckDB",
        "vs zcat",
        "vs floor",
        "vs lbzip2",
        "peak RSS",
        "heap after GC",
        "runs",
    ):
        table.add_column(column, justify="left" if column in ("job", "engine") else "right")
    for row in rows:
        failed = f" [red]({len(row.errors)} failed)[/]" if row.errors else ""
        table.add_row(
            row.job,
            row.engine_label,
            f"{row.input} {row.scale}x: {row.input_files} files, {_mb(row.input_gz_bytes)}",
            f"{row.rows:,}",
            "[red]FAILED[/]" if row.wall_median_s is None else f"{row.wall_median_s:.1f} s",
            "-" if row.wall_best_s is None else f"{row.wall_best_s:.1f} s",
            "-" if row.cpu_best_s is None else f"{row.cpu_best_s:.1f} s",
            "-" if row.rows_per_s is None else f"{row.rows_per_s:,.0f}",
            _ratio(row.ratio_to_duckdb),
            _ratio(row.ratio_to_zcat),
            _ratio(row.ratio_to_floor),
            _ratio(row.ratio_to_lbzip2),
            _mb(row.peak_rss_bytes),
            "-" if row.peak_heap_after_gc_bytes is None else _mb(row.peak_heap_after_gc_bytes),
            f"{row.repetitions}{failed}",
        )
    return table


def targets_table(results: list[TargetResult]) -> Table:
    table = Table(title="targets")
    for column in ("target", "measured", "limit", "met"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for result in results:
        measured = "-" if result.measured is None else f"{result.measured:.2f}"
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: "not run"}[result.met]
        if result.met is False and result.measured is None:
            met = "[red]NO (a run failed)[/]"
        if result.limit is None:
            met = "-"
        table.add_row(result.name, measured, "-" if result.limit is None else f"{result.limit:.2f}", met)
    return table


def scan_table(scan: dict) -> Table:
    table = Table(title="Athena scan efficiency: pageviews_daily of pageviews-day 1x (from footers)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("Parquet files / bytes", f"{scan['parquet_files']} / {_mb(scan['parquet_bytes'])}")
    table.add_row("raw gz bytes of the day", _mb(scan["raw_gz_bytes"]))
    table.add_row("(a) Parquet / raw gz", f"{scan['storage_ratio']:.1%}")
    table.add_row(f"project = {scan['value']}", f"{scan['value_row_share']:.2%} of rows")
    table.add_row("row groups matching / total", f"{scan['matching_row_groups']} / {scan['row_groups']}")
    table.add_row("(b) bytes in matching row groups", f"{scan['scan_share']:.1%}")
    return table


def _amount(value: float, unit: str) -> str:
    return f"{value / 1e9:.0f} GB" if unit == "bytes" else f"{value / 1e6:.1f}M {unit}"


def _wall(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 90 * 60 else f"{seconds / 3600:.1f} h"


def sizing_table(sizing: dict) -> Table:
    """One dataset's real day on the default EMR cluster (1-6 core nodes) and on EMR Serverless."""
    prices, day, unit = sizing["usd_per_node_hour"], sizing["day"], sizing["unit"]
    table = Table(
        title=(
            f"{sizing['dataset']}, {day['label']} ({_amount(day['amount'], unit)}) at the measured "
            f"{sizing['rate_per_vcpu_s']:,.0f} {unit}/s per vCPU: {sizing['instance_type']} nodes at "
            f"${prices['ec2']:.3f} EC2 + ${prices['emr']:.3f} EMR an hour, on demand, us-east-1; "
            f"a month: {day['runs_per_month']} run(s)"
        )
    )
    for column in ("compute", "worker vCPUs", "one: wall", "one: cost", "month: wall", "month: cost"):
        table.add_column(column, justify="right")
    for option in sizing["options"]:
        table.add_row(
            f"EMR on EC2, {option['core_nodes']} core (+1 primary)",
            str(option["vcpus"]),
            _wall(option["day_wall_s"]),
            f"${option['day_cost_usd']:.2f}",
            f"{option['month_wall_s'] / 3600:.1f} h",
            f"${option['month_cost_usd']:.2f}",
        )
    serverless = sizing["serverless"]
    table.add_row(
        f"EMR Serverless, {serverless['executors']} executors",
        str(serverless["vcpu"]),
        _wall(serverless["day_wall_s"]),
        f"${serverless['usd']:.2f}",
        f"{day['runs_per_month'] * serverless['day_wall_s'] / 3600:.1f} h",
        f"${day['runs_per_month'] * serverless['usd']:.2f}",
    )
    return table


def stage_table(run: RunRecord) -> Table:
    """The Spark jobs of one run, in order, with the driver's time between them."""
    table = Table(
        title=f"where the seconds go: {run.input} {run.scale}x, {run.engine} run {run.repetition} "
        f"({run.wall_s:.1f} s wall, {run.in_job_s or 0:.1f} s in the job; Spark event log)"
    )
    for column in ("Spark job", "started at", "seconds", "tasks", "stages (seconds)"):
        table.add_column(column, justify="left" if column in ("Spark job", "stages (seconds)") else "right")
    for job in run.spark_jobs:
        table.add_row(
            f"{job['job']}: {job['what']}"[:70],
            f"{job['start_s']:.1f} s",
            f"{job['seconds']:.1f}",
            str(job["tasks"]),
            ", ".join(f"{s['stage']}: {s['seconds']:.1f}" for s in job["stages"]),
        )
    inside = sum(j["seconds"] for j in run.spark_jobs)
    table.caption = f"{len(run.spark_jobs)} Spark jobs, {inside:.1f} s inside them; the rest is start-up and the driver"
    return table


def stage_runs(runs: list[RunRecord]) -> list[RunRecord]:
    """The runs whose stages the report prints: the best successful job run of each input at 1x."""
    best: dict[str, RunRecord] = {}
    candidates = [r for r in runs if r.engine == "spark" and r.scale == 1 and not r.error and r.spark_jobs]
    for run in candidates:
        if run.input not in best or run.wall_s < best[run.input].wall_s:
            best[run.input] = run
    return list(best.values())


def print_report(
    console: Console,
    rows: list[SummaryRow],
    growth: list[dict],
    scan: dict | None,
    results: list[TargetResult],
    sizing: dict | None,
    runs: list[RunRecord] = (),
) -> None:
    for run in stage_runs(list(runs)):
        console.print(stage_table(run))
    console.print(results_table(rows))
    for row in rows:
        for error in dict.fromkeys(row.errors):
            console.print(f"[red]{row.job} · {row.engine_label} on {row.input} {row.scale}x failed:[/] {error}")
    if growth:
        table = Table(title="scaling of our jobs (spark-submit)")
        for column in ("input", "size step", "time ratio", "peak RSS ratio"):
            table.add_column(column, justify="left" if column == "input" else "right")
        for step in growth:
            table.add_row(
                step["input"],
                f"{step['from_scale']}x -> {step['to_scale']}x",
                "[red]failed[/]" if step["failed"] else _ratio(step["time_ratio"]),
                _ratio(step["peak_rss_ratio"]),
            )
        console.print(table)
    if scan is not None:
        console.print(scan_table(scan))
    console.print(targets_table(results))
    for estimate in (sizing or {}).values():
        console.print(sizing_table(estimate))


def write_json(path: Path, document: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(value):
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
