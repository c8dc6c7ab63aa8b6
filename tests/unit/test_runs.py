"""wikilake_core.runs: execution names (Step Functions: at most 80 characters of [A-Za-z0-9_-],
docs: StartExecution `name`), the scheduled run's input and its dt, in UTC whatever the machine's
time zone."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from wikilake_core import runs
from wikilake_core.errors import WikilakeError

NOW = datetime(2026, 11, 30, 14, 15, tzinfo=timezone.utc)


@pytest.fixture
def far_from_utc(monkeypatch):
    """The machine's local time 14 hours ahead of UTC (its date is often not UTC's)."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_suffix_follows_the_stamp():
    assert runs.execution_name("edits", "2015-09-12", NOW, suffix="b1") == "edits-2015-09-12-20261130T141500Z-b1"


def test_names_longer_than_80_characters_or_with_other_characters_are_refused():
    base = runs.execution_name("edits", "2015-09-12", NOW)  # 33 characters
    longest = "x" * (80 - len(base) - 1)
    assert len(runs.execution_name("edits", "2015-09-12", NOW, suffix=longest)) == 80
    with pytest.raises(WikilakeError, match=rf"^bad execution name '{base}-{longest}y'$"):
        runs.execution_name("edits", "2015-09-12", NOW, suffix=longest + "y")
    with pytest.raises(WikilakeError, match=rf"^bad execution name '{base}-a b'$"):
        runs.execution_name("edits", "2015-09-12", NOW, suffix="a b")


def test_the_stamp_is_utc_on_a_machine_in_another_time_zone(far_from_utc):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    name = runs.execution_name("edits", "2015-09-12")
    after = datetime.now(timezone.utc)
    stamp = datetime.strptime(name.removeprefix("edits-2015-09-12-"), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert before <= stamp <= after


def test_the_scheduled_dt_is_the_previous_utc_day_on_a_machine_in_another_time_zone(far_from_utc):
    # 22:30 UTC on the 29th is already the 30th in Kiritimati (and at +02:00).
    assert runs.scheduled_dt(datetime(2026, 11, 30, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == "2026-11-28"
    assert runs.scheduled_dt("2026-11-29T22:30:00Z") == "2026-11-28"


def test_a_schedule_sends_an_empty_dt():
    assert runs.scheduled_input("pageviews") == {
        "dataset": "pageviews",
        "dt": "",
        "job_options": [],
        "allow_missing_hours": False,
    }
