"""`wikilake ingest` end to end: the real CLI, a loopback dumps server, S3 in moto."""

from __future__ import annotations

import gzip
import hashlib
import math
import time
from datetime import date

import pytest
import urllib3

from wikilake import __version__
from wikilake.local.generators import pageviews as generator

DAY = date(2024, 3, 15)
DT = DAY.isoformat()
MONTH = "2024/2024-03"
PREFIX = f"raw/pageviews/dt={DT}/"
SMALL_PARTS = ["--part-size", "16KiB"]  # several parts per file (moto's minimum lowered below)
CONTACT = "https://example.org/wikilake-tests"
AGENT = f"wikilake/{__version__} ({CONTACT}) urllib3/{urllib3.__version__}"
NO_CONTACT = (
    "wikilake: error: dumps.wikimedia.org asks every client for contact information "
    "(https://meta.wikimedia.org/wiki/User-Agent_policy): pass --contact URL|EMAIL or "
    "set WIKILAKE_CONTACT\n"
)


@pytest.fixture(autouse=True)
def small_s3_parts(monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1024)


@pytest.fixture(scope="module")
def day_files() -> dict[str, bytes]:
    """Six hourly files (~35 KB each) from the project's pageviews generator."""
    universe = generator.build_universe(6000, seed=7)
    return {
        generator.file_name(DAY, hour): gzip.compress(
            generator.hour_lines(universe, DAY, hour, 2000, seed=7).encode(), mtime=0
        )
        for hour in range(6)
    }


@pytest.fixture
def mirror(dumps, day_files):
    dumps.add_month(MONTH, day_files)
    return dumps


def ingest_args(mirror, *extra):
    return (
        "ingest",
        "pageviews",
        "--date",
        DT,
        "--hours",
        "0-5",
        "--mirror",
        mirror.url,
        "--backoff",
        "0.01",
        "--contact",
        CONTACT,
        *SMALL_PARTS,
        *extra,
    )


def lake_objects(s3, bucket, prefix=PREFIX) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"].removeprefix(prefix): s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def pending_uploads(s3, bucket) -> list:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_a_day_lands_verified_in_the_stack_bucket(wikilake, mirror, deployed, clients, aws_options, day_files):
    code, out, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    s3 = clients.s3
    assert lake_objects(s3, deployed.bucket) == day_files
    for name, body in day_files.items():
        head = s3.head_object(Bucket=deployed.bucket, Key=PREFIX + name)
        assert head["Metadata"]["md5"] == hashlib.md5(body).hexdigest()
        assert head["ContentType"] == "application/gzip"
        parts = math.ceil(len(body) / (16 * 1024))
        assert parts > 1 and head["ETag"].endswith(f'-{parts}"')  # streamed in 16 KiB parts
    assert pending_uploads(s3, deployed.bucket) == []
    assert "6 ingested" in out and "0 failed" in out
    assert f"s3://{deployed.bucket}/{PREFIX}" in out


def test_never_more_than_three_downloads_at_once(wikilake, mirror, deployed, aws_options):
    mirror.delay = 0.3  # every response takes a while, so the workers overlap

    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert mirror.max_in_flight == 3


def test_parallel_option_lowers_the_cap(wikilake, mirror, deployed, aws_options):
    mirror.delay = 0.1

    assert wikilake(*ingest_args(mirror, "--parallel", "1", *aws_options))[0] == 0
    assert mirror.max_in_flight == 1


def test_a_503_is_retried(wikilake, mirror, deployed, clients, aws_options, day_files):
    name = generator.file_name(DAY, 2)
    mirror.faults[f"/{MONTH}/{name}"].extend(["503", "503"])

    code, out, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]
    assert [(r.path, r.range) for r in mirror.gets(name)] == [(f"/{MONTH}/{name}", None)] * 3


def test_a_file_that_keeps_answering_503_fails_alone(wikilake, mirror, deployed, clients, aws_options):
    name = generator.file_name(DAY, 2)
    mirror.faults[f"/{MONTH}/{name}"].extend(["503"] * 10)

    code, _, err = wikilake(*ingest_args(mirror, "--retries", "3", *aws_options))

    assert code == 1
    assert f"{name}: gave up after 3 retries: too many 503 error responses" in err
    assert len(mirror.gets(name)) == 4
    assert sorted(lake_objects(clients.s3, deployed.bucket)) == [
        generator.file_name(DAY, h) for h in range(6) if h != 2
    ]
    assert pending_uploads(clients.s3, deployed.bucket) == []


def test_a_wrong_mirror_is_reported(wikilake, mirror, tmp_path):
    code, _, err = wikilake(
        "ingest", "pageviews", "--date", DT, "--mirror", mirror.url + "/elsewhere", "--to", str(tmp_path)
    )
    assert code == 1
    assert f"{mirror.url}/elsewhere/{MONTH}/md5sums.txt not found (HTTP 404)" in err


def test_a_cut_off_body_resumes_with_a_range_request(wikilake, mirror, deployed, clients, aws_options, day_files):
    name = generator.file_name(DAY, 4)
    mirror.faults[f"/{MONTH}/{name}"].append("truncate")

    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]
    requests = mirror.gets(name)
    assert len(requests) == 2 and requests[0][1] is None
    resumed_at = int(requests[1][1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(day_files[name]) // 2


def test_a_stalled_body_times_out_and_resumes(wikilake, mirror, deployed, clients, aws_options, day_files):
    """The server goes silent for 30 s mid-body: only --timeout 0.5 ends the wait."""
    name = generator.file_name(DAY, 3)
    mirror.stall_seconds = 30
    mirror.faults[f"/{MONTH}/{name}"].append("stall")
    started = time.monotonic()

    code, _, err = wikilake(*ingest_args(mirror, "--timeout", "0.5", *aws_options))

    assert code == 0, err
    assert time.monotonic() - started < 15
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]
    requests = mirror.gets(name)
    assert len(requests) == 2 and requests[1].range == f"bytes={len(day_files[name]) // 2}-"


def test_mixed_faults_share_one_retry_budget(wikilake, mirror, tmp_path):
    name = generator.file_name(DAY, 3)
    mirror.faults[f"/{MONTH}/{name}"].extend(["503", "503", "truncate"])

    code, _, err = wikilake(*ingest_args(mirror, "--retries", "2", "--to", str(tmp_path)))

    assert code == 1
    message = err.strip().splitlines()[-1]  # after the progress bars
    assert f"first: {name}: connection broken (IncompleteRead(" in message
    assert message.endswith("more expected)) (after 3 attempts)")
    assert len(mirror.gets(name)) == 3


@pytest.mark.parametrize(
    "status, error",
    [
        ("404", "{name}: not found at {url} (HTTP 404)"),
        ("403", "{name}: HTTP 403 from {url}"),
    ],
)
def test_a_listed_file_that_is_missing_or_forbidden_fails_alone(wikilake, mirror, tmp_path, status, error):
    name = generator.file_name(DAY, 1)
    mirror.faults[f"/{MONTH}/{name}"].append(status)

    code, out, err = wikilake(*ingest_args(mirror, "--to", str(tmp_path)))

    assert code == 1
    assert err.endswith(f"first: {error.format(name=name, url=f'{mirror.url}/{MONTH}/{name}')}\n")
    assert len(mirror.gets(name)) == 1  # not retried
    assert "5 ingested" in out


def test_repeated_broken_connections_give_up(wikilake, mirror, tmp_path):
    name = generator.file_name(DAY, 2)
    mirror.faults[f"/{MONTH}/{name}"].extend(["drop"] * 3)

    code, _, err = wikilake(*ingest_args(mirror, "--retries", "2", "--to", str(tmp_path)))

    assert code == 1
    assert err.endswith(
        f"first: {name}: gave up after 2 retries: connection broken (Remote end closed connection without response)\n"
    )
    assert len(mirror.gets(name)) == 3


def test_every_request_names_wikilake_and_the_contact(wikilake, mirror, tmp_path):
    """The checksum list, downloads, urllib3's own retries and Range resumes all identify us."""
    mirror.faults[f"/{MONTH}/{generator.file_name(DAY, 1)}"].append("503")
    mirror.faults[f"/{MONTH}/{generator.file_name(DAY, 2)}"].append("truncate")

    code, _, err = wikilake(*ingest_args(mirror, "--to", str(tmp_path)))

    assert code == 0, err
    assert len(mirror.requests) == 1 + 6 + 2 and mirror.requests[0].path.endswith("/md5sums.txt")
    assert any(r.range for r in mirror.requests)
    assert {r.user_agent for r in mirror.requests} == {AGENT}


def test_the_contact_can_come_from_the_environment(wikilake, mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("WIKILAKE_CONTACT", "ops@example.org")
    argv = [a for a in ingest_args(mirror, "--to", str(tmp_path)) if a not in ("--contact", CONTACT)]

    assert wikilake(*argv)[0] == 0
    assert {r.user_agent for r in mirror.requests} == {
        f"wikilake/{__version__} (ops@example.org) urllib3/{urllib3.__version__}"
    }


def test_a_custom_mirror_needs_no_contact(wikilake, mirror, tmp_path):
    argv = [a for a in ingest_args(mirror, "--to", str(tmp_path)) if a not in ("--contact", CONTACT)]

    assert wikilake(*argv)[0] == 0
    assert {r.user_agent for r in mirror.requests} == {f"wikilake/{__version__} urllib3/{urllib3.__version__}"}


@pytest.mark.parametrize(
    "argv",
    [
        ("ingest", "pageviews", "--date", DT),
        ("ingest", "edits", "--date", DT, "--source", "https://dumps.wikimedia.org/other/edits.json.gz"),
    ],
)
def test_the_public_dumps_site_needs_a_contact(wikilake, tmp_path, argv):
    assert wikilake(*argv, "--to", str(tmp_path)) == (1, "", NO_CONTACT)


def test_a_contact_must_be_a_url_or_an_email(wikilake, mirror, tmp_path):
    code, _, err = wikilake(*ingest_args(mirror, "--contact", "call me", "--to", str(tmp_path)))

    assert (code, err) == (
        1,
        "wikilake: error: contact 'call me' is not a URL or an e-mail address, "
        "e.g. https://example.org/data-team or ops@example.org\n",
    )
    assert mirror.requests == []


def test_a_cut_off_body_restarts_when_the_server_ignores_range(
    wikilake, mirror, deployed, clients, aws_options, day_files
):
    mirror.support_range = False
    name = generator.file_name(DAY, 1)
    mirror.faults[f"/{MONTH}/{name}"].append("truncate")

    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]


def test_a_corrupt_download_is_fetched_again(wikilake, mirror, deployed, clients, aws_options, day_files):
    name = generator.file_name(DAY, 3)
    mirror.faults[f"/{MONTH}/{name}"].append("corrupt")

    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]
    assert pending_uploads(clients.s3, deployed.bucket) == []


def test_a_persistent_checksum_mismatch_fails_and_leaves_nothing(
    wikilake, mirror, deployed, clients, aws_options, day_files
):
    name = generator.file_name(DAY, 5)
    mirror.md5_overrides[name] = "0" * 32

    code, out, err = wikilake(*ingest_args(mirror, "--retries", "2", *aws_options))

    assert code == 1
    message = err.strip().splitlines()[-1]
    assert message.startswith("wikilake: error: 1 of 6 files failed")
    assert name in message and "checksum mismatch" in message and "after 3 attempts" in message
    landed = lake_objects(clients.s3, deployed.bucket)
    assert name not in landed and len(landed) == 5
    assert pending_uploads(clients.s3, deployed.bucket) == []
    assert len(mirror.gets(name)) == 3


def test_a_rerun_uploads_nothing(wikilake, mirror, deployed, clients, aws_options):
    assert wikilake(*ingest_args(mirror, *aws_options))[0] == 0
    before = {o["Key"]: o["LastModified"] for o in clients.s3.list_objects_v2(Bucket=deployed.bucket)["Contents"]}
    downloads = len(mirror.gets())

    code, out, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 0, err
    assert len(mirror.gets()) == downloads  # only md5sums.txt was fetched again
    after = {o["Key"]: o["LastModified"] for o in clients.s3.list_objects_v2(Bucket=deployed.bucket)["Contents"]}
    assert after == before
    assert "0 ingested" in out and "6 already there" in out


def test_a_changed_object_is_replaced_on_rerun(wikilake, mirror, deployed, clients, aws_options, day_files):
    name = generator.file_name(DAY, 0)
    clients.s3.put_object(
        Bucket=deployed.bucket, Key=PREFIX + name, Body=b"stale", Metadata={"md5": hashlib.md5(b"stale").hexdigest()}
    )

    assert wikilake(*ingest_args(mirror, *aws_options))[0] == 0
    assert lake_objects(clients.s3, deployed.bucket)[name] == day_files[name]


def test_to_a_local_lake_folder_needs_no_aws(wikilake, mirror, tmp_path, day_files, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    lake = tmp_path / "lake"

    code, out, err = wikilake(*ingest_args(mirror, "--to", str(lake)))

    assert code == 0, err
    partition = lake / "raw" / "pageviews" / f"dt={DT}"
    assert {p.name: p.read_bytes() for p in partition.iterdir()} == day_files  # no temp files left
    downloads = len(mirror.gets())
    assert wikilake(*ingest_args(mirror, "--to", str(lake)))[0] == 0
    assert len(mirror.gets()) == downloads


def test_local_checksum_failure_leaves_no_file(wikilake, mirror, tmp_path):
    name = generator.file_name(DAY, 5)
    mirror.md5_overrides[name] = "0" * 32

    code, _, err = wikilake(*ingest_args(mirror, "--retries", "0", "--to", str(tmp_path)))

    assert code == 1 and "checksum mismatch" in err
    partition = tmp_path / "raw" / "pageviews" / f"dt={DT}"
    assert sorted(p.name for p in partition.iterdir()) == sorted(generator.file_name(DAY, h) for h in range(5))


def test_to_another_bucket_and_prefix(wikilake, mirror, clients, aws_options, day_files):
    clients.s3.create_bucket(Bucket="other-lake")

    code, _, err = wikilake(*ingest_args(mirror, "--to", "s3://other-lake/team-a", *aws_options))

    assert code == 0, err  # no stack needed when the destination is given
    assert lake_objects(clients.s3, "other-lake", f"team-a/{PREFIX}") == day_files


def test_hours_missing_from_md5sums_are_refused_before_downloading(wikilake, mirror, deployed, aws_options):
    code, _, err = wikilake("ingest", "pageviews", "--date", DT, "--hours", "4-9", "--mirror", mirror.url, *aws_options)

    assert code == 1
    assert "4 of 6 files are not listed in" in err and "md5sums.txt" in err
    assert mirror.gets() == []


def test_edits_sample_goes_to_the_stack_bucket(wikilake, deployed, clients, aws_options):
    from wikilake_core.datasets import get

    EDITS_SAMPLE = get("edits").sample

    code, out, err = wikilake("ingest", "edits", "--date", "2015-09-12", *aws_options)

    assert code == 0, err
    key = f"raw/edits/dt=2015-09-12/{EDITS_SAMPLE.name}"
    body = EDITS_SAMPLE.read_bytes()
    obj = clients.s3.get_object(Bucket=deployed.bucket, Key=key)
    assert obj["Body"].read() == body
    assert obj["Metadata"]["md5"] == hashlib.md5(body).hexdigest()
    assert "1 ingested" in out
    code, out, _ = wikilake("ingest", "edits", "--date", "2015-09-12", *aws_options)
    assert code == 0 and "0 ingested" in out and "1 already there" in out


def test_edits_from_a_url_with_md5(wikilake, dumps, deployed, clients, aws_options):
    body = gzip.compress(b'{"page": "Main_Page"}\n')
    dumps.files["/feeds/edits-2024-03-15.json.gz"] = body
    url = f"{dumps.url}/feeds/edits-2024-03-15.json.gz"

    code, _, err = wikilake(
        "ingest", "edits", "--date", DT, "--source", url, "--md5", "f" * 32, "--retries", "0", *aws_options
    )
    assert code == 1 and "checksum mismatch" in err

    code, _, err = wikilake(
        "ingest", "edits", "--date", DT, "--source", url, "--md5", hashlib.md5(body).hexdigest(), *aws_options
    )
    assert code == 0, err
    assert lake_objects(clients.s3, deployed.bucket, f"raw/edits/dt={DT}/") == {"edits-2024-03-15.json.gz": body}


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (
            ("ingest", "clicks", "--date", DT),
            2,
            "wikilake ingest: error: argument dataset: invalid choice: 'clicks' (choose from 'edits', "
            "'pageviews', 'articles') (see wikilake ingest --help)\n",
        ),
        (
            ("ingest", "pageviews", "--date", "2024-02-30"),
            1,
            "wikilake: error: bad date '2024-02-30': use YYYY-MM-DD, e.g. 2015-09-12\n",
        ),
        (
            ("ingest", "edits", "--date", DT),
            1,
            "wikilake: error: edits for 2024-03-15 needs --source URL|FILE (the shipped sample covers 2015-09-12)\n",
        ),
        (
            ("ingest", "edits", "--date", DT, "--hours", "0-3"),
            1,
            "wikilake: error: --hours does not apply to edits (its options: --md5, --source)\n",
        ),
        (
            ("ingest", "pageviews", "--date", DT, "--source", "x.gz"),
            1,
            "wikilake: error: --source does not apply to pageviews (its options: --hours, --mirror)\n",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(wikilake, argv, code, message):
    assert wikilake(*argv) == (code, "", message)


def test_without_credentials(wikilake, mirror, monkeypatch, aws_options):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 1
    assert err.startswith("wikilake: error: no AWS credentials found") and err.count("\n") == 1
    assert mirror.requests == []


def test_without_a_deployed_stack(wikilake, mirror, aws_options):
    code, _, err = wikilake(*ingest_args(mirror, *aws_options))

    assert code == 1
    assert "stack output DataBucketName not found" in err
    assert ("Wikilake-dev-Storage, Wikilake-dev-Catalog, Wikilake-dev-Processing are not deployed in us-east-1") in err
    assert mirror.requests == []
