"""Ingest dump files into one raw/ partition: plan them, skip verified ones, fetch at most 3 at
once with live progress, and say what happened to each file.

Sources are in sources.py (HTTP with retries, local files), destinations in sinks.py (S3, folder).
"""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date as Date

import botocore.exceptions
from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, Progress, TaskID, TextColumn,
                           TimeRemainingColumn, TransferSpeedColumn)

from wikilake import SAMPLES_DIR
from wikilake.aws.session import describe_client_error
from wikilake.aws.sources import FileSource, HttpClient, HttpSource
from wikilake.errors import WikilakeError
from wikilake.generators.pageviews import file_name

DEFAULT_PAGEVIEWS_MIRROR = "https://dumps.wikimedia.org/other/pageviews"
# Wikimedia limits each client to a few concurrent connections; more would get us throttled.
MAX_PARALLEL = 3
EDITS_SAMPLE = SAMPLES_DIR / "wikiticker-2015-09-12-sampled.json.gz"
EDITS_SAMPLE_DATE = "2015-09-12"
_MD5SUM_LINE = re.compile(r"^([0-9a-f]{32})\s+\*?(\S+)$")


@dataclass(frozen=True)
class Item:
    """One file to ingest and the MD5 it must have (None: unknown, computed while streaming)."""

    source: FileSource | HttpSource
    expected_md5: str | None


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # uploaded | skipped | failed
    size: int | None = None
    md5: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None


def month_url(mirror: str, day: Date) -> str:
    """``<mirror>/YYYY/YYYY-MM``: the dumps site's month folder (with its md5sums.txt)."""
    return f"{mirror.rstrip('/')}/{day:%Y}/{day:%Y-%m}"


def parse_md5sums(text: str) -> dict[str, str]:
    """``md5sum`` output (``<hex>  <file name>`` per line) -> {file name: hex}."""
    sums = {}
    for line in text.splitlines():
        match = _MD5SUM_LINE.match(line.strip())
        if match:
            sums[match.group(2)] = match.group(1)
    return sums


def pageviews_items(client: HttpClient, mirror: str, dt: str, hours: tuple[int, ...]) -> list[Item]:
    """The day's hourly files (named by their date; see README) with their published MD5s."""
    day = Date.fromisoformat(dt)
    folder = month_url(mirror, day)
    sums = parse_md5sums(client.get_text(f"{folder}/md5sums.txt"))
    names = [file_name(day, hour) for hour in hours]
    unlisted = [name for name in names if name not in sums]
    if unlisted:
        raise WikilakeError(
            f"{len(unlisted)} of {len(names)} files are not listed in {folder}/md5sums.txt "
            f"(not published yet?): {', '.join(unlisted[:3])}{' ...' if len(unlisted) > 3 else ''}; "
            "choose other --hours")
    return [Item(HttpSource(client, f"{folder}/{name}"), sums[name]) for name in names]


def edits_item(client: HttpClient, source: str | None, dt: str, md5: str | None) -> Item:
    """The edits file from a URL or a local path; the shipped sample for its own date."""
    if source is None:
        if dt != EDITS_SAMPLE_DATE:
            raise WikilakeError(
                f"edits for {dt} need --source URL|FILE (the shipped sample covers {EDITS_SAMPLE_DATE})")
        source = str(EDITS_SAMPLE)
    if re.match(r"^https?://", source):
        return Item(HttpSource(client, source), md5)
    return Item(FileSource(source), md5)


class _Cancelled(Exception):
    pass


class _FileProgress:
    """One file's bar, feeding the total bar; raises _Cancelled once the run is interrupted."""

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
            raise _Cancelled()
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
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), console=console)
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


def _ingest_one(item: Item, sink, tracker: TransferProgress) -> Outcome:
    name = item.source.name
    started = time.monotonic()
    try:
        expected = item.expected_md5 or item.source.local_md5()
        if expected is not None and sink.verified_md5(name) == expected:
            tracker.skipped()
            return Outcome(name, "skipped", md5=expected)
        upload = sink.open(name, expected)
    except botocore.exceptions.ClientError as err:
        return Outcome(name, "failed", error=f"{name}: {describe_client_error(err)}")
    progress = tracker.file(name)
    try:
        result = item.source.fetch(upload, expected, progress)
        upload.commit(result.md5)
    except BaseException as err:
        _abort_quietly(upload)
        if isinstance(err, WikilakeError):
            return Outcome(name, "failed", seconds=time.monotonic() - started, error=str(err))
        if isinstance(err, botocore.exceptions.ClientError):
            return Outcome(name, "failed", seconds=time.monotonic() - started,
                           error=f"{name}: {describe_client_error(err)}")
        raise
    finally:
        progress.finish()
    return Outcome(name, "uploaded", result.size, result.md5, result.attempts,
                   time.monotonic() - started)


def _abort_quietly(upload) -> None:
    """Abort without masking the original failure (the bucket's lifecycle rule is the backstop)."""
    try:
        upload.abort()
    except Exception:  # noqa: BLE001 - the first error is the one to report
        pass


def ingest(items: list[Item], sink, *, parallel: int, console: Console) -> list[Outcome]:
    """Fetch every item into ``sink``, ``parallel`` (<= 3) at a time; one Outcome per item, in order.

    On Ctrl-C the in-flight uploads are aborted (nothing partial stays) before re-raising.
    """
    parallel = max(1, min(parallel, MAX_PARALLEL))
    with TransferProgress(console, len(items)) as tracker, \
            ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="ingest") as pool:
        futures = [pool.submit(_ingest_one, item, sink, tracker) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            tracker.cancelled.set()
            for future in futures:
                future.cancel()
            raise
