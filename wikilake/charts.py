"""Draws a QueryResult as a PNG: a line chart for time series, a horizontal bar chart for rankings.

The chart is chosen from the result's shape, so ad-hoc SQL gets charts too: a time column (hour,
dt, ...) gives a line per numeric column; otherwise the text columns label bars whose length is
the first numeric column (`rank` is never plotted). A title column (page_title, title) names its
row alone: the other columns are in the table beside the chart. The chart's title is wrapped to
the figure's width. Drawn with the Agg backend, no pyplot state.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from matplotlib.typing import RcKeyType

from wikilake.output import is_number
from wikilake.query_result import QueryResult
from wikilake_core.errors import WikilakeError

TIME_COLUMNS = ("hour", "minute", "day", "dt", "event_time", "time")
ORDINAL_COLUMNS = ("rank",)
TITLE_COLUMNS = ("page_title", "title")
MAX_BARS = 25
MAX_LABEL = 42
FIGURE_WIDTH_INCHES = 9
TITLE_CHARS_PER_INCH = 9  # at the large title size a line of the figure's width holds ~100
# Titles come in every script; fall back to whatever installed font has the glyph (CJK fonts if
# present, else the placeholder glyphs of Last Resort) instead of warning once per character.
_FONT_FALLBACKS = (
    "DejaVu Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Droid Sans Fallback",
    "Last Resort High-Efficiency",
)
_STYLE: dict[RcKeyType, object] = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


@dataclass(frozen=True)
class ChartSpec:
    kind: str  # "line" or "bar"
    x: tuple[str, ...]  # line: the time column; bar: the label column(s)
    y: tuple[str, ...]  # line: one series each; bar: the bar length


def _numeric_columns(result: QueryResult) -> list[str]:
    return [
        column
        for i, column in enumerate(result.columns)
        if any(is_number(row[i]) for row in result.rows)
        and all(row[i] is None or is_number(row[i]) for row in result.rows)
    ]


def infer_chart(result: QueryResult) -> ChartSpec:
    """The chart that suits ``result``, or a one-line error when nothing can be drawn."""
    if not result.rows:
        raise WikilakeError("nothing to chart: the query returned no rows")
    numeric = [c for c in _numeric_columns(result) if c not in ORDINAL_COLUMNS]
    time_column = next((c for c in result.columns if c.lower() in TIME_COLUMNS), None)
    if time_column is not None:
        series = [c for c in numeric if c != time_column]
        if series:
            return ChartSpec("line", (time_column,), tuple(series))
    labels = [c for c in result.columns if c not in numeric and c not in ORDINAL_COLUMNS]
    titles = [c for c in labels if c.lower() in TITLE_COLUMNS]
    labels = titles[:1] or labels
    if not numeric or not labels:
        raise WikilakeError(
            f"nothing to chart: needs a label column and a numeric column (columns: {', '.join(result.columns)})"
        )
    return ChartSpec("bar", tuple(labels), (numeric[0],))


def _label(row: dict, columns: tuple[str, ...]) -> str:
    """The label columns joined; when too long the first (the name) is shortened, not the rest."""
    first, *rest = ["NULL" if row[c] is None else str(row[c]) for c in columns]
    tail = "".join(f" · {text}" for text in rest)
    room = max(MAX_LABEL - len(tail), 12)
    return (first if len(first) <= room else first[: room - 1] + "…") + tail


def _value_format(column: str, values: list) -> str:
    if column.endswith("_pct"):
        return "{:,.1f}%"
    return "{:,.0f}" if all(isinstance(v, int) for v in values) else "{:,.2f}"


def _draw_bar(figure: Figure, spec: ChartSpec, rows: list[dict], title: str) -> None:
    rows = rows[:MAX_BARS]
    column = spec.y[0]
    values = [row[column] or 0 for row in rows]
    figure.set_size_inches(FIGURE_WIDTH_INCHES, 1.6 + 0.38 * len(rows))
    axes = figure.subplots()
    bars = axes.barh(range(len(rows)), values, color="#3572b0")
    axes.set_yticks(range(len(rows)), [_label(row, spec.x) for row in rows])
    axes.invert_yaxis()  # first row (rank 1) on top
    axes.bar_label(bars, labels=[_value_format(column, values).format(v) for v in values], padding=3, fontsize=8)
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_xlabel(column)
    axes.grid(axis="y", visible=False)
    axes.margins(x=0.12)
    if column.endswith("_pct"):
        axes.set_xlim(0, 108)  # a share reads against the whole, with room for the labels
    set_title(figure, title)


def set_title(figure: Figure, title: str) -> None:
    """The chart's title over the whole figure width (not the axes', which the bar labels
    narrow), in lines that fit: a long parameter list would otherwise run off the figure."""
    lines = textwrap.wrap(title, FIGURE_WIDTH_INCHES * TITLE_CHARS_PER_INCH, break_on_hyphens=False)
    figure.suptitle("\n".join(lines), x=0.01, ha="left", fontsize="large")


def _draw_line(figure: Figure, spec: ChartSpec, rows: list[dict], title: str) -> None:
    figure.set_size_inches(FIGURE_WIDTH_INCHES, 4.5)
    axes = figure.subplots()
    x = [row[spec.x[0]] for row in rows]
    for column in spec.y:
        axes.plot(x, [row[column] for row in rows], marker="o", markersize=3, label=column)
    axes.set_xlabel(spec.x[0])
    if spec.x[0] == "hour":
        axes.set_xlim(-0.5, 23.5)
        axes.set_xticks(range(0, 24, 2))
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_ylim(bottom=0)
    if len(spec.y) > 1:
        axes.legend(frameon=False)
    set_title(figure, title)


def _font_family() -> list[str]:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in _FONT_FALLBACKS if name in installed]


def check_chart_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise WikilakeError(f"--chart {path}: charts are PNG files; name it *.png")
    return path


def write_chart(result: QueryResult, path: str | Path, title: str, spec: ChartSpec | None = None) -> Path:
    """Draws ``result`` into the PNG ``path`` (folders created); returns the path."""
    spec = spec or infer_chart(result)
    return save_png(path, lambda: draw_chart(result, title, spec))


def save_png(path: str | Path, draw: Callable[[], Figure]) -> Path:
    """The figure ``draw`` makes, drawn in the project's chart style and saved as the PNG ``path``
    (folders created); returns the path. For charts of other things than query results."""
    path = check_chart_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({**_STYLE, "font.family": _font_family()}):
        figure = draw()
        # No timestamp or version in the file: the same result gives the same bytes.
        figure.savefig(path, format="png", metadata={"Software": None})
    return path


def new_figure() -> Figure:
    """An empty figure on the Agg canvas (no pyplot state), laid out as the project's charts are."""
    figure = Figure(dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def draw_chart(result: QueryResult, title: str, spec: ChartSpec | None = None) -> Figure:
    """The chart of ``result`` as a Matplotlib figure (Agg canvas), not yet saved."""
    spec = spec or infer_chart(result)
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    figure = new_figure()
    (_draw_line if spec.kind == "line" else _draw_bar)(figure, spec, rows, title)
    return figure
