"""Writes a static HTML report (index.html + charts/*.png) of query results: one section each."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wikilake import charts
from wikilake.output import is_number
from wikilake.query_result import QueryResult
from wikilake_core.errors import WikilakeError

CHARTS_DIR = "charts"

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; }
.note { color: #57606a; } .params code { background: #f6f8fa; padding: .1rem .3rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: 13px; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eaeef2; text-align: left; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #eaeef2; } pre { background: #f6f8fa; padding: .8rem;
overflow-x: auto; font-size: 12px; } nav a { margin-right: .8rem; }
"""


@dataclass(frozen=True)
class Section:
    name: str  # the anchor and the chart's file name
    title: str
    description: str
    result: QueryResult
    params: str = ""  # e.g. "dt=2015-09-12 top_n=10"
    sql: str = ""  # shown folded under the table
    chart: bool = True
    chart_spec: charts.ChartSpec | None = None  # None: the chart that suits the result
    # A chart of its own instead (path, title) -> path, e.g. a run's profile (wikilake/profile_chart.py).
    draw: Callable[[Path, str], Path] | None = None


@dataclass(frozen=True)
class Report:
    title: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()  # paragraphs under the title
    facts: tuple[Section, ...] = field(default=())  # tables before the sections, e.g. job runs
    # (heading, sections) after the sections, e.g. ("Runs and quality", ...)
    groups: tuple[tuple[str, tuple[Section, ...]], ...] = field(default=())


def _cell(value) -> str:
    if value is None:
        return '<td class="num">NULL</td>'
    if is_number(value):
        return f'<td class="num">{value:,}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def html_table(result: QueryResult) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    body = "\n".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in result.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _chart(section: Section, report_dir: Path) -> str:
    if not section.chart:
        return ""
    relative = f"{CHARTS_DIR}/{section.name}.png"
    try:
        title = f"{section.title} · {section.params}" if section.params else section.title
        if section.draw is not None:
            section.draw(report_dir / relative, title)
        else:
            charts.write_chart(section.result, report_dir / relative, title, section.chart_spec)
    except WikilakeError as err:
        return f'<p class="note">No chart: {html.escape(str(err))}</p>'
    return f'<p><img src="{relative}" alt="chart of {html.escape(section.title)}"></p>'


def _section(section: Section, report_dir: Path, level: str = "h2") -> str:
    parts = [f'<{level} id="{section.name}">{html.escape(section.title)}</{level}>']
    if section.description:
        parts.append(f"<p>{html.escape(section.description)}</p>")
    if section.params:
        parts.append(f'<p class="params">parameters: <code>{html.escape(section.params)}</code></p>')
    parts.append(_chart(section, report_dir))
    if section.result.rows:
        parts.append(html_table(section.result))
    else:
        parts.append('<p class="note">No rows.</p>')
    if section.sql:
        parts.append(
            f"<details><summary>SQL (Athena dialect, as deployed)</summary>"
            f"<pre>{html.escape(section.sql)}</pre></details>"
        )
    return "\n".join(p for p in parts if p)


def _anchor(heading: str) -> str:
    return "-".join(heading.lower().split())


def _group(heading: str, sections: tuple[Section, ...], report_dir: Path) -> str:
    return "\n".join(
        [f'<h2 id="{_anchor(heading)}">{html.escape(heading)}</h2>', *(_section(s, report_dir, "h3") for s in sections)]
    )


def write_report(report: Report, report_dir: str | Path) -> Path:
    """Writes ``report_dir``/index.html and its charts; returns the HTML file's path."""
    report_dir = Path(report_dir)
    (report_dir / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    for stale in (report_dir / CHARTS_DIR).glob("*.png"):  # from a previous run's sections
        stale.unlink()
    nav = " ".join(
        [f'<a href="#{s.name}">{html.escape(s.title)}</a>' for s in report.sections]
        + [f'<a href="#{_anchor(heading)}">{html.escape(heading)}</a>' for heading, _ in report.groups]
    )
    body = [
        f"<h1>{html.escape(report.title)}</h1>",
        *(f'<p class="note">{html.escape(note)}</p>' for note in report.notes),
        f"<nav>{nav}</nav>",
        *(_section(s, report_dir, "h3") for s in report.facts),
        *(_section(s, report_dir) for s in report.sections),
        *(_group(heading, sections, report_dir) for heading, sections in report.groups),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(report.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    index = report_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
