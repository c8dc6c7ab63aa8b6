"""Turns the benchmark's individual runs into one summary row per input, size and engine (median
and best of N, ratios of the best runs within the same input and size) and the scaling steps."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


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
    cpu_s: float | None = None  # user + system CPU seconds of the run's process tree
    # Spark runs: each Spark job (action) with its stages, from the event log (see stages.py).
    spark_jobs: list[dict] = field(default_factory=list)
    # Spark runs: the most heap a collection left in use (bench/gc_log.py); None: no collection.
    peak_heap_after_gc_bytes: int | None = None


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
    cpu_best_s: float | None = None  # the least CPU seconds of a successful run (load moves it little)
    peak_heap_after_gc_bytes: int | None = None  # the largest over the repetitions (Spark runs)


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
                cpu_best_s=min((r.cpu_s for r in ok if r.cpu_s is not None), default=None),
                peak_heap_after_gc_bytes=max(
                    (r.peak_heap_after_gc_bytes for r in group if r.peak_heap_after_gc_bytes is not None), default=None
                ),
            )
        )
    return rows


def find_row(rows: list[SummaryRow], name: str, scale: int, engine: str) -> SummaryRow | None:
    return next((r for r in rows if (r.input, r.scale, r.engine) == (name, scale, engine)), None)


def scaling(rows: list[SummaryRow], engine: str) -> list[dict]:
    """Time and peak-memory growth of ``engine`` from each size to the next, per input."""
    found = []
    for name in dict.fromkeys(r.input for r in rows):
        sizes = sorted(r.scale for r in rows if r.input == name and r.engine == engine)
        base = find_row(rows, name, sizes[0], engine) if sizes else None
        for smaller, larger in zip(sizes, sizes[1:]):
            a, b = find_row(rows, name, smaller, engine), find_row(rows, name, larger, engine)
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
