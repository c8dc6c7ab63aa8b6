"""How long a bench run will take: each planned run's seconds from the newest results that timed
it, else a first guess from start-up and throughput per engine."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Seconds per run when no earlier result says better: start-up + records / throughput.
_FIRST_GUESS = {
    "spark": (15.0, 60_000),
    "duckdb": (1.0, 300_000),
    "zcat": (0.0, 2_000_000),
    "floor": (10.0, 20_000),
    "lbzip2": (0.0, 50_000),
}


@dataclass(frozen=True)
class PlannedRun:
    input: str  # e.g. "pageviews-day"
    scale: int
    engine: str
    records: int


def previous_medians(*results_dirs: Path) -> dict[tuple[str, int, str], float]:
    """(input, scale, engine) -> median wall seconds in the newest results file (by its start) that
    timed it, across ``results_dirs``: a run of one dataset or size does not hide the others'."""
    runs = []
    for path in {p for directory in results_dirs for p in directory.glob("*.json")}:
        try:
            document = json.loads(path.read_text())
            rows = {(r["input"], r["scale"], r["engine"]): r["wall_median_s"] for r in document["table"]}
            runs.append((document["started_at"], rows))
        except (KeyError, ValueError, TypeError):  # not a results file the bench wrote: no history
            continue
    medians: dict[tuple[str, int, str], float] = {}
    for _, rows in sorted(runs, key=lambda run: run[0]):
        medians.update(rows)
    return medians


def estimate_seconds(runs: Iterable[PlannedRun], history: dict[tuple[str, int, str], float]) -> float:
    total = 0.0
    for run in runs:
        start_up, throughput = _FIRST_GUESS[run.engine]
        total += history.get((run.input, run.scale, run.engine)) or start_up + run.records / throughput
    return total
