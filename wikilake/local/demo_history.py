"""The demo's run history: pageviews days after the shipped sample, made by the generator, so the
runs and quality tables have something to show: a usual day, one with many malformed lines (the
rejected-share check warns; its valid lines are usual), one partly published (a third of its usual
lines in each of the 24 hours: the rows check fails). Their raw files go where ingest would put
them in the demo's lake."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wikilake_core import datasets, layout
from wikilake_core.dates import to_day

DATASET = "pageviews"
# The shipped sample's lines per hour and malformed rate (data/samples/NOTICE.md): the usual day.
USUAL_LINES_PER_HOUR = 8000
USUAL_MALFORMED_RATE = 0.0002


@dataclass(frozen=True)
class GeneratedDay:
    dt: str
    lines_per_hour: int
    malformed_rate: float
    what: str


# As few days as show both anomalies (each costs a job run): the rejects day needs no history
# (a fixed limit) and, warned but not failed, counts as a baseline day, so with 03-15 and 03-16 the
# partly published day has the three earlier days a history check needs (quality.DEFAULT_MIN_HISTORY).
DAYS = (
    GeneratedDay("2024-03-16", USUAL_LINES_PER_HOUR, USUAL_MALFORMED_RATE, "a usual day"),
    GeneratedDay("2024-03-17", USUAL_LINES_PER_HOUR, 0.05, "many malformed lines: 5% rejected"),
    GeneratedDay(
        "2024-03-18", USUAL_LINES_PER_HOUR // 3, USUAL_MALFORMED_RATE, "partly published: a third of the lines"
    ),
)


def generate(lake: Path, days: tuple[GeneratedDay, ...] = DAYS) -> dict[str, tuple[Path, ...]]:
    """Each day's 24 hourly files under ``lake``/raw/pageviews/dt=<dt>/ (deterministic: the same
    bytes on every demo); {dt: files}."""
    from wikilake.local.generators.pageviews import generate_day

    datasets.get(DATASET)
    return {
        day.dt: tuple(
            generate_day(
                to_day(day.dt),
                Path(layout.raw_dir(str(lake), DATASET, day.dt)),
                lines_per_hour=day.lines_per_hour,
                malformed_rate=day.malformed_rate,
            )
        )
        for day in days
    }
