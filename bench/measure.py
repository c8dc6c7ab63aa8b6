"""Run one command and measure its wall time and the peak resident memory of its process tree.

Peak memory comes from each process's ``VmHWM`` (the kernel's high-water mark of its resident set)
in ``/proc/<pid>/status``, sampled while the command runs. VmHWM only grows, so the last sample
before a process exits is its peak, give or take what it allocates in the final sampling interval.
The tree is walked for new processes less often than the known ones are read: the walk reads every
thread of every process (a Spark JVM has 60-120), and at the sampling rate it took up to a tenth of
a core from the runs it measured, more from our jobs' JVMs than from the peer's process. A process
found late loses nothing (its VmHWM holds its past); one that lives less than a walk interval is
not seen.
The kernel's own figure for the tree (``ru_maxrss`` from ``wait4``: the largest single process,
children included once reaped) is recorded as a cross-check only: it also counts the parent's
pages a forked child holds until it execs, so it overstates small processes.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_INTERVAL_S = 0.05
WALK_INTERVAL_S = 0.25
_PROC = Path("/proc")


@dataclass
class ProcessPeak:
    pid: int
    name: str  # the kernel's comm, e.g. "java", "python3.11", "gzip"
    peak_rss_bytes: int


@dataclass
class Measurement:
    argv: list[str]
    returncode: int
    wall_s: float
    processes: list[ProcessPeak] = field(default_factory=list)
    kernel_maxrss_bytes: int = 0  # ru_maxrss of the whole tree (largest single process)
    # User + system CPU seconds of the tree (the command and every descendant it waited for): on a
    # machine shared with other work it moves far less than wall time.
    cpu_s: float = 0.0
    log_path: Path | None = None

    def peak_rss(self, name: str | None = None) -> int:
        """Largest VmHWM among the tree's processes (only those named ``name`` if given)."""
        peaks = [p.peak_rss_bytes for p in self.processes if name is None or p.name == name]
        return max(peaks, default=0)

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _status_fields(pid: int) -> dict[str, str]:
    try:
        text = (_PROC / str(pid) / "status").read_text()
    except OSError:  # the process exited between listing and reading
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (the JVM forks from worker threads)."""
    found: list[int] = []
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _kib(value: str) -> int:
    return int(value.split()[0]) * 1024


class _TreeSampler(threading.Thread):
    """Polls the process tree rooted at ``root`` and keeps each process's VmHWM."""

    def __init__(self, root: int, interval_s: float):
        super().__init__(daemon=True)
        self.root = root
        self.interval_s = interval_s
        self.peaks: dict[int, ProcessPeak] = {}
        self._live: set[int] = set()
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def sample(self) -> None:
        """Every process of the tree, new ones included."""
        pending = [self.root]
        while pending:
            pid = pending.pop()
            self._read(pid)
            pending.extend(_children(pid))

    def _read(self, pid: int) -> None:
        """Keep ``pid``'s VmHWM; once it has exited, stop reading it (its pid may be reused)."""
        status = _status_fields(pid)
        if "VmHWM" not in status:
            self._live.discard(pid)
            return
        self._live.add(pid)
        peak = self.peaks.setdefault(pid, ProcessPeak(pid, "", 0))
        peak.name = status.get("Name", "").strip()
        peak.peak_rss_bytes = max(peak.peak_rss_bytes, _kib(status["VmHWM"]))

    def run(self) -> None:
        next_walk = time.monotonic() + WALK_INTERVAL_S
        while not self._stop_event.wait(self.interval_s):
            if time.monotonic() >= next_walk:
                self.sample()
                next_walk = time.monotonic() + WALK_INTERVAL_S
            else:
                for pid in list(self._live):
                    self._read(pid)


def run_measured(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    interval_s: float = SAMPLE_INTERVAL_S,
) -> Measurement:
    """Run ``argv`` to completion; stdout and stderr go to ``log_path`` (or are discarded)."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed in the finally below
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        sampler = _TreeSampler(proc.pid, interval_s)
        sampler.sample()
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            os.killpg(proc.pid, 9)  # Ctrl-C or an error here: leave no orphaned JVM behind
            proc.wait()
            raise
        finally:
            wall = time.perf_counter() - started
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log_path:
            log.close()
    return Measurement(
        argv=list(argv),
        returncode=proc.returncode,
        wall_s=wall,
        processes=sorted(sampler.peaks.values(), key=lambda p: -p.peak_rss_bytes),
        kernel_maxrss_bytes=usage.ru_maxrss * 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        log_path=log_path,
    )
