"""The pageviews job on generated hours plus hand-written tricky lines, against plain Python."""

from __future__ import annotations

import json

import duckdb
import pytest
from pyspark.sql import functions as F
from spark_helpers import PAGEVIEWS_DT, pageviews_input, run_manifest, run_rejected_dir, run_table_dir, write_gz
from spark_reference import pageview_reason, pageviews_reference, read_lines

from spark_jobs import outputs, pageviews
from wikilake_core.errors import JobError

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def reference(pageviews_run):
    return pageviews_reference({int(p.name[19:21]): read_lines(p) for p in pageviews_run.inputs})


def table(spark, lake, name, dt=PAGEVIEWS_DT):
    return spark.read.parquet(run_table_dir(lake, name, dt))


def test_daily_rows_equal_reference_per_page(spark, pageviews_run, reference):
    rows = {
        (r["domain_code"], r["page_title"]): (r["project"], r["access_site"], r["views"], r["hours_seen"])
        for r in table(spark, pageviews_run.lake, "pageviews_daily").collect()
    }
    assert rows == reference["daily"]
    # the tricky titles are kept byte for byte, each its own page
    assert ("en", "-") in rows
    assert rows[("ja", "東京")][2] == 20 and rows[("ja", "%E6%9D%B1%E4%BA%AC")][2] == 8
    assert rows[("commons.m.m", "File:Cat.jpg")][:2] == ("commons.wikimedia", "mobile")
    assert rows[("m.wd", "Q42")][:2] == ("www.wikidata", "mobile")
    assert rows[("en.m", "Main_Page")][3] == 5  # generated hours 0-2 and 23, plus hour 3


def test_hourly_totals_equal_reference_per_project_access_and_hour(spark, pageviews_run, reference):
    rows = {
        (r["hour"], r["project"], r["access_site"]): (r["views"], r["pages"])
        for r in table(spark, pageviews_run.lake, "projectviews_hourly").collect()
    }
    assert rows == reference["hourly"]
    assert {hour for hour, _, _ in rows} == {0, 1, 2, 3, 23}


def test_rejections_and_manifest(spark, pageviews_run, reference):
    manifest = pageviews_run.manifest
    reasons = reference["reasons"]
    assert manifest["input_records"] == sum(reasons.values())
    assert manifest["valid_records"] == reasons[None]
    assert manifest["rejected_by_reason"] == {r: n for r, n in reasons.items() if r}
    assert manifest["input_records"] == manifest["valid_records"] + manifest["rejected_records"]
    assert set(manifest["rejected_by_reason"]) == {"wrong field count", "empty domain code", "bad count_views"}
    assert manifest["hours"] == [0, 1, 2, 3, 23] and len(manifest["hours_missing"]) == 19
    assert manifest["unknown_domain_codes"] == {"EN": 1, "en.wd": 1, "www": 1, "xx.yy.zz": 1}
    assert manifest["unknown_domain_code_lines"] == 4
    assert manifest["rows_written"] == {
        "pageviews_daily": len(reference["daily"]),
        "projectviews_hourly": len(reference["hourly"]),
    }
    rejected = spark.read.json(run_rejected_dir(pageviews_run.lake, "pageviews", PAGEVIEWS_DT)).collect()
    assert len(rejected) == manifest["rejected_records"]
    assert all(r["source_file"].endswith(".gz") and r["reason"] and r["line"] for r in rejected)
    assert "en  Double_space 12 0" in {r["line"] for r in rejected}
    saved = json.loads(run_manifest(pageviews_run.lake, "pageviews", PAGEVIEWS_DT).read_text())
    assert saved == manifest


def test_daily_files_are_sorted_for_row_group_skipping(pageviews_run):
    folder = run_table_dir(pageviews_run.lake, "pageviews_daily", PAGEVIEWS_DT)
    files = sorted(str(p) for p in pageviews_run.lake.glob("processed/pageviews_daily/dt=*/run=*/part-*.parquet"))
    assert len(files) == 1, folder
    rows = duckdb.sql(f"SELECT project, access_site, views FROM read_parquet('{files[0]}')").fetchall()
    assert rows == sorted(rows, key=lambda r: (r[0], r[1], -r[2]))


# Lines that probe every check at its edges; the separators are what Java's regex `$` and Spark's
# cast treated as line ends or skipped (a line holds them: the text reader splits at \n and \r only).
EDGE_LINES = [
    "en A 1 0",
    "de Zürich_日本_𝄞 7 0",  # the title is cut by byte offsets: 2-, 3- and 4-byte characters
    "en A 1 ",  # the fourth field may be empty
    "en  1 0",  # so may the title
    " A 1 0",
    "en A  0",
    "en A +1 0",
    "en A -1 0",
    "en A 1.0 0",
    "en A 1e3 0",
    "en A 123456789012345678 0",  # 18 digits
    "en A 1234567890123456789 0",  # 19
    "en A 5\u2028 0",
    "en A 5\u2029 0",
    "en A 5\x85 0",
    "en A \u0665 0",  # an Arabic-Indic digit is not a count
    "en A 1 0 ",
    "en A 1 0 x",
    "  1 0",
    "en\tA 1 0",
    "en A 1",
    "enA10",
]


def test_classify_agrees_with_the_reference_on_edge_lines(spark):
    # each line in a file of its own hour, so the hour tells the rows apart
    lines = spark.createDataFrame(
        [(line, f"/raw/pageviews-20240315-{hour:02d}0000.gz") for hour, line in enumerate(EDGE_LINES)],
        "value string, source_file string",
    )
    rows = {r["hour"]: r for r in pageviews.classify(lines).collect()}
    assert sorted(rows) == list(range(len(EDGE_LINES)))
    for hour, line in enumerate(EDGE_LINES):
        row, reason = rows[hour], pageview_reason(line)
        assert row["reason"] == reason, line
        if reason is None:
            code, title, views, _ = line.split(" ")
            assert (row["domain_code"], row["page_title"], row["views"], row["line"]) == (code, title, int(views), None)
        else:
            assert (row["line"], row["domain_code"], row["views"]) == (line, None, None)


def test_hour_is_the_file_names_with_or_without_gz(spark):
    lines = spark.createDataFrame(
        [
            ("en A 1 0", "file:///raw/pageviews-20240315-070000"),
            ("en B 1 0", "s3://lake/raw/pageviews/dt=2024-03-15/pageviews-20240315-230000.gz"),
            ("en C 1 0", "file:///raw/pageviews-20240315-000000.gz"),
        ],
        "value string, source_file string",
    )
    rows = sorted((r["page_title"], r["hour"]) for r in pageviews.classify(lines).collect())
    assert rows == [("A", 7), ("B", 23), ("C", 0)]


def test_file_of_another_date_stops_the_job_before_writing(spark, tmp_path):
    raw = tmp_path / "raw"
    pageviews_input(raw)
    write_gz(raw / "pageviews-20240316-000000.gz", ["en Main_Page 1 0"])
    args = pageviews.JOB.parse_args(
        ["--date", PAGEVIEWS_DT, "--input", str(raw), "--output-root", str(tmp_path / "lake")]
    )
    with pytest.raises(
        JobError,
        match=r"pageviews-20240316-000000.gz is for 20240316, "
        r"not --date 2024-03-15; nothing was written",
    ):
        pageviews.JOB.run(spark, args)
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize("name", ["pageviews-20240315-240000.gz", "projectviews-20240315-000000", "md5sums.txt"])
def test_file_that_is_not_an_hourly_dump_is_refused(spark, tmp_path, name):
    write_gz(tmp_path / "raw" / name, ["en Main_Page 1 0"])
    args = pageviews.JOB.parse_args(
        ["--date", PAGEVIEWS_DT, "--input", str(tmp_path / "raw"), "--output-root", str(tmp_path / "lake")]
    )
    with pytest.raises(JobError, match="is not an hourly dump"):
        pageviews.JOB.run(spark, args)


# A rerun writes a run folder of its own (run=<run_id>, spark_jobs/job.py), never an earlier run's:
# what this checks is our layout, not Spark's, so on the default line only.
@pytest.mark.default_line_only
def test_rerun_replaces_only_its_dt(spark, tmp_path):
    lake = tmp_path / "lake"

    def run(dt, lines_by_hour):
        raw = tmp_path / f"raw-{dt}-{len(lines_by_hour)}"
        for hour, lines in lines_by_hour.items():
            write_gz(raw / f"pageviews-{dt.replace('-', '')}-{hour:02d}0000.gz", lines)
        return pageviews.JOB.run(
            spark, pageviews.JOB.parse_args(["--date", dt, "--input", str(raw), "--output-root", str(lake)])
        )

    run("2024-03-14", {5: ["de Hund 3 0"]})
    before = {p: p.read_bytes() for p in lake.rglob("*") if p.is_file() and "2024-03-14" in str(p)}
    run(PAGEVIEWS_DT, {0: ["en A 1 0", "en B 2 0"], 1: ["en A 3 0", "bad"]})
    second = run(PAGEVIEWS_DT, {7: ["fr C 5 0"]})
    assert second["rows_written"] == {"pageviews_daily": 1, "projectviews_hourly": 1}
    daily = table(spark, lake, "pageviews_daily").collect()
    assert [(r["page_title"], r["views"], r["hours_seen"]) for r in daily] == [("C", 5, 1)]
    assert spark.read.json(run_rejected_dir(lake, "pageviews", PAGEVIEWS_DT)).count() == 0
    after = {p: p.read_bytes() for p in lake.rglob("*") if p.is_file() and "2024-03-14" in str(p)}
    assert after == before and len(before) >= 3


def test_big_days_are_range_partitioned_by_project_across_files(spark, tmp_path, monkeypatch, pageviews_run, reference):
    monkeypatch.setattr(pageviews, "SLICE_BYTES", 4_000)  # a few slices (files) for a tiny day
    lake = tmp_path / "lake"
    pageviews.JOB.run(
        spark,
        pageviews.JOB.parse_args(
            ["--date", PAGEVIEWS_DT, "--input", *map(str, pageviews_run.inputs), "--output-root", str(lake)]
        ),
    )
    files = sorted(lake.glob("processed/pageviews_daily/dt=*/run=*/part-*.parquet"))
    # one file per slice: each slice went to a partition of its own
    assert len(files) == outputs.files_for(sum(p.stat().st_size for p in pageviews_run.inputs), 4_000) > 2
    ranges = []
    for path in files:
        rows = duckdb.sql(
            f"SELECT project, access_site, views, domain_code, page_title FROM read_parquet('{path}')"
        ).fetchall()
        assert rows == sorted(rows, key=lambda r: (r[0], r[1], -r[2], r[3], r[4]))
        ranges.append(((rows[0][0], rows[0][1]), (rows[-1][0], rows[-1][1])))
    # each file is a slice of (project, access_site): min/max statistics let readers skip files
    assert all(prev[1] <= nxt[0] for prev, nxt in zip(ranges, ranges[1:]))
    daily = {(r["domain_code"], r["page_title"]): r["views"] for r in table(spark, lake, "pageviews_daily").collect()}
    assert daily == {key: value[2] for key, value in reference["daily"].items()}


def test_every_slice_count_finds_a_partition_key_for_each_slice(spark):
    """Slice counts across outputs.files_for's range (1-200): a key for every slice, whose hash puts
    its rows in that slice's partition when a frame is hash-partitioned into that many."""
    for slices in (1, 2, 3, 16, 80, 199, 200):
        keys = pageviews.partition_keys(spark.range(pageviews.KEY_CANDIDATES_PER_SLICE * slices), slices)
        placed = keys.repartition(slices, "key").select("slice", F.spark_partition_id().alias("partition"))
        assert sorted((r["slice"], r["partition"]) for r in placed.collect()) == [(s, s) for s in range(slices)]
