"""Ingest dump files into one raw/ partition: plan them, skip verified ones, fetch at most 3 at
once with progress, and say what happened to each file. One implementation for the CLI
(`wikilake ingest`, rich progress from wikilake/commands/ingest_progress.py) and the pipeline's
ingest function (functions/wikilake_functions/ingest_file.py, progress as log lines): no rich import here,
the Lambda runtime has boto3/botocore/urllib3 only.

Sources are in sources.py (HTTP with retries, local files), destinations in sinks.py (S3, folder).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import botocore.exceptions

from wikilake_core.aws_errors import describe_client_error
from wikilake_core.datasets import Dataset, DumpSite
from wikilake_core.errors import WikilakeError
from wikilake_core.http_budget import MAX_DOWNLOADS
from wikilake_ingest.sources import FileSource, HttpClient, HttpSource

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


def parse_md5sums(text: str) -> dict[str, str]:
    """``md5sum`` output (``<hex>  <file name>`` per line) -> {file name: hex}."""
    sums = {}
    for line in text.splitlines():
        match = _MD5SUM_LINE.match(line.strip())
        if match:
            sums[match.group(2)] = match.group(1)
    return sums


def site_items(
    client: HttpClient, site: DumpSite, dt: str, options: dict, mirror: str | None = None, skip_unlisted: bool = False
) -> list[Item]:
    """The dump files of ``dt`` that ``options`` select, with the MD5s the dump's checksum file
    publishes (a file it does not list is not published yet: refused before anything moves,
    or left out with ``skip_unlisted``, e.g. a pipeline run allowed to miss pageview hours)."""
    folder = site.folder_url(dt, mirror=mirror)
    checksums = f"{folder}/{site.checksums_file(dt)}"
    sums = parse_md5sums(client.get_text(checksums))
    names = site.file_names(dt, options)
    unlisted = [name for name in names if name not in sums]
    if unlisted and skip_unlisted and len(unlisted) < len(names):
        names = [name for name in names if name in sums]
    elif unlisted:
        raise WikilakeError(
            f"{len(unlisted)} of {len(names)} files are not listed in {checksums} "
            f"(not published yet?): {', '.join(unlisted[:3])}{' ...' if len(unlisted) > 3 else ''}; "
            f"choose other {', '.join('--' + option for option, _ in site.selectors)}"
        )
    return [Item(HttpSource(client, f"{folder}/{name}"), sums[name]) for name in names]


def dump_status_items(
    client: HttpClient, site: DumpSite, dt: str, options: dict, mirror: str | None = None
) -> list[Item]:
    """The files of a dump folder with a status file (articles: ``dumpstatus.json``), for each
    selected value (wiki): the whole file, or with ``parts`` the numbered parts the status file
    lists. Refused before anything moves when the dump job that writes them is not done, or when
    the folder's checksum file does not list them; the MD5s come from that checksum file."""
    ((option, field),) = site.selectors
    items = []
    for value in options[option]:
        folder = site.folder_url(dt, mirror=mirror, **{field: value})
        status_url = f"{folder}/{site.status_file}"
        try:
            jobs = json.loads(client.get_text(status_url))["jobs"]
        except (ValueError, KeyError, TypeError):
            raise WikilakeError(f"{status_url} is not a dump status file (no jobs)") from None
        job_of = {name: (job, info.get("status")) for job, info in jobs.items() for name in (info.get("files") or {})}
        if options.get("parts"):
            pattern = re.compile(site.parts_pattern(dt, **{field: value}))
            names = sorted(
                (n for n in job_of if pattern.fullmatch(n)), key=lambda n: [int(d) for d in re.findall(r"\d+", n)]
            )
            if not names:
                raise WikilakeError(f"{status_url} lists no parts for {value} on {dt}")
        else:
            names = [site.file(dt, **{field: value})]
        for name in names:
            if name not in job_of:
                raise WikilakeError(f"{name} is not listed in {status_url}: not part of this dump")
            job, status = job_of[name]
            if status != "done":
                raise WikilakeError(
                    f"the {value} dump of {dt} is not finished: its job {job} is "
                    f"{status or 'without a status'} ({status_url}); try again later"
                )
        checksums = f"{folder}/{site.checksums_file(dt, **{field: value})}"
        sums = parse_md5sums(client.get_text(checksums))
        if unlisted := [name for name in names if name not in sums]:
            raise WikilakeError(f"{unlisted[0]} is not listed in {checksums}; nothing was ingested")
        items += [Item(HttpSource(client, f"{folder}/{name}"), sums[name]) for name in names]
    return items


def source_item(client: HttpClient, dataset: Dataset, dt: str, source: str | None, md5: str | None) -> Item:
    """One file from a URL or a local path; without one, the dataset's shipped sample for its dt."""
    if source is None:
        if dt != dataset.sample_dt:
            raise WikilakeError(
                f"{dataset.name} for {dt} needs --source URL|FILE (the shipped sample covers {dataset.sample_dt})"
            )
        source = str(dataset.sample)
    if re.match(r"^https?://", source):
        return Item(HttpSource(client, source), md5)
    return Item(FileSource(source), md5)


def dump_site(dataset: Dataset, options: dict) -> DumpSite | None:
    """The dump site the files come from; None with an explicit --source (or a dataset without one)."""
    return None if options.get("source") else dataset.site


def plan(client: HttpClient, dataset: Dataset, dt: str, options: dict, *, skip_unlisted: bool = False) -> list[Item]:
    """What to ingest for (dataset, dt): an explicit --source, else the dump site's files."""
    site = dump_site(dataset, options)
    if site is None:
        return [source_item(client, dataset, dt, options.get("source"), options.get("md5"))]
    if site.status_file:
        return dump_status_items(client, site, dt, options, mirror=options.get("mirror"))
    return site_items(client, site, dt, options, mirror=options.get("mirror"), skip_unlisted=skip_unlisted)


class Cancelled(Exception):
    """Raised inside a transfer once the run is interrupted (Ctrl-C)."""


class LogTracker:
    """Progress as log lines (the pipeline's ingest function: CloudWatch Logs, no terminal):
    a line when a file starts, every ``every_bytes`` received, and when it ends."""

    def __init__(self, logger: logging.Logger | None = None, every_bytes: int = 64 * 1024 * 1024):
        self.logger = logger or logging.getLogger("wikilake.ingest")
        self.every_bytes = every_bytes
        self.cancelled = threading.Event()

    def skipped(self) -> None:
        pass

    def file(self, name: str) -> _LogFileProgress:
        return _LogFileProgress(self, name)


class _LogFileProgress:
    def __init__(self, tracker: LogTracker, name: str):
        self.tracker, self.name = tracker, name
        self.size: int | None = None
        self.done_bytes = self.next_report = 0
        self.started = time.monotonic()

    def size_known(self, size: int | None) -> None:
        self.size = size
        self.tracker.logger.info("%s: downloading (%s bytes)", self.name, size if size is not None else "unknown")

    def advance(self, count: int) -> None:
        if self.tracker.cancelled.is_set():
            raise Cancelled()
        self.done_bytes += count
        if self.done_bytes >= self.next_report:
            self.next_report = self.done_bytes + self.tracker.every_bytes
            elapsed = max(time.monotonic() - self.started, 1e-3)
            self.tracker.logger.info(
                "%s: %d of %s bytes, %.1f MB/s",
                self.name,
                self.done_bytes,
                self.size if self.size is not None else "?",
                self.done_bytes / elapsed / 1e6,
            )

    def restart(self) -> None:
        self.tracker.logger.warning("%s: restarting from byte 0 (retry)", self.name)
        self.done_bytes = self.next_report = 0

    def finish(self) -> None:
        self.tracker.logger.info("%s: %d bytes in %.1f s", self.name, self.done_bytes, time.monotonic() - self.started)


def ingest_one(item: Item, sink, tracker) -> Outcome:
    """Fetch one item into ``sink`` unless it is there and verified; never leaves a partial file.
    ``tracker``: LogTracker here, or the CLI's rich TransferProgress."""
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
            return Outcome(
                name, "failed", seconds=time.monotonic() - started, error=f"{name}: {describe_client_error(err)}"
            )
        raise
    finally:
        progress.finish()
    return Outcome(name, "uploaded", result.size, result.md5, result.attempts, time.monotonic() - started)


def _abort_quietly(upload) -> None:
    """Abort without masking the original failure (the bucket's lifecycle rule is the backstop)."""
    with contextlib.suppress(Exception):  # the first error is the one to report
        upload.abort()


def ingest(items: list[Item], sink, *, parallel: int, tracker) -> list[Outcome]:
    """Fetch every item into ``sink``, ``parallel`` (at most the dumps site's MAX_DOWNLOADS) at a
    time; one Outcome per item, in order.

    On Ctrl-C the in-flight uploads are aborted (nothing partial stays) before re-raising.
    """
    parallel = max(1, min(parallel, MAX_DOWNLOADS))
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="ingest") as pool:
        futures = [pool.submit(ingest_one, item, sink, tracker) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            tracker.cancelled.set()
            for future in futures:
                future.cancel()
            raise
