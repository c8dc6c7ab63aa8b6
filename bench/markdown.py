"""Renders the newest bench run, as its bench/results/*.json files hold it, as the markdown tables
of docs/performance.md (tests/bench/test_performance_doc.py holds the doc to them)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

# Short names of the harness's engines (bench/engines.py) for the tables.
ENGINE_NAMES = {
    "spark": "our job",
    "duckdb": "peer",
    "zcat": "zcat/bzcat",
    "floor": "read floor",
    "lbzip2": "lbzip2 -d -n 2",
}
RATIOS = {
    "ratio_to_duckdb": "vs peer",
    "ratio_to_zcat": "vs zcat/bzcat",
    "ratio_to_floor": "vs read floor",
    "ratio_to_lbzip2": "vs lbzip2",
}
NONE = "-"
# Parts of one run started one after the other on the same machine, at most this far apart.
BACK_TO_BACK = timedelta(minutes=5)


def newest_run(results_dir: Path) -> list[Path]:
    """The results files of the newest run: the one that finished last, and those whose runs
    overlapped it in time or ended at most BACK_TO_BACK before it started (one run split in parts,
    side by side or one after the other: e.g. articles and the line datasets, or one big input on
    its own)."""
    times = {}
    for path in sorted(results_dir.glob("*.json")):
        document = json.loads(path.read_text())
        times[path] = (datetime.fromisoformat(document["started_at"]), datetime.fromisoformat(document["finished_at"]))
    last = max(times, key=lambda path: times[path][1])
    return sorted(path for path, (_, finished) in times.items() if finished >= times[last][0] - BACK_TO_BACK)


def render(paths: list[Path], root: Path) -> str:
    """The run's conditions, its charts, a results table per file and the targets of all of them;
    ``root``: what the paths are shown relative to (the repository)."""
    documents = [json.loads(path.read_text()) for path in paths]
    parts = [_conditions(paths, documents, root)]
    parts += [
        f"![{path.stem}](../{path.with_suffix('.png').relative_to(root)})\n"
        for path in paths
        if path.with_suffix(".png").exists()
    ]
    parts += [results_table(document["table"]) for document in documents]
    parts.append(targets_table([target for document in documents for target in document["targets"]]))
    return "\n".join(parts)


def _conditions(paths: list[Path], documents: list[dict], root: Path) -> str:
    machine = documents[0]["machine"]
    versions = machine["versions"]
    java = re.search(r'"([^"]+)"', versions["java"])
    lines = [
        f"Run of {documents[0]['date']} on {machine['cpu_model']}, {machine['cores']} vCPUs, "
        f"{machine['memory_bytes'] / 2**30:.0f} GiB; Python {versions['python']}, Java "
        f"{java.group(1) if java else versions['java']}, pyspark {versions['pyspark']}, DuckDB {versions['duckdb']}.",
        "",
    ]
    for path, document in zip(paths, documents, strict=True):
        load, jobs = document["load_average_1min"], document["settings"]["jobs"]
        sizes = ", ".join(f"{scale}x: {runs}" for scale, runs in document["settings"]["repetitions"].items())
        lines.append(
            f"- `{path.relative_to(root)}`: {_clock(document['started_at'])}-{_clock(document['finished_at'])} UTC, "
            f"1-minute load average {load['min']:.1f}-{load['max']:.1f} (median {load['median']:.1f}); "
            f"jobs {_jobs(jobs)}; runs per engine and size {sizes}."
        )
    return "\n".join(lines) + "\n"


def _jobs(jobs: dict) -> str:
    """Which job code was timed, as bench/jobs_source.py recorded it."""
    if jobs["source"] == "git revision":
        return f"at `{jobs['commit'][:7]}` (git revision {jobs['rev']})"
    if jobs["source"] == "working tree":
        if jobs["head"] is None:
            return "of a working tree outside git"
        changed = " with uncommitted job changes" if jobs["uncommitted_job_changes"] else ""
        return f"at `{jobs['head'][:7]}` (working tree{changed})"
    return f"from the folder {jobs['path']}"


def _clock(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%H:%M")


def results_table(rows: list[dict]) -> str:
    """One row per input, size and engine; ratios are best run over best run within an input and
    size; columns no row fills are left out (results from before a measure existed lack it)."""
    ratios = [key for key in RATIOS if any(row.get(key) is not None for row in rows)]
    heap = any(row.get("peak_heap_after_gc_bytes") is not None for row in rows)
    columns = [
        "input",
        "engine",
        "runs",
        "best",
        "median",
        *(RATIOS[key] for key in ratios),
        "in the job (best)",
        "peak RSS",
        *(["heap after GC"] if heap else []),
    ]
    lines = ["| " + " | ".join(columns) + " |", "|---|---|" + "---:|" * (len(columns) - 2)]
    for row in rows:
        best = _seconds(row.get("wall_best_s"))
        cells = [
            _input(row),
            ENGINE_NAMES.get(row["engine"], row["engine_label"].replace("|", "\\|")),
            f"{row['repetitions']}" + (f" ({len(row['errors'])} failed)" if row["errors"] else ""),
            f"**{best}**" if row["engine"] == "spark" and best != NONE else best,
            _seconds(row["wall_median_s"]),
            *(NONE if row.get(key) is None else f"{row[key]:.2f}x" for key in ratios),
            NONE if row.get("in_job_best_s") is None else _seconds(row["in_job_best_s"]),
            _gigabytes(row["peak_rss_bytes"]),
            *([_gigabytes(row.get("peak_heap_after_gc_bytes"))] if heap else []),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _input(row: dict) -> str:
    files = f"{row['input_files']} file{'s' if row['input_files'] != 1 else ''}"
    return f"{row['input']} {row['scale']}x ({files}, {row['input_gz_bytes'] / 1e6:,.0f} MB, {row['rows']:,} records)"


def _gigabytes(value: int | None) -> str:
    return NONE if value is None else f"{value / 1e9:.2f} GB"


def _seconds(value: float | None) -> str:
    return "FAILED" if value is None else f"{value:.1f} s"


def targets_table(targets: list[dict]) -> str:
    lines = ["| target | measured | limit | met |", "|---|---:|---:|---|"]
    for target in targets:
        measured = NONE if target["measured"] is None else f"{target['measured']:.2f}"
        limit = "reported" if target["limit"] is None else f"{target['limit']:.2f}"
        lines.append(f"| {target['name']} | {measured} | {limit} | {_met(target)} |")
    return "\n".join(lines) + "\n"


def _met(target: dict) -> str:
    if target["limit"] is None:
        return NONE
    if target["met"] is None:
        return "not run"
    if not target["met"]:
        return "**no**" if target["measured"] is not None else "**no** (a run failed)"
    return "yes"
