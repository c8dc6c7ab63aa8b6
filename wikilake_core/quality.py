"""Data-quality checks of a run, against the dataset's own history: pure functions over manifests.

A dataset declares its checks in the registry (wikilake_core/datasets.py). Each check measures one
number of the run's manifest and compares it with the expected range:
- ``Limits``: fixed bounds (rejected share at most 5%, 24 hours present);
- ``HistoryBand``: bounds relative to the median of the same measure over the previous N dts that
  have a manifest (default 7; a gap in the dts is skipped, not counted). With fewer than
  ``min_history`` previous dts the check is skipped: no baseline yet, nothing to compare.
A failing check has its severity as status: ``warn`` alerts and the run succeeds, ``fail`` ends it
QualityFailed. A check never deletes or hides data: the run's tables stay where the job wrote them.

The evaluation is shared by the pipeline's record function (S3) and `wikilake local run` (a folder);
they only differ in how they read the history (wikilake_core.run_history).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from wikilake_core.errors import WikilakeError

WARN, FAIL = "warn", "fail"
SEVERITIES = (WARN, FAIL)
PASS, SKIPPED = "pass", "skipped"  # a result's status: pass | skipped | warn | fail
DEFAULT_HISTORY = 7
DEFAULT_MIN_HISTORY = 3
# A run that ended QualityFailed keeps its manifest (and data), but is no baseline for later days.
QUALITY_FAILED = "QUALITY_FAILED"

Measure = Callable[[Mapping], Optional[float]]


class QualityFailed(WikilakeError):
    """A ``fail`` check failed: the run's data stays, the run (execution) ends with this error."""

    def __init__(self, message: str, manifest: dict | None = None):
        super().__init__(message)
        self.manifest = manifest


@dataclass(frozen=True)
class Result:
    """One check's outcome: a row of the ``quality`` table (with the run's dataset and dt)."""

    check: str
    value: float | None
    low: float | None  # None: unbounded (or skipped)
    high: float | None
    severity: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status in SEVERITIES

    @property
    def expected(self) -> str:
        """The expected range as people read it: ``[3,300, 9,900]``, ``<= 0.05``, ``>= 40``."""
        low, high = self.low, self.high
        if low is None:
            return "" if high is None else f"<= {number(high)}"
        if high is None:
            return f">= {number(low)}"
        return f"[{number(low)}, {number(high)}]"

    def row(self) -> dict:
        """The ``quality`` table's row (athena_ddl/tables/quality.sql); dataset and dt are its
        partition keys, from the file's folder."""
        return {
            "check_name": self.check,
            "value": self.value,
            "expected_low": self.low,
            "expected_high": self.high,
            "expected": self.expected,
            "severity": self.severity,
            "status": self.status,
            "detail": self.detail,
        }


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    measure: Measure

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise WikilakeError(f"check {self.name}: severity {self.severity!r}; use one of {', '.join(SEVERITIES)}")

    def bounds(self, baseline: Sequence[float]) -> tuple[float | None, float | None] | str:
        """(low, high) for this run, or why the check cannot be made (skipped)."""
        raise NotImplementedError

    def evaluate(self, manifest: Mapping, history: Sequence[Mapping]) -> Result:
        value = self.measure(manifest)
        if value is None:
            return Result(self.name, None, None, None, self.severity, SKIPPED, "not measured by this run")
        baseline = [v for v in map(self.measure, history) if v is not None]
        bounds = self.bounds(baseline)
        if isinstance(bounds, str):
            return Result(self.name, value, None, None, self.severity, SKIPPED, bounds)
        low, high = bounds
        inside = (low is None or value >= low) and (high is None or value <= high)
        status = PASS if inside else self.severity
        return Result(self.name, value, low, high, self.severity, status, self.describe(baseline))

    def describe(self, baseline: Sequence[float]) -> str:
        return ""


@dataclass(frozen=True)
class Limits(Check):
    """Fixed bounds: ``low <= value <= high`` (None: no bound on that side)."""

    low: float | None = None
    high: float | None = None

    def bounds(self, baseline):
        return (self.low, self.high)


@dataclass(frozen=True)
class HistoryBand(Check):
    """``low x median <= value <= high x median`` of the previous ``history`` dts that have a
    value (``high`` None: no upper bound, e.g. "not fewer than usual")."""

    low: float = 0.5
    high: float | None = 1.5
    history: int = DEFAULT_HISTORY
    min_history: int = DEFAULT_MIN_HISTORY

    def bounds(self, baseline):
        window = list(baseline)[-self.history :]
        if len(window) < self.min_history:
            return f"{len(window)} previous dt(s) with a value, {self.min_history} needed for a baseline"
        median = statistics.median(window)
        return (self.low * median, None if self.high is None else self.high * median)

    def describe(self, baseline):
        window = list(baseline)[-self.history :]
        return f"median {number(statistics.median(window))} of the previous {len(window)} dt(s)"


# --- measures: one number of a manifest, None when the run did not measure it ---


def rows(table: str) -> Measure:
    """Rows the run wrote to ``table``."""
    return lambda manifest: (manifest.get("rows_written") or {}).get(table)


def rows_per_row(table: str, per_table: str) -> Measure:
    """Rows of ``table`` per row of ``per_table`` (e.g. links per page)."""

    def measure(manifest: Mapping) -> float | None:
        written = manifest.get("rows_written") or {}
        if not written.get(per_table) or written.get(table) is None:
            return None
        return written[table] / written[per_table]

    return measure


def rejected_share(manifest: Mapping) -> float | None:
    """Rejected records per input record."""
    total, rejected = manifest.get("input_records"), manifest.get("rejected_records")
    return None if not total or rejected is None else rejected / total


def hours_present(manifest: Mapping) -> float | None:
    """Hourly files the run read (pageviews: 24 make a whole day)."""
    hours = manifest.get("hours")
    return None if hours is None else len(hours)


def field(name: str) -> Measure:
    """A number the job put into its manifest under ``name`` (e.g. distinct_projects)."""
    return lambda manifest: manifest.get(name)


def distinct_input_names(pattern: str, group: int = 1) -> Measure:
    """Distinct values of ``group`` of ``pattern`` over the input files' names (e.g. the wikis
    of an articles run, from ``enwiki-20160501-pages-articles.xml.bz2``)."""
    compiled = re.compile(pattern)

    def measure(manifest: Mapping) -> float | None:
        files = manifest.get("input_files")
        if not files:
            return None
        names = (f["path"].rstrip("/").rsplit("/", 1)[-1] for f in files)
        return len({m[group] for m in map(compiled.fullmatch, names) if m})

    return measure


# --- a run against its history ---


def is_baseline(manifest: Mapping, dt: str) -> bool:
    """Whether a run counts in the baseline of a run of ``dt``: an earlier dt (a backfill of an
    old day is compared with the days before it) that did not end QualityFailed (its data stays,
    but a bad day is no measure of a normal one)."""
    return bool(manifest.get("dt")) and manifest["dt"] < dt and manifest.get("status") != QUALITY_FAILED


def baseline(history: Sequence[Mapping], dt: str) -> list[Mapping]:
    """The manifests a run of ``dt`` is compared with (is_baseline), one per dt, oldest first."""
    by_dt = {m["dt"]: m for m in history if is_baseline(m, dt)}
    return [by_dt[d] for d in sorted(by_dt)]


def evaluate(checks: Sequence[Check], manifest: Mapping, history: Sequence[Mapping]) -> list[Result]:
    """Every check of the run whose manifest is ``manifest``; ``history``: other runs' manifests
    of the same dataset (any dts, any order)."""
    previous = baseline(history, manifest["dt"])
    return [check.evaluate(manifest, previous) for check in checks]


def history_needed(checks: Sequence[Check]) -> int:
    """How many previous dts the checks compare with (the widest history band)."""
    return max((c.history for c in checks if isinstance(c, HistoryBand)), default=0)


def outcome(results: Sequence[Result]) -> str:
    """fail if a fail check failed, else warn if a warn check did, else pass."""
    statuses = {r.status for r in results}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
