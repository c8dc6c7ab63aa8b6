"""The whole pipeline on one machine: the shipped samples through the PySpark jobs into a local
lake, every named query on DuckDB, an HTML report with charts, and `cdk synth` of the AWS app."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wikilake.local import demo_history
from wikilake.output import print_table, rich_table
from wikilake.query_result import QueryResult
from wikilake_core import contract, datasets, layout, quality, run_history
from wikilake_core.ddl import NamedQuery, load_queries
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import PROJECT_ROOT, SAMPLES_DIR
from wikilake_core.quality import QualityFailed
from wikilake_core.run_history import failed_checks, failure_message, warning_message

# Values for the named queries' parameters that have no default; dt comes from the sample days.
DEMO_VALUES = {"project": "en.wikipedia"}
REPORT_DIR = "report"
SYNTH_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class SampleDay:
    dataset: str
    dt: str
    inputs: tuple[Path, ...]
    synthetic: bool


@dataclass(frozen=True)
class Answer:
    query: NamedQuery
    params: str  # as typed, e.g. "dt=2015-09-12 top_n=10"
    result: QueryResult
    history: bool = False  # a query of the run history (runs, quality)


def sample_days(samples_dir: Path = SAMPLES_DIR) -> tuple[SampleDay, ...]:
    """The shipped sample of every registered dataset, with the dt it holds."""
    days = []
    for dataset in datasets.REGISTRY.values():
        sample = samples_dir / dataset.sample_path
        files = (
            tuple(sorted(p for p in sample.iterdir() if p.is_file()))
            if sample.is_dir()
            else ((sample,) if sample.is_file() else ())
        )
        if not files:
            raise WikilakeError(f"the {dataset.name} sample {sample} is missing; restore data/samples/ with git")
        days.append(SampleDay(dataset.name, dataset.sample_dt, files, dataset.sample_synthetic))
    return tuple(days)


def query_datasets(query: NamedQuery, engine) -> tuple[str, ...]:
    """The datasets whose tables the query reads, in registry order (none for a query of the
    run history only: it takes no dt)."""
    tables = engine.tables_of(query.sql)
    needed = {datasets.of_table(table).name for table in tables - set(run_history.HISTORY_TABLES)}
    if not needed and not tables & set(run_history.HISTORY_TABLES):
        raise WikilakeError(f"{query.name}: reads no table of a dataset; the demo cannot pick its dt")
    return tuple(name for name in datasets.DATASETS if name in needed)


def dt_parameter(dataset: str) -> str:
    """The parameter naming ``dataset``'s dt in a query that reads several datasets."""
    return f"{dataset}_{layout.PARTITION_KEY}"


def demo_params(query: NamedQuery, dts: dict[str, str]) -> list[str]:
    """`name=value` for the demo: the dt of each dataset the query reads (``dt`` when it reads one,
    ``<dataset>_dt`` for each when it reads several), DEMO_VALUES, else the header default."""
    dt_values = (
        {layout.PARTITION_KEY: next(iter(dts.values()))}
        if len(dts) == 1
        else {dt_parameter(name): dt for name, dt in dts.items()}
    )  # {} for a query of the run history
    names = {p.name for p in query.parameters}
    if missing := sorted(set(dt_values) - names):
        raise WikilakeError(
            f"{query.name}: reads {', '.join(dts)}; its dt parameters must be "
            f"named {', '.join(dt_values)} (missing {', '.join(missing)})"
        )
    values = {**dt_values, **DEMO_VALUES}
    return [f"{p.name}={values[p.name]}" for p in query.parameters if p.name in values]


class _Steps:
    """Each step shows a spinner with elapsed time while it runs, then a ✓ line with its duration.
    The step yields a function that shows what the step is doing now."""

    def __init__(self, console: Console):
        self.console = console

    @contextlib.contextmanager
    def step(self, text: str):
        started = time.perf_counter()
        if self.console.is_terminal:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=self.console, transient=True) as progress:
                task = progress.add_task(text, total=None)
                yield lambda detail: progress.update(task, description=f"{text}: {detail}")
        else:  # a log file gets the ✓ lines only
            yield lambda detail: None
        self.console.print(f"[green]✓[/] {text} [dim]({time.perf_counter() - started:.1f} s)[/]")


@contextlib.contextmanager
def spark_session(spark, steps: _Steps):
    """``spark`` if given, else the active session, else a new local one (stopped afterwards)."""
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    if spark is not None:
        yield spark
        return
    from spark_jobs.session import build_session

    with steps.step("starting Spark (local[*])"):
        session = build_session("wikilake-demo", master="local[*]")
    try:
        yield session
    finally:
        session.stop()


def run_jobs(days, lake: Path, steps: _Steps, spark=None) -> list[dict]:
    """Runs each dataset's PySpark job on its sample day in one session; returns the manifests."""
    from wikilake.local.runner import run_local

    manifests = []
    with spark_session(spark, steps) as session:
        for day in days:
            label = " (synthetic)" if day.synthetic else ""
            text = f"{day.dataset} job: {len(day.inputs)} file(s){label} -> {lake}/ dt={day.dt}"
            with steps.step(text) as show:
                try:
                    manifest = run_local(
                        day.dataset, day.dt, [str(p) for p in day.inputs], lake=str(lake), spark=session, progress=show
                    )
                except QualityFailed as failed:  # the demo shows it, the data stays: go on
                    manifest = failed.manifest
            manifests.append(manifest)
            show_quality(manifest, steps.console)
    return manifests


def show_quality(manifest: dict, console: Console) -> None:
    """A run's failing quality checks, as `wikilake local run` reports them."""
    if failed_checks(manifest, quality.FAIL):
        console.print(f"  [red]QualityFailed[/]: {failure_message(manifest)}", highlight=False)
    if failed_checks(manifest, quality.WARN):
        console.print(f"  [yellow]warning[/]: {warning_message(manifest)}", highlight=False)


def history_days(lake: Path, steps: _Steps) -> tuple[SampleDay, ...]:
    """The generated pageviews days after the sample (wikilake.local.demo_history), as sample days."""
    with steps.step(f"generating {len(demo_history.DAYS)} more pageviews days -> {lake}/raw/"):
        files = demo_history.generate(lake)
    return tuple(SampleDay(demo_history.DATASET, day.dt, files[day.dt], True) for day in demo_history.DAYS)


def run_queries(days, lake: Path, steps: _Steps) -> list[Answer]:
    """Every named query on the local lake with the demo's parameters."""
    from wikilake.local.query import LocalEngine
    from wikilake.query_params import bind, describe

    dt_of = {day.dataset: day.dt for day in days}
    answers = []
    with LocalEngine(lake) as engine:
        for query in load_queries().values():
            with steps.step(f"query {query.name}"):
                dts = {name: dt_of[name] for name in query_datasets(query, engine)}
                literals = bind(query, demo_params(query, dts))
                answers.append(Answer(query, describe(literals), engine.run(query, literals), history=not dts))
    return answers


def print_answers(answers: list[Answer], console: Console) -> None:
    for answer in answers:
        console.print()
        console.print(f"[bold]{answer.query.name}[/]: {answer.query.description}", highlight=False)
        print_table(console, rich_table(answer.result, title=answer.params))


def write_demo_report(answers: list[Answer], manifests: list[dict], days, lake: Path) -> Path:
    from wikilake.report import Report, Section, write_report

    synthetic = ", ".join(f"{d.dataset} (dt={d.dt})" for d in days if d.synthetic)
    notes = (
        "Produced by `wikilake demo`: the PySpark jobs ran locally on the samples in data/samples/, "
        "and every named query of athena_ddl/queries/ ran on DuckDB over the resulting Parquet "
        "lake — the same jobs, DDL and SQL that run on EMR and Athena.",
        f"Synthetic data: {synthetic} was generated by wikilake/local/generators/pageviews.py; it is not "
        "real traffic. The edits are real (Wikipedia recent changes of 2015-09-12, CC BY-SA).",
        "The articles are 206 real pages of an English Wikipedia dump of 2016 (CC BY-SA; "
        "data/samples/NOTICE.md). The generator gives part of its most viewed en.wikipedia titles "
        "from that sample, so the query that joins pageviews to articles matches some of them; the "
        "other titles are made up and show no article (see docs/datasets.md).",
    )
    report = Report(
        title="wikilake demo report",
        notes=notes,
        facts=(Section("runs", "Job runs", "", jobs_table(manifests), chart=False),),
        sections=tuple(
            Section(a.query.name, a.query.name, a.query.description, a.result, a.params, a.query.sql)
            for a in answers
            if not a.history
        ),
        groups=(
            (RUNS_AND_QUALITY, runs_and_quality([a for a in answers if a.history])),
            *profile_group(manifests),
        ),
    )
    return write_report(report, lake / REPORT_DIR)


def profile_group(manifests: list[dict]) -> tuple:
    """The Spark profile of the run that did the most task work (`wikilake profile`), if any has one."""
    from wikilake.profile_view import report_section

    profiled = [m for m in manifests if m.get("profile")]
    if not profiled:
        return ()
    busiest = max(profiled, key=lambda m: m["profile"]["task_seconds"])
    return (("Spark profile", (report_section(busiest),)),)


RUNS_AND_QUALITY = "Runs and quality"


def column(result: QueryResult, name: str) -> list:
    index = result.columns.index(name)
    return [row[index] for row in result.rows]


def runs_and_quality(answers: list[Answer]) -> tuple:
    """The report's run-history sections: rows and rejects per dt (charts), cost per month (a
    chart where a cost is known: runs on AWS), the runs and the failed checks (tables)."""
    from wikilake.charts import ChartSpec
    from wikilake.report import Section

    by_name = {a.query.name: a for a in answers}

    def section(name: str, **chart) -> Section:
        a = by_name[name]
        return Section(name, name, a.query.description, a.result, a.params, a.query.sql, **chart)

    trend = by_name["rows_trend"].result
    rejects = QueryResult(
        ("dt", "rejected_records"), tuple(zip(column(trend, "dt"), column(trend, "rejected_records")))
    )
    priced = any(usd is not None for usd in column(by_name["cost_by_month"].result, "usd"))
    return (
        section("rows_trend", chart_spec=ChartSpec("line", ("dt",), ("table_rows",))),
        Section(
            "rejects_per_dt",
            "rejected records per dt",
            "Records the pageviews job rejected per dt (from rows_trend).",
            rejects,
            chart_spec=ChartSpec("line", ("dt",), ("rejected_records",)),
        ),
        section("quality_failures", chart=False),
        section("run_history", chart=False),
        section("cost_by_month", chart=priced, chart_spec=ChartSpec("bar", ("month", "dataset"), ("usd",))),
    )


def jobs_table(manifests: list[dict]) -> QueryResult:
    """One row per job run, from its manifest: what went in, what was rejected, what was written."""
    columns = ("dataset", "dt", "input_files", "input_records", "rejected_records", "rows_written", "seconds")
    rows = tuple(
        (
            m.get("dataset"),
            m.get("dt"),
            len(m.get("input_files", ())),
            m.get("input_records"),
            m.get("rejected_records"),
            ", ".join(f"{table} {count:,}" for table, count in m.get("rows_written", {}).items()),
            m.get("duration_seconds"),
        )
        for m in manifests
    )
    return QueryResult(columns, rows)


def synth_environment() -> dict[str, str]:
    """The environment `make` gives cdk: the venv's Python and Node first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    node_bin = str(PROJECT_ROOT / "node_modules" / ".bin")
    return {
        **os.environ,
        "PATH": os.pathsep.join([venv_bin, node_bin, os.environ.get("PATH", "")]),
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }


def synth(log_path: Path, steps: _Steps) -> list[str]:
    """`npx cdk synth` of the CDK app into cdk.out/; returns the synthesized stack names."""
    env = synth_environment()
    npx = shutil.which("npx", path=env["PATH"])
    if npx is None:
        raise WikilakeError("npx not found: run `make setup` (it installs Node into .venv)")
    if not (PROJECT_ROOT / "cdk.json").is_file():
        raise WikilakeError(f"no CDK app: {PROJECT_ROOT / 'cdk.json'} is missing")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with steps.step("cdk synth (CloudFormation templates -> cdk.out/)"), log_path.open("w") as log:
        try:
            done = subprocess.run(
                [npx, "--no-install", "cdk", "synth", "--quiet"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=SYNTH_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise WikilakeError(f"cdk synth took over {SYNTH_TIMEOUT_SECONDS} s; see {log_path}") from None
    if done.returncode != 0:
        lines = [line for line in log_path.read_text().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise WikilakeError(f"cdk synth failed (exit {done.returncode}): {last} — full log: {log_path}")
    return sorted(p.name.removesuffix(".template.json") for p in (PROJECT_ROOT / "cdk.out").glob("*.template.json"))


def next_steps(report: Path, days, stacks: list[str] | None) -> str:
    dt = datasets.get("pageviews").sample_dt
    synthesized = f"Synthesized {len(stacks)} stacks into cdk.out/: {', '.join(stacks)}\n" if stacks else ""
    return (
        f"Report: [bold]{report}[/] (open it in a browser)\n{synthesized}\n"
        "[bold]Next steps[/]\n"
        "  # query the local lake (same SQL as on Athena)\n"
        "  wikilake query --list\n"
        f"  wikilake query top_pages --local -p dt={dt} -p project=de.wikipedia --chart top.png\n"
        "  # deploy to AWS (once per account/region first: npx cdk bootstrap)\n"
        "  make deploy             # = npx cdk deploy --all\n"
        f"  # {', '.join(contract.stack_names().values())}\n"
        "  # a real day: ingest it, process it on EMR, ask Athena\n"
        "  wikilake ingest pageviews --date 2024-03-15 --contact you@example.org\n"
        "  wikilake run pageviews --date 2024-03-15\n"
        "  wikilake query top_pages -p dt=2024-03-15 -p project=en.wikipedia\n"
        "  # remove everything again\n"
        "  make destroy"
    )


def run_demo(
    lake: str | Path = "lake", *, skip_synth: bool = False, console: Console | None = None, spark=None
) -> list[Answer]:
    """Runs the demo end to end; returns the answers it printed."""
    console = console or Console(soft_wrap=True)  # long commands stay whole in logs
    lake = Path(lake)
    steps = _Steps(console)
    started = time.perf_counter()
    days = sample_days()
    console.rule("[bold]1/4 PySpark jobs on the shipped samples")
    manifests = run_jobs(days + history_days(lake, steps), lake, steps, spark=spark)
    print_table(console, rich_table(jobs_table(manifests), title="job runs (manifests/)"))
    console.rule("[bold]2/4 Named queries (Athena SQL on DuckDB)")
    answers = run_queries(days, lake, steps)
    print_answers(answers, console)
    console.rule("[bold]3/4 Report")
    with steps.step(f"report with {len(answers)} charts -> {lake / REPORT_DIR}/index.html"):
        report = write_demo_report(answers, manifests, days, lake)
    console.rule("[bold]4/4 CDK app")
    stacks = None
    if skip_synth:
        console.print("cdk synth skipped (--skip-synth)")
    else:
        stacks = synth(lake / REPORT_DIR / "cdk-synth.log", steps)
    console.rule("[bold]wikilake demo: done")
    console.print(next_steps(report, days, stacks), highlight=False)
    console.print(f"[dim]demo finished in {time.perf_counter() - started:.0f} s[/]")
    return answers
