"""How long a bench run will take: each run's seconds from the latest results file, else a first
guess from start-up and throughput per engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

# Seconds per run when no earlier result says better: start-up + records / throughput.
_FIRST_GUESS = {
    "spark": (15.0, 60_000),
    "duckdb": (1.0, 300_000),
    "zcat": (0.0, 2_000_000),
    "floor": (10.0, 20_000),
    "lbzip2": (0.0, 50_000),
}


def previous_medians(results_dir: Path) -> dict[tuple[str, int, str], float]:
    """(input, scale, engine) -> median wall seconds of the latest results file, if any."""
    files = sorted(results_dir.glob("*.json"))
    if not files:
        return {}
    try:
        rows = json.loads(files[-1].read_text())["table"]
        return {(r["input"], r["scale"], r["engine"]): r["wall_median_s"] for r in rows}
    except (KeyError, ValueError, TypeError):
        return {}


def estimate_seconds(
    reps: Callable[[int], int],
    records: dict[tuple[str, int], int],
    history: dict[tuple[str, int, str], float],
    names: list[str],
) -> float:
    total = 0.0
    for (name, scale), count in records.items():
        for engine in names:
            start_up, throughput = _FIRST_GUESS[engine]
            guess = history.get((name, scale, engine)) or start_up + count / throughput
            total += guess * (reps(scale) + (engine == "zcat" and 1))  # + warm-up read
    return total
