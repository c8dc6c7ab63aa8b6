"""The edits job on the real 39,244-event sample and on a dirty file, against plain Python."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pyspark
import pytest
from pyspark.sql import functions as F
from spark_helpers import EDITS_DT, EDITS_SAMPLE, run_manifest, run_rejected_dir, run_table_dir, write_gz
from spark_reference import EDIT_COLUMNS, edit_rows, edits_by_channel

from spark_jobs import edits, extract, job, outputs, storage
from spark_jobs.session import scoped_settings
from wikilake_core.errors import JobError
from wikilake_core.release_labels import RELEASES

pytestmark = pytest.mark.spark

TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"  # the sample's own spelling, in UTC


@pytest.fixture(scope="module")
def reference_rows():
    return edit_rows(EDITS_SAMPLE)


def table(spark, lake, name, dt=EDITS_DT):
    return spark.read.parquet(run_table_dir(lake, name, dt))


def as_tuples(rows: list[dict]) -> Counter:
    return Counter(tuple(row.get(column) for column in EDIT_COLUMNS.values()) for row in rows)


def table_tuples(spark, lake, name) -> Counter:
    df = table(spark, lake, name).withColumn("event_time", F.date_format("event_time", TIME_FORMAT))
    return Counter(tuple(r) for r in df.select(*EDIT_COLUMNS.values()).collect())


def test_edits_table_holds_every_event_exactly(spark, edits_run, reference_rows):
    assert len(reference_rows) == 39_244
    assert table_tuples(spark, edits_run.lake, "edits") == as_tuples(reference_rows)


def test_edits_filtered_is_human_edits_from_the_united_states(spark, edits_run, reference_rows):
    expected = [r for r in reference_rows if r["is_robot"] is False and r.get("country_name") == "United States"]
    assert len(expected) > 100
    assert table_tuples(spark, edits_run.lake, "edits_filtered") == as_tuples(expected)


def test_edits_by_channel_matches_reference_aggregates(spark, edits_run, reference_rows):
    rows = {
        r["channel"]: {k: v for k, v in r.asDict().items() if k != "channel"}
        for r in table(spark, edits_run.lake, "edits_by_channel").collect()
    }
    assert rows == edits_by_channel(reference_rows)


def test_manifest_counts_and_invariants(edits_run, reference_rows):
    manifest = edits_run.manifest
    assert manifest["input_records"] == manifest["valid_records"] + manifest["rejected_records"]
    assert (manifest["input_records"], manifest["rejected_records"]) == (39_244, 0)
    by_channel = edits_by_channel(reference_rows)
    assert manifest["rows_written"] == {
        "edits": 39_244,
        "edits_filtered": sum(
            1 for r in reference_rows if r["is_robot"] is False and r.get("country_name") == "United States"
        ),
        "edits_by_channel": len(by_channel),
    }
    assert manifest["events_outside_dt"] == sum(not r["event_time"].startswith(EDITS_DT) for r in reference_rows)
    written = json.loads(run_manifest(edits_run.lake, "edits", EDITS_DT).read_text())
    assert written == manifest
    # The Spark this venv runs (each release label's line has its own venv), one that a label offers.
    assert written["spark_version"] == pyspark.__version__
    assert pyspark.__version__ in {release.spark_version for release in RELEASES.values()}
    assert written["job_args"]["country"] == "United States"


GOOD = {
    "time": "2015-09-12T01:02:03.456Z",
    "channel": "#en.wikipedia",
    "page": "Apollo",
    "namespace": "Main",
    "user": "alice",
    "comment": "fix",
    "isAnonymous": False,
    "isMinor": True,
    "isNew": False,
    "isRobot": False,
    "isUnpatrolled": False,
    "cityName": None,
    "countryIsoCode": "US",
    "countryName": "United States",
    "regionIsoCode": None,
    "regionName": None,
    "metroCode": 807,
    "delta": 5,
    "added": 7,
    "deleted": 2,
}


def event(**changes) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)


def without(field: str) -> str:
    return json.dumps({k: v for k, v in GOOD.items() if k != field})


DIRTY = [
    # (line, reason or None for a valid event)
    (event(), None),
    (event(page="Zeus", user="bob", time="2015-09-12T23:59:59Z"), None),
    (event(page="Ünïcode ☃", time="2015-09-12T03:00:00.5+02:00"), None),  # offsets, short fraction
    (event(page="NaN", comment="{{cite}} [[link]] 42"), None),  # strings that look like other types
    (event(page="1984", comment='quote "page": 5 inside'), None),
    (event(metroCode=None, cityName=None), None),  # JSON null is an absent value
    (without("comment"), None),  # optional fields may be missing
    (event(extra={"nested": [1, 2]}), None),  # unknown fields are allowed
    (event(page="Old", time="2015-09-11T23:00:00Z"), None),  # another day: kept, counted
    ('{"time": "2015-09-12T01:02:03Z", "channel": "#de.wikipedia", "page": "Trunc', "invalid JSON"),
    ("this is not json", "invalid JSON"),
    (event() + " trailing", "invalid JSON"),
    ("[1, 2, 3]", "not a JSON object"),
    ('"just a string"', "not a JSON object"),
    ("42", "not a JSON object"),
    (event(added="12"), "wrong JSON type: added"),
    (event(isRobot="yes"), "wrong JSON type: isRobot"),
    (event(delta=1.5), "wrong JSON type: delta"),
    (event(metroCode=True), "wrong JSON type: metroCode"),
    (event(page=12), "wrong JSON type: page"),
    (event(user=False), "wrong JSON type: user"),
    (event(comment={"a": 1}), "wrong JSON type: comment"),
    (event(countryName=["US"]), "wrong JSON type: countryName"),
    (event(time=1442019723456), "wrong JSON type: time"),
    (without("time"), "missing or empty: time"),
    (event(channel=""), "missing or empty: channel"),
    (event(channel="   "), "missing or empty: channel"),
    (event(page=None), "missing or empty: page"),
    (without("page"), "missing or empty: page"),
    (event(time="yesterday"), "unparsable time"),
    (event(time="2015-09-12"), "unparsable time"),
    (event(time="2015-13-45T99:00:00Z"), "unparsable time"),
]
BLANK_LINES = ["", "   ", "\t"]


@pytest.fixture(scope="module")
def dirty_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dirty")
    lines = [line for line, _ in DIRTY]
    write_gz(folder / "raw" / "part-1.json.gz", lines[:10] + BLANK_LINES + lines[10:20])
    write_gz(folder / "raw" / "part-2.json.gz", lines[20:])
    args = edits.JOB.parse_args(
        ["--date", EDITS_DT, "--input", str(folder / "raw" / "*.json.gz"), "--output-root", str(folder / "lake")]
    )
    return folder / "lake", edits.JOB.run(spark, args)


def test_dirty_file_exact_counts_and_reasons(dirty_run):
    _, manifest = dirty_run
    expected = Counter(reason for _, reason in DIRTY if reason)
    assert manifest["input_records"] == len(DIRTY)  # blank lines are not records
    assert manifest["valid_records"] == sum(1 for _, r in DIRTY if r is None)
    assert manifest["rejected_by_reason"] == dict(expected)
    assert manifest["events_outside_dt"] == 1


def test_dirty_file_rejected_records_keep_line_source_and_reason(spark, dirty_run):
    lake, _ = dirty_run
    rejected = spark.read.json(run_rejected_dir(lake, "edits", EDITS_DT)).collect()
    got = sorted((r["line"], r["reason"]) for r in rejected)
    assert got == sorted((line, reason) for line, reason in DIRTY if reason)
    assert {r["source_file"].rsplit("/", 1)[1] for r in rejected} == {"part-1.json.gz", "part-2.json.gz"}


def test_dirty_file_every_good_event_is_present(spark, dirty_run):
    lake, _ = dirty_run
    pages = sorted(r["page"] for r in table(spark, lake, "edits").collect())
    assert pages == sorted(json.loads(line).get("page") for line, reason in DIRTY if reason is None)


def test_reasons_hold_when_a_plan_reads_only_the_reason(spark, tmp_path):
    """A filter or a count on the reason alone lets Spark parse each JSON field on its own, where
    a wrong type in another field no longer marks the line: the job's settings keep the parse whole
    (this failed, four wrong types passing as valid, before they did)."""
    lines = [line for line, _ in DIRTY]
    raw = write_gz(tmp_path / "dirty.json.gz", lines)
    with scoped_settings(spark, job.JOB_SQL_SETTINGS):
        read = extract.read_lines(spark, storage.resolve_inputs(spark, [str(raw)]))
        rejected = edits.classify(read).where(F.col("reason").isNotNull()).select("reason").collect()
    assert Counter(r["reason"] for r in rejected) == Counter(reason for _, reason in DIRTY if reason)


def test_rejected_records_are_found_again_in_the_files_that_had_them(spark, tmp_path):
    """Only the files with rejects are read a second time, for rejected/; a clean run writes an
    empty rejected/ that reads as no rows."""
    raw = tmp_path / "raw"
    write_gz(raw / "a clean %file.json.gz", [event(page=f"A{i}") for i in range(5)])
    write_gz(raw / "dirty.json.gz", [event(page="B"), "garbage", event(added="1")])
    write_gz(raw / "also clean.json.gz", [event(page="C")])
    inputs = storage.resolve_inputs(spark, [str(raw)])
    reported = spark.read.text(str(raw)).select(F.input_file_name()).distinct().collect()
    dirty = [uri for (uri,) in reported if uri.endswith("dirty.json.gz")]
    assert [f.name for f in storage.reported_inputs(spark, inputs, dirty)] == ["dirty.json.gz"]
    assert storage.reported_inputs(spark, inputs, [uri for (uri,) in reported]) == inputs
    assert storage.reported_inputs(spark, inputs, ["file:///elsewhere.gz"]) == inputs

    reads = []

    def read(spark, inputs, args):
        reads.append(sorted(f.name for f in inputs))
        return edits.read(spark, inputs, args)

    lake = tmp_path / "lake"
    manifest = dataclasses.replace(edits.JOB, read=read).run(
        spark, edits.JOB.parse_args(["--date", EDITS_DT, "--input", str(raw), "--output-root", str(lake)])
    )
    assert reads == [sorted(f.name for f in inputs), ["dirty.json.gz"]]
    assert (manifest["valid_records"], manifest["rejected_by_reason"]) == (
        7,
        {"invalid JSON": 1, "wrong JSON type: added": 1},
    )
    assert {
        r["source_file"].rsplit("/", 1)[1] for r in spark.read.json(run_rejected_dir(lake, "edits", EDITS_DT)).collect()
    } == {"dirty.json.gz"}

    clean = edits.JOB.run(
        spark,
        edits.JOB.parse_args(
            ["--date", EDITS_DT, "--input", str(raw / "also clean.json.gz"), "--output-root", str(lake)]
        ),
    )
    assert (clean["valid_records"], clean["rejected_records"]) == (1, 0)
    assert spark.read.schema(outputs.REJECTED_SCHEMA).json(run_rejected_dir(lake, "edits", EDITS_DT)).count() == 0


@pytest.mark.parametrize(
    "files, megabytes_each, expected",
    [
        (10, 24, 10),  # a task per input file, whatever the registered cores (2 here)
        (40, 24, 40),
        (10, 1, 1),  # 10 MB in all: one file, not ten tiny ones
        (1, 1024, 4),  # one big file: one per 256 MB
    ],
)
def test_edits_gets_a_file_per_input_file_it_parses(spark, files, megabytes_each, expected):
    """edits is written from the parse, so its file count is the parse's task count."""
    inputs = [storage.InputFile(f"file:/day/{i}.json.gz", f"{i}.json.gz", megabytes_each << 20) for i in range(files)]
    valid = edits.classify(spark.createDataFrame([], "value string, source_file string"))
    assert spark.sparkContext.defaultParallelism == 2
    assert edits.main_table(spark, valid, inputs).files == expected


def test_counts_are_taken_again_when_the_observed_ones_disagree_with_the_table(spark, tmp_path, monkeypatch):
    """Observed metrics count a task run twice twice; the job then counts exactly, from the input."""

    class Doubled(job.Observation):
        @property
        def get(self):
            facts = dict(super().get)
            return {**facts, "records": 2 * facts["records"]} if "records" in facts else facts

    monkeypatch.setattr(job, "Observation", Doubled)
    raw = write_gz(tmp_path / "e.json.gz", [event(), event(page="Old", time="2015-09-11T23:00:00Z"), "garbage"])
    manifest = edits.JOB.run(
        spark, edits.JOB.parse_args(["--date", EDITS_DT, "--input", str(raw), "--output-root", str(tmp_path / "lake")])
    )
    assert (manifest["input_records"], manifest["valid_records"], manifest["rejected_records"]) == (3, 2, 1)
    assert manifest["events_outside_dt"] == 1


# A rerun writes a run folder of its own (run=<run_id>, spark_jobs/job.py), never an earlier run's:
# what this checks is our layout, not Spark's, so on the default line only.
@pytest.mark.default_line_only
def test_rerun_replaces_only_its_dt(spark, tmp_path):
    lake = tmp_path / "lake"
    raw = tmp_path / "raw"
    full = write_gz(raw / "full.json.gz", [event(page=f"P{i}") for i in range(6)])
    small = write_gz(raw / "small.json.gz", [event(page="Only"), "garbage"])
    other = write_gz(raw / "other.json.gz", [event(page="Other", time="2015-09-13T00:00:00Z")])

    def run(dt, path):
        return edits.JOB.run(
            spark, edits.JOB.parse_args(["--date", dt, "--input", str(path), "--output-root", str(lake)])
        )

    run("2015-09-13", other)
    other_files = {p: p.read_bytes() for p in lake.rglob("*dt=2015-09-13*/*") if p.is_file()}
    run(EDITS_DT, full)
    first = run(EDITS_DT, full)
    assert first["rows_written"]["edits"] == 6
    second = run(EDITS_DT, small)
    assert second["rows_written"] == {"edits": 1, "edits_filtered": 1, "edits_by_channel": 1}
    assert [r["page"] for r in table(spark, lake, "edits").collect()] == ["Only"]
    assert spark.read.json(run_rejected_dir(lake, "edits", EDITS_DT)).count() == 1
    saved = json.loads(run_manifest(lake, "edits", EDITS_DT).read_text())
    assert saved["input_records"] == 2
    assert {p: p.read_bytes() for p in lake.rglob("*dt=2015-09-13*/*") if p.is_file()} == other_files
    assert table(spark, lake, "edits", "2015-09-13").count() == 1


def test_country_option_selects_another_country(spark, tmp_path):
    raw = write_gz(
        tmp_path / "e.json.gz",
        [event(), event(countryName="France", page="Paris"), event(countryName="France", page="Bot", isRobot=True)],
    )
    manifest = edits.JOB.run(
        spark,
        edits.JOB.parse_args(
            ["--date", EDITS_DT, "--input", str(raw), "--output-root", str(tmp_path / "lake"), "--country", "France"]
        ),
    )
    assert manifest["rows_written"]["edits_filtered"] == 1
    assert table(spark, tmp_path / "lake", "edits_filtered").collect()[0]["page"] == "Paris"


def test_missing_input_is_refused_before_writing(spark, tmp_path):
    args = edits.JOB.parse_args(
        ["--date", EDITS_DT, "--input", str(tmp_path / "nothing*.json"), "--output-root", str(tmp_path / "lake")]
    )
    with pytest.raises(JobError, match="no input files match"):
        edits.JOB.run(spark, args)
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--date", "2015-02-30", "--input", "x", "--output-root", "y"], "bad date"),
        (["--input", "x", "--output-root", "y"], "--date"),
    ],
)
def test_bad_arguments_are_one_line_job_errors(argv, message):
    with pytest.raises(JobError, match=message):
        edits.JOB.parse_args(argv)
