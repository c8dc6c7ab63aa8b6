"""Draws a run's profile as a PNG: task time per stage (bars, the slowest task marked) above the
executors' busy time (cores running tasks against cores alive, over the run's wall)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from wikilake import charts

MAX_STAGES = 25  # the stages with the most task time; the rest are summed in the table only
MAX_LABEL = 38
BAR_COLOR, MAX_COLOR, CORES_COLOR = "#3572b0", "#d04437", "#8c8c8c"


def stage_label(stage: Mapping) -> str:
    """``3 · parquet at pageviews.py:210``: the call site's file without its folders."""
    action, at, where = stage["name"].partition(" at ")
    text = f"{stage['stage']} · {action} at {where.rsplit('/', 1)[-1]}" if at else f"{stage['stage']} · {action}"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def write_profile_chart(profile: Mapping, path: str | Path, title: str) -> Path:
    """The profile's chart into the PNG ``path`` (folders created); returns the path."""
    return charts.save_png(path, lambda: draw_profile(profile, title))


def draw_profile(profile: Mapping, title: str) -> Figure:
    stages = sorted(profile.get("stages") or (), key=lambda s: s["task_seconds"], reverse=True)[:MAX_STAGES]
    stages.sort(key=lambda s: s["stage"])
    figure = charts.new_figure()
    figure.set_size_inches(charts.FIGURE_WIDTH_INCHES, 3.2 + 0.32 * len(stages))
    top, bottom = figure.subplots(2, 1, height_ratios=[max(len(stages), 3), 4])
    _draw_stages(top, stages)
    _draw_busy(bottom, profile)
    charts.set_title(figure, title)
    return figure


def _draw_stages(axes, stages: list[Mapping]) -> None:
    rows = range(len(stages))
    axes.barh(rows, [s["task_seconds"] for s in stages], color=BAR_COLOR, label="task seconds (all tasks)")
    axes.scatter(
        [s["max_task_seconds"] for s in stages],
        rows,
        color=MAX_COLOR,
        marker="|",
        s=120,
        zorder=3,
        label="slowest task",
    )
    axes.set_yticks(rows, [stage_label(s) for s in stages], fontsize=8)
    axes.invert_yaxis()
    for row, stage in zip(rows, stages):
        slowest, median = stage["max_task_seconds"], stage["median_task_seconds"]
        tasks = f"{stage['tasks']:,} task" + ("" if stage["tasks"] == 1 else "s")
        text = f"{tasks}, max {slowest:.1f} s / median {median:.1f} s"
        axes.annotate(
            text, (stage["task_seconds"], row), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7
        )
    axes.set_xlabel("task seconds per stage")
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(axis="y", visible=False)
    axes.margins(x=0.5)
    axes.legend(frameon=False, fontsize=8, loc="lower right")


def _draw_busy(axes, profile: Mapping) -> None:
    timeline = profile.get("timeline") or {}
    step = timeline.get("step_seconds") or 0
    busy, alive = timeline.get("busy_cores") or [], timeline.get("cores") or []
    x = [step * (i + 0.5) for i in range(len(busy))]
    axes.fill_between(x, busy, step="mid", color=BAR_COLOR, alpha=0.6, label="cores running tasks")
    axes.step(x, alive, where="mid", color=CORES_COLOR, label="cores alive")
    utilization = profile.get("utilization")
    shown = f"{utilization:.0%}" if utilization is not None else "n/a"
    axes.set_title(
        f"executors' busy time: {shown} of {profile.get('core_seconds_available', 0):,.0f} core-seconds", fontsize=9
    )
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("cores")
    axes.set_xlim(0, step * len(busy) if busy else 1)
    axes.set_ylim(bottom=0, top=max(alive or [1]) * 1.4)  # room for the legend above the lines
    axes.legend(frameon=False, fontsize=8, loc="upper right", ncols=2)
