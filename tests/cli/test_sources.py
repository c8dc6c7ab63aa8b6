"""wikilake_ingest.sources against the loopback dumps server, without the CLI or S3: each setting of
the retry policy (timeouts, one shared retry budget, Retry-After, backoff and its cap) and the
User-Agent are observed at the server, so breaking one fails a test. Fast: mutmut runs these."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
import urllib3
from dumps_server import DumpsServer

from wikilake import __version__
from wikilake_ingest.sources import CHUNK_BYTES, FetchError, FileSource, HttpClient, HttpSource, RetryPolicy

FOLDER = "2024/2024-03"
NAME = "pageviews-20240315-000000.gz"
BODY = bytes(range(256)) * 400  # 100 KiB
MD5 = hashlib.md5(BODY).hexdigest()
AGENT = f"wikilake/{__version__} (ops@example.org) urllib3/{urllib3.__version__}"
# No waiting unless a test asks for it; generous timeouts unless a test tightens them.
FAST = RetryPolicy(retries=2, backoff=0.0, read_timeout=10.0)


class Upload:
    def __init__(self):
        self.data = bytearray()
        self.restarts = 0

    def write(self, data: bytes) -> None:
        self.data += data

    def restart(self) -> None:
        self.data.clear()
        self.restarts += 1


class Progress:
    def __init__(self):
        self.sizes: list[int | None] = []
        self.done = 0
        self.largest = 0  # the largest single advance
        self.restarts = 0

    def size_known(self, size: int | None) -> None:
        self.sizes.append(size)

    def advance(self, count: int) -> None:
        self.done += count
        self.largest = max(self.largest, count)

    def restart(self) -> None:
        self.done = 0
        self.restarts += 1


@pytest.fixture
def server():
    dumps = DumpsServer().start()
    dumps.add_month(FOLDER, {NAME: BODY})
    yield dumps
    dumps.stop()


def url(server: DumpsServer, name: str = NAME) -> str:
    return f"{server.url}/{FOLDER}/{name}"


def fetch(server: DumpsServer, policy: RetryPolicy = FAST, expected: str | None = MD5):
    """(result, upload, progress) of one download of NAME."""
    upload, progress = Upload(), Progress()
    client = HttpClient(policy, max_connections=1, user_agent=AGENT)
    result = HttpSource(client, url(server)).fetch(upload, expected, progress)
    return result, upload, progress


def fails(server: DumpsServer, policy: RetryPolicy = FAST) -> str:
    with pytest.raises(FetchError) as caught:
        fetch(server, policy)
    return str(caught.value)


def gaps(server: DumpsServer) -> list[float]:
    """Seconds between consecutive requests for NAME, as the server saw them."""
    times = [r.at for r in server.gets()]
    return [later - earlier for earlier, later in zip(times, times[1:])]


def test_a_clean_download_reports_size_md5_and_one_attempt(server):
    result, upload, progress = fetch(server)

    assert (result.md5, result.size, result.attempts) == (MD5, len(BODY), 1)
    assert bytes(upload.data) == BODY and progress.done == len(BODY)
    assert progress.sizes == [len(BODY)]
    assert [(r.range, r.user_agent) for r in server.requests] == [(None, AGENT)]


def test_every_request_carries_the_user_agent(server):
    """The checksum list, a retried 503, a download and its Range resume: one agent on all."""
    server.faults[f"/{FOLDER}/{NAME}"].extend(["503", "truncate"])
    client = HttpClient(FAST, max_connections=1, user_agent=AGENT)

    assert NAME in client.get_text(f"{server.url}/{FOLDER}/md5sums.txt")
    result = HttpSource(client, url(server)).fetch(Upload(), MD5, Progress())

    assert result.attempts == 3
    assert [r.range is not None for r in server.requests] == [False, False, False, True]
    assert [r.user_agent for r in server.requests] == [AGENT] * 4


def test_a_stall_is_ended_by_the_read_timeout_and_resumed(server):
    """The server goes silent for 30 s mid-body: only the 0.5 s read timeout ends the wait."""
    server.stall_seconds = 30
    server.faults[f"/{FOLDER}/{NAME}"].append("stall")
    started = time.monotonic()

    result, upload, progress = fetch(server, RetryPolicy(retries=1, backoff=0.0, read_timeout=0.5))

    assert time.monotonic() - started < 10
    assert bytes(upload.data) == BODY and result.attempts == 2 and upload.restarts == 0
    first, resumed = server.gets()
    assert resumed.range == f"bytes={len(BODY) // 2}-"
    assert progress.sizes == [len(BODY), len(BODY)]  # the resumed part's length + what arrived


def test_a_stall_fails_once_the_retries_are_spent(server):
    server.stall_seconds = 30
    server.faults[f"/{FOLDER}/{NAME}"].extend(["stall", "stall"])

    message = fails(server, RetryPolicy(retries=1, backoff=0.0, read_timeout=0.3))

    assert message.startswith(f"{NAME}: ") and message.endswith("Read timed out. (after 2 attempts)")


def test_mixed_faults_share_one_retry_budget(server):
    server.faults[f"/{FOLDER}/{NAME}"].extend(["503", "503", "truncate"])

    message = fails(server)

    assert message == (
        f"{NAME}: connection broken (IncompleteRead({len(BODY) // 2} bytes read, "
        f"{len(BODY) - len(BODY) // 2} more expected)) (after 3 attempts)"
    )
    assert len(server.gets()) == 3


def test_5xx_after_a_cut_off_body_draw_on_the_same_budget(server):
    server.faults[f"/{FOLDER}/{NAME}"].extend(["truncate", "503", "503"])

    assert fails(server) == f"{NAME}: gave up after 2 retries: too many 503 error responses"
    assert [r.range is not None for r in server.gets()] == [False, True, True]


def test_a_checksum_mismatch_counts_too(server):
    server.faults[f"/{FOLDER}/{NAME}"].extend(["503", "corrupt", "corrupt"])

    message = fails(server)

    corrupt = hashlib.md5(bytes([BODY[0] ^ 0xFF]) + BODY[1:]).hexdigest()
    assert message == f"{NAME}: checksum mismatch: got md5 {corrupt}, expected {MD5} (after 3 attempts)"


def test_a_corrupt_download_starts_again_from_zero(server):
    server.faults[f"/{FOLDER}/{NAME}"].append("corrupt")

    result, upload, progress = fetch(server)

    assert (result.md5, result.attempts, upload.restarts, progress.restarts) == (MD5, 2, 1, 1)
    assert bytes(upload.data) == BODY and progress.done == len(BODY)
    assert [r.range for r in server.gets()] == [None, None]


def test_a_cut_off_body_restarts_when_the_server_ignores_range(server):
    server.support_range = False
    server.faults[f"/{FOLDER}/{NAME}"].append("truncate")

    result, upload, progress = fetch(server)

    assert bytes(upload.data) == BODY and (upload.restarts, progress.restarts) == (1, 1)
    assert progress.sizes == [len(BODY), len(BODY)]


def test_a_part_from_another_offset_is_not_taken(server):
    """Asked to resume at byte N, the server sends a 206 from byte 0: ask again, without Range.
    Without an expected MD5 nothing else would catch the mix-up."""
    server.range_from = 0
    server.faults[f"/{FOLDER}/{NAME}"].append("truncate")

    result, upload, progress = fetch(server, expected=None)

    assert bytes(upload.data) == BODY and (result.attempts, upload.restarts) == (3, 1)
    assert [r.range for r in server.gets()] == [None, f"bytes={len(BODY) // 2}-", None]
    assert progress.sizes == [len(BODY), len(BODY)]


def test_a_wrong_part_counts_against_the_budget(server):
    server.range_from = 0
    server.faults[f"/{FOLDER}/{NAME}"].extend(["truncate", "truncate"])

    message = fails(server, RetryPolicy(retries=1, backoff=0.0))

    assert message == (
        f"{NAME}: asked for bytes {len(BODY) // 2}-, got Content-Range "
        f"'bytes 0-{len(BODY) - 1}/{len(BODY)}' (after 2 attempts)"
    )


def test_a_part_without_content_range_is_not_taken(server):
    server.send_content_range = False
    server.faults[f"/{FOLDER}/{NAME}"].extend(["truncate", "truncate"])

    message = fails(server, RetryPolicy(retries=1, backoff=0.0))

    assert message == f"{NAME}: asked for bytes {len(BODY) // 2}-, got Content-Range None (after 2 attempts)"


def test_without_an_expected_md5_the_body_is_taken_as_is(server):
    server.faults[f"/{FOLDER}/{NAME}"].append("corrupt")

    result, upload, _ = fetch(server, expected=None)

    assert result.attempts == 1 and result.md5 == hashlib.md5(bytes(upload.data)).hexdigest() != MD5


def test_retry_after_is_honoured(server):
    server.retry_after = "1"
    server.faults[f"/{FOLDER}/{NAME}"].append("503")

    fetch(server, RetryPolicy(retries=2, backoff=0.01))

    assert gaps(server)[0] >= 1.0


@pytest.mark.parametrize("fault", ["503", "truncate", "drop"])
def test_waits_double_from_the_second_consecutive_retry(server, fault):
    server.faults[f"/{FOLDER}/{NAME}"].extend([fault] * 3)

    result, upload, _ = fetch(server, RetryPolicy(retries=3, backoff=0.1))

    assert bytes(upload.data) == BODY and result.attempts == 4
    first, second, third = gaps(server)
    assert first < 0.15 and 0.2 <= second < 0.4 + 0.2 and 0.4 <= third < 0.8 + 0.2


def test_waits_are_capped_by_backoff_max(server):
    server.faults[f"/{FOLDER}/{NAME}"].extend(["503"] * 3)

    fetch(server, RetryPolicy(retries=3, backoff=5.0, backoff_max=0.3))

    assert all(0.3 <= gap < 1.5 for gap in gaps(server)[1:])


@pytest.mark.parametrize(
    "status, message",
    [
        ("404", "{name}: not found at {url} (HTTP 404)"),
        ("403", "{name}: HTTP 403 from {url}"),
    ],
)
def test_a_listed_file_that_is_missing_or_forbidden_fails_at_once(server, status, message):
    server.faults[f"/{FOLDER}/{NAME}"].append(status)

    assert fails(server) == message.format(name=NAME, url=url(server))
    assert len(server.gets()) == 1


def test_repeated_broken_connections_give_up(server):
    server.faults[f"/{FOLDER}/{NAME}"].extend(["drop"] * 3)

    assert fails(server) == (
        f"{NAME}: gave up after 2 retries: connection broken (Remote end closed connection without response)"
    )
    assert len(server.gets()) == 3


def test_a_broken_connection_is_retried(server):
    server.faults[f"/{FOLDER}/{NAME}"].append("drop")

    result, upload, _ = fetch(server)

    assert bytes(upload.data) == BODY and result.attempts == 2


def test_no_more_connections_than_allowed(server):
    server.delay = 0.3
    client = HttpClient(FAST, max_connections=2, user_agent=AGENT)
    threads = [
        threading.Thread(target=HttpSource(client, url(server)).fetch, args=(Upload(), MD5, Progress()))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(server.gets()) == 4 and server.max_in_flight == 2


def test_the_source_is_named_by_the_url_unless_told(server):
    client = HttpClient(FAST, max_connections=1, user_agent=AGENT)
    assert HttpSource(client, url(server) + "/").name == NAME
    assert HttpSource(client, url(server), name="other.gz").name == "other.gz"
    assert HttpSource(client, url(server)).local_md5() is None


def test_get_text(server):
    client = HttpClient(FAST, max_connections=1, user_agent=AGENT)
    md5sums = f"{server.url}/{FOLDER}/md5sums.txt"
    assert client.get_text(md5sums) == f"{MD5}  {NAME}\n"

    server.faults[f"/{FOLDER}/md5sums.txt"].extend(["503"] * 3)
    with pytest.raises(FetchError) as caught:
        client.get_text(md5sums)
    assert str(caught.value) == f"{md5sums}: gave up after retries: too many 503 error responses"

    missing = f"{server.url}/2024/2024-04/md5sums.txt"
    with pytest.raises(FetchError) as caught:
        client.get_text(missing)
    assert str(caught.value) == (f"{missing} not found (HTTP 404): is that month published, is --mirror right?")

    server.faults[f"/{FOLDER}/md5sums.txt"].append("403")
    with pytest.raises(FetchError) as caught:
        client.get_text(md5sums)
    assert str(caught.value) == f"{md5sums}: HTTP 403"

    with pytest.raises(FetchError) as caught:  # e.g. a typo in --mirror
        client.get_text("http://[::1/md5sums.txt")
    assert str(caught.value) == ("http://[::1/md5sums.txt: Failed to parse: '[::1' is not a valid host or port")


def test_the_timeouts_and_retries_reach_urllib3():
    policy = RetryPolicy(retries=4, backoff=0.5, backoff_max=7.0, connect_timeout=3.0, read_timeout=9.0)
    retry, timeout = policy.new_retry(), policy.timeout()
    assert (retry.total, retry.backoff_factor, retry.backoff_max) == (4, 0.5, 7.0)
    assert retry.status_forcelist == {429, 500, 502, 503, 504} and retry.raise_on_status
    assert retry.allowed_methods == {"GET", "HEAD"} and retry.respect_retry_after_header
    assert (timeout.connect_timeout, timeout.read_timeout) == (3.0, 9.0)


def test_a_local_file(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(BODY)
    source = FileSource(path)
    upload, progress = Upload(), Progress()

    result = source.fetch(upload, MD5, progress)

    assert (source.name, source.local_md5()) == (NAME, MD5)
    assert (result.md5, result.size, result.attempts) == (MD5, len(BODY), 1)
    assert bytes(upload.data) == BODY and progress.sizes == [len(BODY)]
    with pytest.raises(FetchError) as caught:
        source.fetch(Upload(), "0" * 32, Progress())
    assert str(caught.value) == f"{NAME}: checksum mismatch: got md5 {MD5}, expected {'0' * 32}"


def test_a_local_file_streams_in_chunks(tmp_path):
    """One chunk in memory at a time, whatever the file's size."""
    path = tmp_path / "big.gz"
    path.write_bytes(BODY * 25)  # 2.5 MiB
    progress = Progress()

    result = FileSource(path).fetch(Upload(), None, progress)

    assert result.size == len(BODY) * 25 and progress.largest == CHUNK_BYTES


def test_a_missing_local_file(tmp_path):
    with pytest.raises(Exception) as caught:
        FileSource(tmp_path / "nope.gz")
    assert str(caught.value) == f"no such file: {tmp_path / 'nope.gz'}"
