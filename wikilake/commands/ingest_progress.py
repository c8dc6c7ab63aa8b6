"""`wikilake ingest`'s live progress on the terminal (rich): per-file and total bars."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from wikilake_ingest.transfer import Cancelled


class _FileProgress:
    """One file's bar, feeding the total bar; raises Cancelled once the run is interrupted."""

    def __init__(self, tracker: TransferProgress, name: str):
        self.tracker, self.name = tracker, name
        self.task = tracker.progress.add_task(name, total=None)
        self.done_bytes = 0

    def size_known(self, size: int | None) -> None:
        self.tracker.progress.update(self.task, total=size)
        if size is not None:
            self.tracker.size_known(self.name, size)

    def advance(self, count: int) -> None:
        if self.tracker.cancelled.is_set():
            raise Cancelled()
        self.done_bytes += count
        self.tracker.progress.advance(self.task, count)
        self.tracker.progress.advance(self.tracker.total_task, count)

    def restart(self) -> None:
        self.tracker.progress.advance(self.tracker.total_task, -self.done_bytes)
        self.tracker.progress.reset(self.task, total=None)
        self.done_bytes = 0

    def finish(self) -> None:
        self.tracker.progress.update(self.task, visible=False)


class TransferProgress:
    """Per-file and total bars (bytes, rate, ETA) on stderr.

    The total is known only as files start (Content-Length), so until then it is estimated from
    the average size of the files seen so far.
    """

    def __init__(self, console: Console, files: int):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.total_task = self.progress.add_task(f"total ({files} files)", total=None)
        self.files_to_fetch = files
        self.sizes: dict[str, int] = {}
        self.lock = threading.Lock()
        self.cancelled = threading.Event()

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def file(self, name: str) -> _FileProgress:
        return _FileProgress(self, name)

    def skipped(self) -> None:
        with self.lock:
            self.files_to_fetch -= 1
            self._update_total()

    def size_known(self, name: str, size: int) -> None:
        with self.lock:
            self.sizes[name] = size
            self._update_total()

    def _update_total(self) -> None:
        if not self.sizes:
            return
        average = sum(self.sizes.values()) / len(self.sizes)
        unknown = max(0, self.files_to_fetch - len(self.sizes))
        self.progress.update(self.total_task, total=sum(self.sizes.values()) + average * unknown)
