"""Batch dates (dt): the one way a date is checked, spelled and turned into a range or a dump name."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from wikilake_core.errors import WikilakeError

DATE_FORMAT = "%Y-%m-%d"


def parse_date(text: str) -> str:
    """``YYYY-MM-DD`` (a real calendar day) -> the same text; WikilakeError with the fix otherwise."""
    try:
        return datetime.strptime(text, DATE_FORMAT).strftime(DATE_FORMAT)
    except (TypeError, ValueError):
        raise WikilakeError(f"bad date {text!r}: use YYYY-MM-DD, e.g. 2015-09-12") from None


def to_day(dt: str) -> date:
    return date.fromisoformat(parse_date(dt))


def compact(dt: str) -> str:
    """``2024-03-15`` -> ``20240315``, as the dumps name their files and folders."""
    return to_day(dt).strftime("%Y%m%d")


def date_range(first: str, last: str) -> list[str]:
    """Every dt from ``first`` to ``last``, both included; WikilakeError if ``last`` is earlier."""
    start, end = to_day(first), to_day(last)
    if end < start:
        raise WikilakeError(f"bad range {first}..{last}: the last date is before the first")
    return [(start + timedelta(days=n)).strftime(DATE_FORMAT) for n in range((end - start).days + 1)]
