"""Draws a benchmark results file as a PNG beside it: wall time per engine and size, and how our
jobs' time and memory grow with the input (when the run had more than one size).

    python -m bench.chart bench/results/2026-11-26.json   # -> bench/results/2026-11-26.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ENGINE_COLORS = {"spark": "#3572b0", "duckdb": "#e0a030", "zcat": "#8a8a8a", "floor": "#7fb3e0", "lbzip2": "#5a9e5a"}


def _bar_label(walls: dict, group: tuple) -> str:
    """Seconds over a bar; "failed" where the engine ran and failed, nothing where it does not
    apply (a read floor or lbzip2 for gzip input)."""
    if group not in walls:
        return ""
    wall = walls[group]
    if not wall:
        return "failed"
    return f"{wall:.0f}" if wall >= 10 else f"{wall:.1f}"


def _wall_panel(axes, table: list[dict]) -> None:
    """Grouped bars: one group per input and size, one bar per engine (median wall seconds)."""
    groups = list(dict.fromkeys((row["input"], row["scale"]) for row in table))
    engines = list(dict.fromkeys(row["engine"] for row in table))
    width = 0.8 / len(engines)
    for offset, engine in enumerate(engines):
        walls = {(r["input"], r["scale"]): r["wall_median_s"] for r in table if r["engine"] == engine}
        xs = [i + (offset - (len(engines) - 1) / 2) * width for i in range(len(groups))]
        heights = [walls.get(group) or 0 for group in groups]
        bars = axes.bar(xs, heights, width, label=engine, color=ENGINE_COLORS.get(engine))
        axes.bar_label(bars, labels=[_bar_label(walls, group) for group in groups], fontsize=7, padding=2)
    axes.set_xticks(range(len(groups)), [f"{name}\n{scale}x" for name, scale in groups], fontsize=7, rotation=15)
    axes.set_ylabel("wall median (s)")
    axes.set_title("wall time: our job (spark-submit local[2]) vs DuckDB vs zcat")
    axes.legend(frameon=False)


def _growth_panel(axes, table: list[dict]) -> None:
    """Time, peak RSS and heap after GC of our jobs relative to 1x, against the ideal (time grows
    as the input)."""
    spark = [row for row in table if row["engine"] == "spark"]
    scales = sorted({row["scale"] for row in spark})
    axes.plot(scales, scales, linestyle=":", color="#8a8a8a", label="input size")
    for name in dict.fromkeys(row["input"] for row in spark):
        rows = {r["scale"]: r for r in spark if r["input"] == name}
        base = rows.get(min(rows))
        if not base or not base["wall_median_s"]:
            continue
        timed = [s for s in sorted(rows) if rows[s]["wall_median_s"]]
        axes.plot(
            timed, [rows[s]["wall_median_s"] / base["wall_median_s"] for s in timed], marker="o", label=f"{name}: time"
        )
        axes.plot(
            sorted(rows),
            [rows[s]["peak_rss_bytes"] / base["peak_rss_bytes"] for s in sorted(rows)],
            marker="s",
            linestyle="--",
            label=f"{name}: peak RSS",
        )
        heap = [s for s in sorted(rows) if rows[s].get("peak_heap_after_gc_bytes")]
        if base.get("peak_heap_after_gc_bytes") and len(heap) > 1:
            axes.plot(
                heap,
                [rows[s]["peak_heap_after_gc_bytes"] / base["peak_heap_after_gc_bytes"] for s in heap],
                marker="^",
                linestyle=":",
                label=f"{name}: heap after GC",
            )
    axes.set_xticks(scales, [f"{s}x" for s in scales])
    axes.set_xlabel("input size")
    axes.set_ylabel("relative to 1x")
    axes.set_title("our jobs as the input grows")
    axes.legend(frameon=False, fontsize=8)


def grows(table: list[dict]) -> bool:
    """Whether the run timed our jobs at more than one size (else there is no growth to draw)."""
    return len({row["scale"] for row in table if row["engine"] == "spark"}) > 1


def write_chart(document: dict, path: Path) -> Path:
    table = document["table"]
    if grows(table):
        figure = Figure(figsize=(13, 5), layout="constrained")
        wall, growth = figure.subplots(1, 2, width_ratios=(3, 2))
        _growth_panel(growth, table)
    else:
        figure = Figure(figsize=(8, 5), layout="constrained")
        wall = figure.subplots()
    _wall_panel(wall, table)
    machine = document["machine"]
    figure.suptitle(
        f"wikilake bench {document['date']}: {machine['cores']} cores, "
        f"{machine['cpu_model']}, {machine['memory_bytes'] / 2**30:.0f} GiB",
        x=0.01,
        ha="left",
    )
    FigureCanvasAgg(figure).print_png(str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chart", description="Draw a bench results JSON as a PNG beside it."
    )
    parser.add_argument("results", type=Path, help="bench/results/<date>.json")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.results.read_text())
    except (OSError, ValueError) as err:
        print(f"error: cannot read {args.results}: {err}", file=sys.stderr)
        return 1
    print(write_chart(document, args.results.with_suffix(".png")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
