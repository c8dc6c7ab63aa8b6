"""One writer per day and atomic publishing on a local lake (issue 27), against real processes:
`wikilake local run` subprocesses started twice at once, stopped and killed with SIGKILL
mid-write, the day read back with `wikilake query --local`.

Each subprocess that runs the job starts its own JVM, which costs more than the job: the runs read
the sample's first 2,000 events (US and French human edits among them), not all 39,244, and the
lake is published once, by the winner of the race between two runs (the refused one takes the
day's lock before it would start a JVM, so it costs a Python start).
It runs on the default Spark line only: what it checks is the lake's publishing protocol (run
folders, the lock file, the day manifest replaced whole), which is ours, not Spark's; the jobs'
output on every Spark line is what tests/spark's job tests hold.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from spark_helpers import EDITS_DT

from bench.inputs import EditsRecipe
from tests.own_jvm import own_process_env
from wikilake.local import day_lock
from wikilake.local import days as local_days
from wikilake_core import day_runs, layout

pytestmark = [pytest.mark.spark, pytest.mark.default_line_only]

WIKILAKE = [sys.executable, "-m", "wikilake"]
# What a reader asks of the day: every table's rows and the filtered table's country. A run of the
# other country changes the answer, so any file of it a reader saw would show.
DAY_QUERY = (
    "SELECT (SELECT count(*) FROM edits) AS edits, "
    "(SELECT count(*) FROM edits_filtered) AS filtered, "
    "(SELECT count(*) FROM edits_filtered WHERE country_name <> 'United States') AS not_us, "
    "(SELECT sum(edits) FROM edits_by_channel) AS by_channel"
)
COUNTRIES = ("United States", "France")
KILL_TIMEOUT = 180
DAY = EditsRecipe(copies_per_file=1, files=1, sample_events=2000)


@pytest.fixture(scope="module")
def day_input(tmp_path_factory) -> Path:
    ((path, _),) = DAY.write(tmp_path_factory.mktemp("input"), on_step=lambda: None)
    return path


def local_run(lake: Path, day_input: Path, country: str) -> subprocess.Popen:
    """The run in a process group of its own: the CLI and the JVM it starts are signalled together."""
    argv = [*WIKILAKE, "local", "run", "edits", "--date", EDITS_DT, "--input", str(day_input)]
    return subprocess.Popen(
        [*argv, "--lake", str(lake), "--country", country],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=own_process_env(),
        start_new_session=True,
    )


def query_day(lake: Path) -> list[dict]:
    done = subprocess.run(
        [*WIKILAKE, "query", DAY_QUERY, "--local", "--lake", str(lake), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def filtered_country(answer: list[dict]) -> str:
    """The country the answer's edits_filtered holds (it has rows, all of one country)."""
    row = answer[0]
    assert row["filtered"] > 0 and row["not_us"] in (0, row["filtered"]), row
    return "France" if row["not_us"] else "United States"


@dataclass(frozen=True)
class Race:
    """Two runs of the day started at once on a new lake, one per country, and the lake as they
    left it: the answer, the day manifest, the run folders and whether the lock stayed."""

    lake: Path
    ended: dict[str, tuple[int, str]]  # country: (exit code, stderr)
    answer: list[dict]
    day: dict
    run_folders: int
    lock_left: bool

    @property
    def winner(self) -> str:
        return next(country for country, (code, _) in self.ended.items() if code == 0)

    @property
    def other_country(self) -> str:
        return next(country for country in COUNTRIES if country != self.winner)


@pytest.fixture(scope="module")
def race(tmp_path_factory, day_input) -> Race:
    lake = tmp_path_factory.mktemp("atomic") / "lake"
    runs = {country: local_run(lake, day_input, country) for country in COUNTRIES}
    ended = {}
    for country, run in runs.items():
        _, err = run.communicate(timeout=KILL_TIMEOUT)
        ended[country] = (run.returncode, err)
    return Race(
        lake,
        ended,
        answer=query_day(lake),
        day=local_days.read_day_manifest(lake, "edits", EDITS_DT),
        run_folders=len(local_days.run_folders(lake, "edits", EDITS_DT)),
        lock_left=Path(layout.day_lock_path(str(lake), "edits", EDITS_DT)).exists(),
    )


def test_two_runs_of_one_day_at_once_one_writes_the_other_is_refused(race):
    codes = sorted(code for code, _ in race.ended.values())
    assert codes[0] == 0 and codes[1] != 0, race.ended
    refused = race.ended[race.other_country][1]
    lines = refused.strip().splitlines()
    assert len(lines) == 1 and f"edits dt={EDITS_DT} is being written by run " in lines[0], refused
    assert race.answer[0]["edits"] > 0 and filtered_country(race.answer) == race.winner
    assert race.run_folders == 6  # 3 tables, rejected, manifest, event log
    assert not race.lock_left


def _signal_when(process: subprocess.Popen, appeared, signum: int) -> Path:
    """Send ``signum`` to ``process``'s group the moment ``appeared()`` returns a path (polled
    every 2 ms); after SIGKILL, wait for the process to end."""
    deadline = time.monotonic() + KILL_TIMEOUT
    while time.monotonic() < deadline:
        found = appeared()
        if found is not None:
            os.killpg(process.pid, signum)
            if signum == signal.SIGKILL:
                process.wait()
            return found
        assert process.poll() is None, f"the run ended before the moment to signal it: {process.stderr.read()}"
        time.sleep(0.002)
    raise AssertionError("the moment to signal the run never came")


def _new_run_folder(lake: Path, relative: str, known: str):
    def appeared():
        day = lake / relative
        runs = (
            [p for p in day.glob(f"{layout.RUN_KEY}=*") if p.name != layout.run_folder(known)] if day.is_dir() else []
        )
        return runs[0] if runs else None

    return appeared


def test_a_rerun_stopped_or_killed_mid_write_leaves_the_previous_day(race, day_input):
    """One rerun of the other country, caught at three moments: as it starts writing the first
    table and the last, it is stopped (SIGSTOP to its group, the CLI and its JVM), the day is read,
    and it goes on (SIGCONT); once every table is written and rejected records are being written,
    it is killed (SIGKILL). Stopped and killed leave the same files on disk at a moment: one rerun
    (a JVM start) serves the three moments instead of one rerun killed at each."""
    lake, answer, day = race.lake, race.answer, race.day
    rerun = local_run(lake, day_input, race.other_country)
    *stops, kill = [
        f"processed/edits/dt={EDITS_DT}",
        f"processed/edits_by_channel/dt={EDITS_DT}",
        f"rejected/edits/dt={EDITS_DT}",
    ]
    try:
        for moment in stops:
            stopped_in = _signal_when(rerun, _new_run_folder(lake, moment, day[day_runs.RUN_ID]), signal.SIGSTOP)
            assert stopped_in.exists()
            assert query_day(lake) == answer, moment
            assert local_days.read_day_manifest(lake, "edits", EDITS_DT) == day, moment
            os.killpg(rerun.pid, signal.SIGCONT)
        killed_in = _signal_when(rerun, _new_run_folder(lake, kill, day[day_runs.RUN_ID]), signal.SIGKILL)
    finally:
        if rerun.poll() is None:
            os.killpg(rerun.pid, signal.SIGKILL)
            rerun.wait()
    assert killed_in.exists()  # the killed run did write under its own folder
    assert query_day(lake) == answer
    assert local_days.read_day_manifest(lake, "edits", EDITS_DT) == day
    # Its lock stays behind, naming a dead pid: the next writer breaks it.
    assert Path(layout.day_lock_path(str(lake), "edits", EDITS_DT)).exists()


def test_after_kills_a_rerun_publishes_and_prunes_abandoned_runs(race, day_input):
    """After the killed rerun (above), a rerun of the other country publishes; of the day's run
    folders only its own and the run it replaced stay (a reader may still be reading that one's
    files): the killed run's go. Superseded runs go the same way: a run keeps the day's live run
    and its own (wikilake.local.runner._publish)."""
    lake, answer, day = race.lake, race.answer, race.day
    rerun = local_run(lake, day_input, race.other_country)
    _, err = rerun.communicate(timeout=KILL_TIMEOUT)
    assert rerun.returncode == 0, err
    now = query_day(lake)
    assert now[0]["edits"] == answer[0]["edits"] and filtered_country(now) == race.other_country
    live = local_days.read_day_manifest(lake, "edits", EDITS_DT)
    assert live[day_runs.RUN_ID] != day[day_runs.RUN_ID] and day_runs.is_built(live)
    kept = {folder.name for folder in local_days.run_folders(lake, "edits", EDITS_DT)}
    assert kept == {layout.run_folder(live[day_runs.RUN_ID]), layout.run_folder(day[day_runs.RUN_ID])}
    assert not Path(layout.day_lock_path(str(lake), "edits", EDITS_DT)).exists()


def test_a_lock_of_a_live_process_is_kept_and_named(tmp_path):
    path = day_lock.acquire(tmp_path, "edits", EDITS_DT, "run-a")
    with pytest.raises(
        day_lock.DayBusy, match=rf"edits dt={EDITS_DT} is being written by run run-a \(pid {os.getpid()}"
    ):
        day_lock.acquire(tmp_path, "edits", EDITS_DT, "run-b")
    day_lock.release(path, "run-b")  # not its lock: left alone
    assert path.exists()
    day_lock.release(path, "run-a")
    assert not path.exists()


def test_a_lock_of_a_dead_process_is_broken(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = Path(layout.day_lock_path(str(tmp_path), "edits", EDITS_DT))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout), "run_id": "x", "since": "-"}))
    assert day_lock.acquire(tmp_path, "edits", EDITS_DT, "run-b") == path
    assert json.loads(path.read_text())["run_id"] == "run-b"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # nothing left aside


def test_a_lock_of_another_host_is_never_broken(tmp_path):
    path = Path(layout.day_lock_path(str(tmp_path), "edits", EDITS_DT))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"host": "elsewhere.invalid", "pid": 1, "run_id": "x", "since": "-"}))
    with pytest.raises(day_lock.DayBusy, match=f"remove {path}"):
        day_lock.acquire(tmp_path, "edits", EDITS_DT, "run-b")
