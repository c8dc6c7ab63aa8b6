"""Prints a run's profile for people: what its cores did, a table of its stages (time, tasks,
skew, spill) and the advice that applies (wikilake_core/spark_advice.py)."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Console
from rich.table import Table

from wikilake.profile_chart import stage_label
from wikilake_core import day_runs, spark_advice


def _bytes(count: int | None) -> str:
    known = count or 0
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if known >= size:
            return f"{known / size:,.1f} {unit}"
    return f"{known} B"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def summary(profile: Mapping) -> str:
    utilization = profile.get("utilization")
    busy = f"{utilization:.0%}" if utilization is not None else "n/a"
    return (
        f"wall {profile['wall_seconds']:,.1f} s on {_count(profile['cores'], 'core')} "
        f"({_count(profile['executors'], 'executor')} on {_count(profile['hosts'], 'host')}): "
        f"{profile['task_seconds']:,.1f} of {profile['core_seconds_available']:,.1f} "
        f"core-seconds ran tasks, utilization {busy}; GC {profile['gc_seconds']:,.1f} s; "
        f"read {_bytes(profile['input_bytes'])}, shuffled {_bytes(profile['shuffle_bytes'])}, "
        f"spilled {_bytes(profile['spill_bytes'])}"
    )


def stages_table(profile: Mapping) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="stages", title_justify="left", pad_edge=False, collapse_padding=True)
    table.add_column("stage", no_wrap=True, overflow="ellipsis", max_width=24)
    for column in ("time s", "tasks", "task s", "max s", "median s", "skew", "spill"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for stage in profile.get("stages") or ():
        median = stage["median_task_seconds"]
        skew = f"{stage['max_task_seconds'] / median:.1f}x" if median else "-"
        table.add_row(
            stage_label(stage),
            f"{stage['seconds']:,.1f}",
            f"{stage['tasks']:,}",
            f"{stage['task_seconds']:,.1f}",
            f"{stage['max_task_seconds']:,.1f}",
            f"{median:,.1f}",
            skew,
            _bytes(stage["spill_bytes"]) if stage["spill_bytes"] else "-",
        )
    return table


def show(console: Console, manifest: Mapping) -> list[spark_advice.Advice]:
    """Print the day's run's profile and its advice; returns the advice."""
    profile = manifest["profile"]
    runtime = manifest.get("runtime") or "unknown"
    console.print(
        f"[bold]{manifest['dataset']} dt={manifest['dt']}[/] run {manifest.get(day_runs.RUN_ID) or '-'} "
        f"on {runtime}, Spark application {profile.get('application_id') or '-'}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(summary(profile), highlight=False, soft_wrap=True)
    console.print(stages_table(profile))
    advice = spark_advice.advise(profile, runtime)
    if not advice:
        console.print("advice: none; nothing in this run's profile calls for a change", highlight=False)
    for number, found in enumerate(advice, 1):
        console.print(f"advice {number} ({found.rule}): {found.text()}", highlight=False, soft_wrap=True)
    return advice


STAGE_COLUMNS = (
    "stage",
    "name",
    "seconds",
    "tasks",
    "task_seconds",
    "max_task_seconds",
    "median_task_seconds",
    "spill_bytes",
)


def report_section(manifest: Mapping):
    """The run's profile as a section of an HTML report (wikilake/report.py): its summary, its
    stages as the table, and the profile chart."""
    from wikilake.profile_chart import write_profile_chart
    from wikilake.query_result import QueryResult
    from wikilake.report import Section

    profile = manifest["profile"]
    stages = QueryResult(STAGE_COLUMNS, tuple(tuple(s[c] for c in STAGE_COLUMNS) for s in profile["stages"]))
    return Section(
        "profile",
        f"Spark profile: {manifest['dataset']} dt={manifest['dt']}",
        f"{summary(profile)}. Advice: "
        + ("; ".join(a.text() for a in spark_advice.advise(profile, manifest.get("runtime") or "")) or "none")
        + ". (`wikilake profile`, docs/monitoring.md)",
        stages,
        draw=lambda path, title: write_profile_chart(profile, path, title),
    )
