"""Where ingested files come from: HTTP(S) downloads with polite retries and resume, or local files.

A source streams its bytes into an ``Upload`` (see sinks.py) while computing their MD5; it
verifies the MD5 when one is expected and retries what can be retried:

- HTTP 5xx and 429 (honouring Retry-After), connection errors and timeouts: urllib3's Retry,
  with exponential backoff;
- a body cut short (fewer bytes than Content-Length) or a read timeout mid-body: resumed with a
  ``Range`` request from the last byte received (restarted from zero when the server ignores
  Range);
- a checksum mismatch: downloaded again from zero.

All of these draw on one retry budget per file, kept in the same urllib3 ``Retry`` object.
Every request carries the client's User-Agent (see wikilake_ingest.user_agent and docs/ingest.md).

urllib3 rather than requests: it ships with botocore (no new dependency), its PoolManager caps
connections per host (``maxsize`` + ``block``) and its Retry implements backoff and Retry-After.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from wikilake_core.errors import WikilakeError
from wikilake_core.http_budget import DOWNLOAD

CHUNK_BYTES = 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Upload(Protocol):
    def write(self, data: bytes) -> None: ...
    def restart(self) -> None: ...


class Progress(Protocol):
    def size_known(self, size: int | None) -> None: ...
    def advance(self, count: int) -> None: ...
    def restart(self) -> None: ...


class ChecksumMismatch(Exception):
    def __init__(self, expected: str, actual: str):
        super().__init__(f"checksum mismatch: got md5 {actual}, expected {expected}")


class FetchError(WikilakeError):
    """A file could not be fetched (after retries); the message says why."""


@dataclass(frozen=True)
class RetryPolicy:
    """A download's retries and timeouts; the defaults are wikilake_core.http_budget.DOWNLOAD's."""

    retries: int = DOWNLOAD.retries  # attempts after the first one, shared by all failure kinds
    backoff: float = DOWNLOAD.backoff  # seconds; doubles per consecutive failure (urllib3 Retry)
    backoff_max: float = DOWNLOAD.backoff_max
    connect_timeout: float = DOWNLOAD.connect_timeout
    read_timeout: float = DOWNLOAD.read_timeout

    def new_retry(self) -> Retry:
        return Retry(
            total=self.retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            backoff_factor=self.backoff,
            backoff_max=self.backoff_max,
            respect_retry_after_header=True,
            raise_on_status=True,
        )

    def timeout(self) -> urllib3.Timeout:
        return urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout)


@dataclass(frozen=True)
class FetchResult:
    md5: str
    size: int
    attempts: int


def file_md5(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "md5").hexdigest()


class HttpClient:
    """One connection pool for every download of a run: at most ``max_connections`` at once.

    ``user_agent`` (see wikilake_ingest.user_agent) goes on every request it makes.
    """

    def __init__(self, policy: RetryPolicy, max_connections: int, user_agent: str):
        self.policy = policy
        self.user_agent = user_agent
        self.pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max_connections,
            block=True,
            timeout=policy.timeout(),
        )

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        # Passed on each request: urllib3 replaces the pool's default headers with a request's
        # own headers instead of merging them, so a Range request would lose the User-Agent.
        return {"User-Agent": self.user_agent, **extra}

    def get_text(self, url: str) -> str:
        """A small text document (e.g. md5sums.txt), with the same retries as the downloads."""
        try:
            response = self.pool.request("GET", url, headers=self.headers({}), retries=self.policy.new_retry())
        except MaxRetryError as err:
            raise FetchError(f"{url}: gave up after retries: {err.reason}") from None
        except HTTPError as err:
            raise FetchError(f"{url}: {err}") from None
        if response.status == 404:
            raise FetchError(f"{url} not found (HTTP 404): is that month published, is --mirror right?")
        if response.status != 200:
            raise FetchError(f"{url}: HTTP {response.status}")
        return response.data.decode()


class _Transfer:
    """The bytes of one file received so far: hashed, uploaded, counted."""

    def __init__(self, upload: Upload, progress: Progress):
        self.upload = upload
        self.progress = progress
        self.digest = hashlib.md5()
        self.received = 0

    def take(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.upload.write(chunk)
        self.received += len(chunk)
        self.progress.advance(len(chunk))

    def restart(self) -> None:
        self.digest = hashlib.md5()
        self.received = 0
        self.upload.restart()
        self.progress.restart()


class _HttpTransfer(_Transfer):
    """... and the retry budget across attempts (urllib3's Retry, which also counts its own)."""

    def __init__(self, retry: Retry, upload: Upload, progress: Progress):
        super().__init__(upload, progress)
        self.retry = retry

    @property
    def attempts(self) -> int:
        return len(self.retry.history) + 1


class HttpSource:
    """One file on an HTTP(S) server."""

    def __init__(self, client: HttpClient, url: str, name: str | None = None):
        self.client = client
        self.url = url
        self.name = name or url.rstrip("/").rsplit("/", 1)[-1]

    def local_md5(self) -> str | None:
        return None  # unknown until downloaded

    def fetch(self, upload: Upload, expected_md5: str | None, progress: Progress) -> FetchResult:
        transfer = _HttpTransfer(self.client.policy.new_retry(), upload, progress)
        while True:
            try:
                self._stream(transfer)
                actual = transfer.digest.hexdigest()
                if expected_md5 is not None and actual != expected_md5:
                    raise ChecksumMismatch(expected_md5, actual)
                return FetchResult(actual, transfer.received, transfer.attempts)
            except (ProtocolError, ReadTimeoutError, ChecksumMismatch) as err:
                attempts = transfer.attempts
                try:
                    transfer.retry = transfer.retry.increment("GET", self.url, error=err)
                except MaxRetryError:
                    raise FetchError(f"{self.name}: {_reason(err)} (after {attempts} attempts)") from None
                if isinstance(err, ChecksumMismatch):
                    transfer.restart()
                transfer.retry.sleep()
            except MaxRetryError as err:
                raise FetchError(
                    f"{self.name}: gave up after {self.client.policy.retries} retries: {_reason(err.reason)}"
                ) from None

    def _stream(self, transfer: _HttpTransfer) -> None:
        """Read the body from byte ``transfer.received`` on (a Range request when resuming)."""
        offset = transfer.received
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self.client.pool.request(
            "GET", self.url, headers=self.client.headers(headers), preload_content=False, retries=transfer.retry
        )
        if response.retries is not None:  # the Retry passed in, now counting the 5xx urllib3 retried
            transfer.retry = response.retries
        try:
            if response.status == 404:
                raise FetchError(f"{self.name}: not found at {self.url} (HTTP 404)")
            if response.status not in (200, 206):
                raise FetchError(f"{self.name}: HTTP {response.status} from {self.url}")
            if offset and not _resumes_at(response, offset):
                transfer.restart()  # the server ignored Range (200: the whole body follows) ...
                if response.status == 206:  # ... or sent another part: ask again, from zero
                    raise ProtocolError(
                        f"asked for bytes {offset}-, got Content-Range {response.headers.get('Content-Range')!r}"
                    )
            length = response.headers.get("Content-Length")
            transfer.progress.size_known(int(length) + transfer.received if length else None)
            # read1 hands over what has arrived, so a cut-off body loses nothing already received.
            while chunk := response.read1(CHUNK_BYTES):
                transfer.take(chunk)
        except BaseException:
            response.close()  # never hand a half-read connection back to the pool
            raise
        finally:
            response.release_conn()


def _resumes_at(response, offset: int) -> bool:
    return response.status == 206 and response.headers.get("Content-Range", "").startswith(f"bytes {offset}-")


def _reason(err: BaseException | None) -> str:  # MaxRetryError.reason may be None
    if isinstance(err, ProtocolError) and len(err.args) > 1:
        return f"connection broken ({err.args[1]})"
    return str(err)


class FileSource:
    """A local file (e.g. the shipped edits sample)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.name = self.path.name
        if not self.path.is_file():
            raise WikilakeError(f"no such file: {self.path}")

    def local_md5(self) -> str:
        return file_md5(self.path)

    def fetch(self, upload: Upload, expected_md5: str | None, progress: Progress) -> FetchResult:
        transfer = _Transfer(upload, progress)
        progress.size_known(os.path.getsize(self.path))
        with open(self.path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                transfer.take(chunk)
        actual = transfer.digest.hexdigest()
        if expected_md5 is not None and actual != expected_md5:
            raise FetchError(f"{self.name}: {ChecksumMismatch(expected_md5, actual)}")
        return FetchResult(actual, transfer.received, 1)
