"""Runs the benchmark: generate inputs, time every engine on every size, check, report.

The order of runs interleaves the engines (spark, duckdb, zcat, spark, ...) so slow drifts in the
machine's load hit all of them alike, and each input is read once unmeasured first so every timed
run finds it in the page cache. Each run writes into an emptied output folder.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench import chart, gc_log, jobs_source, machine, report, scan, sizing, stages
from bench.engines import Engine, engines, event_log_dir, gc_log_path, lbzip2_installed, spark_env
from bench.estimate import PlannedRun, estimate_seconds, previous_medians
from bench.inputs import RECIPES, CachedInput, Recipe, materialize
from bench.jobs_source import JobsSource
from bench.measure import Measurement, run_measured
from bench.run_outputs import failure_reason, in_job_seconds, read_manifest, table_rows, written_dir
from bench.summary import RunRecord, scaling, summarize
from bench.targets import targets
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "bench"
COMMITTED_RESULTS = BENCH_DIR / "results"
# Repetitions per input size: the headline 1x comparison gets 3 (median quoted); the larger
# sizes only show growth, and one 4x run of each job costs as much as four 1x runs.
DEFAULT_REPETITIONS = {1: 3, 2: 2, 4: 1}
SCAN_INPUT = "pageviews-day"
SCAN_TABLE = "pageviews_daily"


@dataclass
class BenchConfig:
    recipes: tuple[Recipe, ...] = tuple(RECIPES.values())
    scales: tuple[int, ...] = (1, 2, 4)
    repetitions: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_REPETITIONS))
    cache_root: Path = BENCH_DIR / "cache"
    results_dir: Path = COMMITTED_RESULTS
    spark_conf: dict[str, str] = field(default_factory=dict)
    jobs: JobsSource = field(default_factory=jobs_source.working_tree)
    # Wait (up to max_wait_s) for the 1-minute load average to drop below this before timing.
    max_load: float | None = None
    max_wait_s: float = 1800.0

    def reps(self, scale: int) -> int:
        return self.repetitions.get(scale, 1)


class BenchError(WikilakeError):
    """A run failed or the engines disagree: the benchmark's numbers would mean nothing."""


def _console() -> Console:
    """The terminal's width, or a width that fits the results table when output is a file."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


class Bench:
    def __init__(self, config: BenchConfig, console: Console | None = None):
        self.config = config
        self.console = console or _console()
        self.engines = engines(config.spark_conf, config.jobs.jobs_dir)
        self.runs: list[RunRecord] = []
        self.inputs: dict[tuple[str, int], CachedInput] = {}
        self.scan_result: dict | None = None

    def _progress(self) -> Progress:
        return Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )

    # --- inputs ---------------------------------------------------------------------------
    def prepare_inputs(self) -> None:
        with self._progress() as progress:
            for recipe in self.config.recipes:
                for scale in (1,) if getattr(recipe, "fixed_size", False) else self.config.scales:
                    scaled = recipe.scaled(scale) if scale != 1 else recipe
                    task = progress.add_task(f"input {recipe.name} {scale}x", total=scaled.steps())
                    data = materialize(scaled, self.config.cache_root, lambda task=task: progress.advance(task))
                    progress.update(
                        task,
                        completed=scaled.steps(),
                        description=f"input {data.label}: {len(data.files)} files, "
                        f"{data.records:,} records, "
                        f"{data.gz_bytes / 1e6:,.0f} MB gz",
                    )
                    self.inputs[(recipe.name, scale)] = data

    # --- runs -----------------------------------------------------------------------------
    def _wait_for_quiet_machine(self) -> None:
        limit = self.config.max_load
        if limit is None:
            return
        deadline = time.monotonic() + self.config.max_wait_s
        with self.console.status("") as status:
            while (load := machine.load_average()) >= limit and time.monotonic() < deadline:
                status.update(f"waiting for load average < {limit} (now {load:.2f})")
                time.sleep(15)
        if machine.load_average() >= limit:
            self.console.print(
                f"[yellow]load average still {machine.load_average():.2f} "
                f"after {self.config.max_wait_s:.0f}s; timing anyway[/]"
            )

    def output_root(self, data: CachedInput, engine: Engine) -> Path:
        return self.config.cache_root / "runs" / f"{data.name}-{data.scale}x" / engine.name

    def run_once(self, data: CachedInput, engine: Engine, repetition: int) -> RunRecord:
        out = self.output_root(data, engine)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        if engine.runs_spark:
            event_log_dir(out).mkdir()
        load_before = machine.load_average()
        measured: Measurement = run_measured(
            engine.argv(data, out),
            env=spark_env(self.config.jobs.python_path),
            cwd=PROJECT_ROOT,
            log_path=out.parent / f"{engine.name}.log",
        )
        record = RunRecord(
            input=data.name,
            scale=data.scale,
            engine=engine.name,
            repetition=repetition,
            wall_s=measured.wall_s,
            peak_rss_bytes=measured.peak_rss(engine.memory_process),
            peak_rss_process=engine.memory_process or (measured.processes[0].name if measured.processes else ""),
            kernel_maxrss_bytes=measured.kernel_maxrss_bytes,
            cpu_s=measured.cpu_s,
            load_before=load_before,
            load_after=machine.load_average(),
        )
        if measured.returncode != 0:
            # Recorded and reported (a job that fails at 4x is a result), not fatal to the run.
            record.error = f"exit {measured.returncode}: {failure_reason(measured)}"
            return record
        if engine.memory_process and record.peak_rss_bytes == 0:
            raise BenchError(f"no {engine.memory_process!r} process seen under {engine.label}")
        if engine.writes_tables:
            record.rows_written = table_rows(out, data.dataset, data.dt)
        if engine.runs_spark:
            record.spark_jobs = stages.read_event_logs(event_log_dir(out))
            record.peak_heap_after_gc_bytes = gc_log.peak_heap_after_gc(gc_log_path(out))
        if engine.name == "spark":
            manifest = read_manifest(out, data)
            self._check_manifest(manifest, data)
            record.in_job_s = in_job_seconds(manifest)
            record.input_splits = manifest.get("input_splits")
        return record

    @staticmethod
    def _check_manifest(manifest: dict, data: CachedInput) -> None:
        read = manifest.get("input_records")
        if read is not None and read != data.records:
            raise BenchError(f"the job counted {read:,} input records in {data.label}, the input has {data.records:,}")

    def _check_same_rows(self, data: CachedInput) -> None:
        """Every engine that writes tables wrote the same row counts on the same input."""
        written = {
            run.engine: run.rows_written
            for run in self.runs
            if (run.input, run.scale) == (data.name, data.scale) and run.rows_written and not run.error
        }
        distinct = {json.dumps(rows, sort_keys=True) for rows in written.values()}
        if len(distinct) > 1:
            detail = "; ".join(f"{engine}: {rows}" for engine, rows in written.items())
            raise BenchError(f"row counts differ on {data.label}: {detail}")

    def plan(self) -> list[tuple[CachedInput, int, Engine]]:
        """Every timed run: (input, repetition, engine), each engine on the inputs it applies to."""
        return [
            (data, rep, engine)
            for data in self.inputs.values()
            for rep in range(1, self.config.reps(data.scale) + 1)
            for engine in self.engines
            if engine.applies(data)
        ]

    def _zcat(self) -> Engine:
        return next(e for e in self.engines if e.name == "zcat")

    def time_all(self) -> None:
        plan = self.plan()
        zcat = self._zcat()
        with self._progress() as progress:
            task = progress.add_task("timing", total=len(plan))
            warmed: set[tuple[str, int]] = set()
            for data, rep, engine in plan:
                if (data.name, data.scale) not in warmed:
                    progress.update(task, description=f"{data.label}: warming the page cache")
                    run_measured(zcat.argv(data, self.config.cache_root))
                    warmed.add((data.name, data.scale))
                progress.update(
                    task, description=f"{data.label}: {engine.label}, run {rep}/{self.config.reps(data.scale)}"
                )
                record = self.run_once(data, engine, rep)
                self.runs.append(record)
                self._check_same_rows(data)
                progress.advance(task)
                outcome = (
                    f"[red]FAILED {record.error}[/]"
                    if record.error
                    else f"{record.wall_s:7.1f} s"
                    + (f" ({record.input_splits} input splits)" if record.input_splits else "")
                )
                progress.console.print(
                    f"  {data.label:<20} {engine.label:<24} run {rep}: {outcome}, "
                    f"peak {record.peak_rss_bytes / 1e6:,.0f} MB ({record.peak_rss_process}), "
                    f"load {record.load_before:.2f}"
                )
                if (data.name, data.scale) == (SCAN_INPUT, 1) and engine.name == "spark" and not record.error:
                    self.scan_result = self._scan(data, engine)

    def _scan(self, data: CachedInput, engine: Engine) -> dict:
        partition = written_dir(self.output_root(data, engine), data.dataset, SCAN_TABLE, data.dt)
        return scan.analyze(partition, data.gz_bytes).to_json()

    # --- the whole thing ------------------------------------------------------------------
    def header(self, machine_info: dict) -> None:
        plan = self.plan()
        # Each input is read once, untimed, before its runs (time_all).
        warm_ups = [PlannedRun(data.name, data.scale, self._zcat().name, data.records) for data in self.inputs.values()]
        runs = [PlannedRun(data.name, data.scale, engine.name, data.records) for data, _, engine in plan]
        # The committed results too: a results folder of its own starts empty.
        history = previous_medians(self.config.results_dir, COMMITTED_RESULTS)
        seconds = estimate_seconds(warm_ups + runs, history)
        self.console.print(
            f"machine: {machine_info['cores']} cores, {machine_info['cpu_model']}, "
            f"{machine_info['memory_bytes'] / 2**30:.0f} GiB; load average "
            f"{machine.load_average():.2f}"
        )
        if not lbzip2_installed():
            self.console.print(
                "[yellow]lbzip2 is not installed (apt-get install lbzip2): no parallel-decompressor "
                "floor for bzip2 input in this run[/]"
            )
        self.console.print(
            f"plan: {len(plan)} runs over {len(self.inputs)} inputs, repetitions per size "
            + ", ".join(f"{scale}x: {self.config.reps(scale)}" for scale in self.config.scales)
            + f"; expected about {seconds / 60:.0f} min"
        )

    def results(self, machine_info: dict, started: datetime) -> tuple:
        labels = {e.name: e.label for e in self.engines}
        datasets = {data.name: data.dataset for data in self.inputs.values()}
        inputs = {
            key: {"files": len(d.files), "gz_bytes": d.gz_bytes, "records": d.records} for key, d in self.inputs.items()
        }
        rows = summarize(self.runs, inputs, labels, datasets)
        growth = scaling(rows, "spark")
        results = targets(rows, growth, self.scan_result)
        cluster = sizing.of_rows(rows, machine_info["cores"]) or None
        loads = [r.load_before for r in self.runs] + [r.load_after for r in self.runs]
        return (
            {
                "date": started.date().isoformat(),
                "started_at": started.isoformat(timespec="seconds"),
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "machine": machine_info,
                "load_average_1min": {
                    "min": min(loads, default=0),
                    "max": max(loads, default=0),
                    "median": statistics.median(loads) if loads else 0,
                },
                "settings": {
                    "engines": {e.name: e.label for e in self.engines},
                    "jobs": self.config.jobs.description,
                    "spark_conf": next(e.spark_conf for e in self.engines if e.name == "spark"),
                    "repetitions": self.config.repetitions,
                    "peak_rss": "max over repetitions of the VmHWM of the measured process "
                    "(spark: the java process; duckdb: the peer's python process; "
                    "zcat: gzip), sampled from /proc every 50 ms (new processes found every 0.25 s)",
                    "peak_heap_after_gc": "spark runs: max over repetitions of the largest heap in use "
                    "right after a young, mixed or full collection, from the JVM's GC log (-Xlog:gc)",
                },
                "inputs": [
                    {
                        "name": d.name,
                        "dataset": d.dataset,
                        "scale": d.scale,
                        "dt": d.dt,
                        "files": len(d.files),
                        "records": d.records,
                        "gz_bytes": d.gz_bytes,
                        "directory": str(d.directory),
                    }
                    for d in self.inputs.values()
                ],
                "table": [asdict(r) for r in rows],
                "scaling": growth,
                "scan_efficiency": self.scan_result,
                "targets": [asdict(t) for t in results],
                "sizing": cluster,
                "runs": [asdict(r) for r in self.runs],
            },
            rows,
            growth,
            results,
            cluster,
        )

    def run(self) -> tuple[dict, Path]:
        started = datetime.now(timezone.utc)
        machine_info = machine.describe()
        self.prepare_inputs()
        self.header(machine_info)
        self._wait_for_quiet_machine()
        self.time_all()
        document, rows, growth, results, cluster = self.results(machine_info, started)
        report.print_report(self.console, rows, growth, self.scan_result, results, cluster, self.runs)
        path = report.write_json(self.config.results_dir / f"{document['date']}.json", document)
        picture = chart.write_chart(document, path.with_suffix(".png"))
        self.console.print(f"results written to {path}, chart to {picture}")
        return document, path

    @property
    def failed_runs(self) -> list[RunRecord]:
        return [run for run in self.runs if run.error]
