"""Turns the benchmark's individual runs into the results table, the targets and the JSON file."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

# The targets (issue 19). Reported, never asserted in tests (timings on a shared machine are noisy).
# Ratios are of the best of N runs of each engine, taken in the same run of the bench.
MAX_RATIO_TO_DUCKDB = {"pageviews-day": 2.0, "edits-100x": 4.0}
# articles, one big file: the job against its own read floor (Spark reading and counting records).
MAX_RATIO_TO_FLOOR = 2.0
# articles, the shipped sample: the job's own time (its manifest: JVM start-up excluded), seconds.
MAX_FIXED_COST_S = {"articles-sample": 15.0}
MAX_DOUBLING_TIME_RATIO = 2.1
MAX_PEAK_RSS_GROWTH_AT_4X = 1.3
MAX_STORAGE_RATIO = 0.60
MAX_SCAN_SHARE = 0.10


@dataclass
class RunRecord:
    """One timed run of one engine on one input."""

    input: str
    scale: int
    engine: str
    repetition: int
    wall_s: float
    peak_rss_bytes: int
    peak_rss_process: str
    kernel_maxrss_bytes: int
    load_before: float
    load_after: float
    rows_written: dict[str, int] = field(default_factory=dict)
    in_job_s: float | None = None  # the job's own start-to-end time (from its manifest)
    # How many tasks read the input, when the job reports it (articles: splits of one big file).
    input_splits: int | None = None
    error: str | None = None  # why the run failed (exit status and the log's telling line)
    # Spark runs: each Spark job (action) with its stages, from the event log (see stages.py).
    spark_jobs: list[dict] = field(default_factory=list)


@dataclass
class SummaryRow:
    job: str
    engine: str  # "spark" | "duckdb" | "zcat"
    engine_label: str
    input: str
    scale: int
    input_files: int
    input_gz_bytes: int
    rows: int  # input records
    repetitions: int
    wall_median_s: float | None  # None: every run failed
    wall_all_s: list[float]
    rows_per_s: float | None
    # Ratios of best-of-N wall times, within the same input and size.
    ratio_to_duckdb: float | None
    ratio_to_zcat: float | None
    peak_rss_bytes: int  # the largest over the repetitions (a failed run's included)
    in_job_median_s: float | None
    rows_written: dict[str, int]
    errors: list[str] = field(default_factory=list)
    wall_best_s: float | None = None
    in_job_best_s: float | None = None
    ratio_to_floor: float | None = None  # articles: the job's own read floor (Spark, count)
    ratio_to_lbzip2: float | None = None  # bzip2 input: a parallel decompressor


@dataclass
class TargetResult:
    name: str
    measured: float | None
    limit: float | None  # None: reported beside a target, no limit of its own
    met: bool | None  # None: not measured in this run (or no limit)

    @staticmethod
    def check(name: str, measured: float | None, limit: float, failed: bool = False) -> TargetResult:
        """``failed``: a run it depends on failed, so the target is missed, not unmeasured."""
        if failed:
            return TargetResult(name, None, limit, False)
        return TargetResult(name, measured, limit, None if measured is None else measured <= limit)


def summarize(
    runs: list[RunRecord], inputs: dict[tuple[str, int], dict], labels: dict[str, str], datasets: dict[str, str]
) -> list[SummaryRow]:
    """One row per (input, scale, engine): medians over repetitions, ratios within the same size."""
    groups: dict[tuple[str, int, str], list[RunRecord]] = {}
    for run in runs:
        groups.setdefault((run.input, run.scale, run.engine), []).append(run)
    medians = {
        key: statistics.median(r.wall_s for r in ok)
        for key, group in groups.items()
        if (ok := [r for r in group if not r.error])
    }
    bests = {
        key: min(r.wall_s for r in ok) for key, group in groups.items() if (ok := [r for r in group if not r.error])
    }
    rows = []
    for (name, scale, engine), group in groups.items():
        data = inputs[(name, scale)]
        median = medians.get((name, scale, engine))
        ok = [r for r in group if not r.error]
        in_job = [r.in_job_s for r in ok if r.in_job_s is not None]
        best = bests.get((name, scale, engine))

        def ratio(peer: str, best=best, name=name, scale=scale) -> float | None:
            other = bests.get((name, scale, peer))
            return best / other if best and other else None

        rows.append(
            SummaryRow(
                job=datasets[name],
                engine=engine,
                engine_label=labels[engine],
                input=name,
                scale=scale,
                input_files=data["files"],
                input_gz_bytes=data["gz_bytes"],
                rows=data["records"],
                repetitions=len(group),
                wall_median_s=median,
                wall_all_s=[round(r.wall_s, 3) for r in group],
                rows_per_s=data["records"] / median if median else None,
                ratio_to_duckdb=ratio("duckdb"),
                ratio_to_zcat=ratio("zcat"),
                peak_rss_bytes=max(r.peak_rss_bytes for r in group),
                in_job_median_s=statistics.median(in_job) if in_job else None,
                rows_written=ok[-1].rows_written if ok else {},
                errors=[r.error for r in group if r.error],
                wall_best_s=best,
                in_job_best_s=min(in_job) if in_job else None,
                ratio_to_floor=ratio("floor"),
                ratio_to_lbzip2=ratio("lbzip2"),
            )
        )
    return rows


def _find(rows: list[SummaryRow], name: str, scale: int, engine: str) -> SummaryRow | None:
    return next((r for r in rows if (r.input, r.scale, r.engine) == (name, scale, engine)), None)


def scaling(rows: list[SummaryRow], engine: str) -> list[dict]:
    """Time and peak-memory growth of ``engine`` from each size to the next, per input."""
    found = []
    for name in dict.fromkeys(r.input for r in rows):
        sizes = sorted(r.scale for r in rows if r.input == name and r.engine == engine)
        base = _find(rows, name, sizes[0], engine) if sizes else None
        for smaller, larger in zip(sizes, sizes[1:]):
            a, b = _find(rows, name, smaller, engine), _find(rows, name, larger, engine)
            timed = a.wall_median_s is not None and b.wall_median_s is not None
            found.append(
                {
                    "input": name,
                    "from_scale": smaller,
                    "to_scale": larger,
                    "failed": not timed,
                    "time_ratio": b.wall_median_s / a.wall_median_s if timed else None,
                    "peak_rss_ratio": b.peak_rss_bytes / a.peak_rss_bytes,
                    "peak_rss_ratio_to_smallest": b.peak_rss_bytes / base.peak_rss_bytes,
                }
            )
    return found


def _articles_targets(rows: list[SummaryRow]) -> list[TargetResult]:
    results = []
    for name, limit in MAX_FIXED_COST_S.items():
        row = _find(rows, name, 1, "spark")
        if row:
            results.append(
                TargetResult.check(
                    f"{name}: job time without JVM start-up (s, best run)",
                    row.in_job_best_s,
                    limit,
                    failed=row.wall_best_s is None,
                )
            )
    for row in rows:
        if row.engine != "spark" or row.job != "articles" or row.input in MAX_FIXED_COST_S or row.scale != 1:
            continue
        results.append(
            TargetResult.check(
                f"{row.input} 1x: job / its read floor", row.ratio_to_floor, MAX_RATIO_TO_FLOOR, row.wall_best_s is None
            )
        )
        results.append(TargetResult(f"{row.input} 1x: job / bzcat (reported)", row.ratio_to_zcat, None, None))
        results.append(TargetResult(f"{row.input} 1x: job / lbzip2 -d (reported)", row.ratio_to_lbzip2, None, None))
        floor = _find(rows, row.input, 1, "floor")
        zcat = _find(rows, row.input, 1, "zcat")
        if floor and zcat and floor.wall_best_s and zcat.wall_best_s:
            results.append(
                TargetResult(
                    f"{row.input} 1x: read floor / bzcat (reported)", floor.wall_best_s / zcat.wall_best_s, None, None
                )
            )
    return results


def targets(rows: list[SummaryRow], growth: list[dict], scan: dict | None) -> list[TargetResult]:
    results = _articles_targets(rows)
    for name, limit in MAX_RATIO_TO_DUCKDB.items():
        row = _find(rows, name, 1, "spark")
        if row is None:
            continue
        results.append(
            TargetResult.check(
                f"{name} 1x: spark wall / duckdb wall (best of N)",
                row.ratio_to_duckdb if row else None,
                limit,
                failed=bool(row and row.wall_median_s is None),
            )
        )
    for step in growth:
        if step["to_scale"] == 2 * step["from_scale"]:
            results.append(
                TargetResult.check(
                    f"{step['input']} {step['from_scale']}x -> {step['to_scale']}x: time ratio",
                    step["time_ratio"],
                    MAX_DOUBLING_TIME_RATIO,
                    failed=step["failed"],
                )
            )
    for name in dict.fromkeys(r.input for r in rows):
        small, large = _find(rows, name, 1, "spark"), _find(rows, name, 4, "spark")
        if small and large:
            results.append(
                TargetResult.check(
                    f"{name} 4x vs 1x: JVM peak RSS ratio",
                    large.peak_rss_bytes / small.peak_rss_bytes,
                    MAX_PEAK_RSS_GROWTH_AT_4X,
                    failed=large.wall_median_s is None or small.wall_median_s is None,
                )
            )
    if scan is not None:
        results.append(
            TargetResult.check("pageviews_daily Parquet bytes / raw gz bytes", scan["storage_ratio"], MAX_STORAGE_RATIO)
        )
        results.append(
            TargetResult.check(
                f"top_pages on {scan['value']} ({scan['value_row_share']:.1%} of rows): "
                "share of bytes in matching row groups",
                scan["scan_share"],
                MAX_SCAN_SHARE,
            )
        )
    return results


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def results_table(rows: list[SummaryRow]) -> Table:
    table = Table(title="wikilake bench: wall time (median, best of N); ratios of the best runs within the same input")
    for column in (
        "job",
        "engine",
        "input (gz)",
        "rows",
        "wall median",
        "best",
        "rows/s",
        "vs DuckDB",
        "vs zcat",
        "vs floor",
        "vs lbzip2",
        "peak RSS",
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
            "-" if row.rows_per_s is None else f"{row.rows_per_s:,.0f}",
            _ratio(row.ratio_to_duckdb),
            _ratio(row.ratio_to_zcat),
            _ratio(row.ratio_to_floor),
            _ratio(row.ratio_to_lbzip2),
            _mb(row.peak_rss_bytes),
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
    """The runs whose stages the report prints: the best successful job run of each articles
    input at 1x (the fixed cost and the big file)."""
    best: dict[str, RunRecord] = {}
    candidates = [
        r
        for r in runs
        if r.engine == "spark" and r.scale == 1 and not r.error and r.spark_jobs and r.input.startswith("articles")
    ]
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
