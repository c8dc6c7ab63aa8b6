"""The dataset registry and the date rules: what the jobs, stacks and CLI all read."""

import re

import pytest

from wikilake_core import datasets, runs
from wikilake_core.dates import compact, date_range, parse_date
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import DDL_DIR, SPARK_JOBS_DIR


@pytest.mark.parametrize("dataset", datasets.DATASETS)
def test_every_dataset_has_its_job_module_ddl_and_sample(dataset):
    entry = datasets.get(dataset)
    assert (SPARK_JOBS_DIR / f"{dataset}.py").is_file()
    assert all((DDL_DIR / "tables" / f"{table}.sql").is_file() for table in entry.tables)
    assert entry.sample.exists() and parse_date(entry.sample_dt) == entry.sample_dt


def test_tables_belong_to_exactly_one_dataset():
    assert len(datasets.TABLES) == len(set(datasets.TABLES))
    assert {datasets.of_table(t).name for t in datasets.get("pageviews").tables} == {"pageviews"}
    with pytest.raises(WikilakeError, match=r"^unknown table 'nope': choose one of edits, "):
        datasets.of_table("nope")


def test_unknown_dataset_names_the_choices():
    with pytest.raises(WikilakeError) as err:
        datasets.get("clicks")
    assert str(err.value) == f"unknown dataset 'clicks': choose one of {', '.join(datasets.DATASETS)}"


def test_pageviews_site_maps_a_dt_to_its_hourly_files_and_month_folder():
    site = datasets.get("pageviews").site
    assert site.folder_url("2024-03-05") == "https://dumps.wikimedia.org/other/pageviews/2024/2024-03"
    assert site.folder_url("2024-03-05", mirror="http://m/pv/") == "http://m/pv/2024/2024-03"
    assert site.folder_url("2024-03-05", mirror="http://m/PVX") == "http://m/PVX/2024/2024-03"  # only / is cut
    assert site.file_names("2024-03-05", {"hours": (0, 9, 23)}) == [
        "pageviews-20240305-000000.gz",
        "pageviews-20240305-090000.gz",
        "pageviews-20240305-230000.gz",
    ]
    assert site.checksums_file("2024-03-05") == "md5sums.txt"
    pattern = re.compile(datasets.get("pageviews").raw_file_pattern)
    assert all(pattern.fullmatch(name) for name in site.file_names("2024-03-05", {"hours": range(24)}))


def test_job_and_ingest_options_and_their_defaults():
    assert [(o.flag, o.dest, o.default) for o in datasets.get("edits").job_options] == [
        ("--country", "country", "United States")
    ]
    assert datasets.get("pageviews").job_options == ()
    assert datasets.get("pageviews").ingest_defaults() == {"hours": tuple(range(24)), "mirror": None}
    assert datasets.get("articles").ingest_defaults() == {"wiki": ("enwiki",), "parts": False, "mirror": None}
    assert datasets.get("edits").ingest_defaults() == {"source": None, "md5": None}


@pytest.mark.parametrize("text", ["2024-02-30", "2024-3-5x", "15/09/2015", "", None])
def test_bad_dates_are_one_line_with_the_fix(text):
    with pytest.raises(WikilakeError) as err:
        parse_date(text)
    assert str(err.value) == f"bad date {text!r}: use YYYY-MM-DD, e.g. 2015-09-12"


def test_dates_normalise_compact_and_range():
    assert parse_date("2024-2-29") == "2024-02-29"
    assert compact("2024-02-29") == "20240229"
    assert date_range("2024-02-28", "2024-03-01") == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert date_range("2024-03-01", "2024-03-01") == ["2024-03-01"]
    with pytest.raises(WikilakeError, match=r"^bad range 2024-03-02\.\.2024-03-01: the last date is before the first$"):
        date_range("2024-03-02", "2024-03-01")


def test_execution_names_carry_dataset_and_dt():
    from datetime import datetime, timezone

    name = runs.execution_name("pageviews", "2024-03-15", datetime(2026, 11, 30, 14, 15, tzinfo=timezone.utc))
    assert name == "pageviews-2024-03-15-20261130T141500Z"
    assert runs.parse_execution_name(name) == ("pageviews", "2024-03-15")
    assert runs.parse_execution_name(name + "-backfill") == ("pageviews", "2024-03-15")
    assert runs.parse_execution_name("someone-elses-run") is None
    assert runs.execution_input("edits", "2015-09-12", job_options=("--country", "France")) == {
        "dataset": "edits",
        "dt": "2015-09-12",
        "job_options": ["--country", "France"],
        "allow_missing_hours": False,
    }


def test_stacks_and_jobs_import_the_core_not_the_cli_package():
    """The stacks and the jobs depend on wikilake_core only (the jobs ship it in their zip)."""
    import subprocess
    import sys

    probe = (
        "import sys, wikilake_settings.config, wikilake_core.release_labels, spark_jobs.arguments, "
        "spark_jobs.manifest, wikilake_core.submit, wikilake_core.runs, wikilake_core.cluster, "
        "stacks.processing_stack, stacks.pipeline, stacks.emr_cluster; "
        "print(sorted(m for m in sys.modules if m == 'wikilake' or m.startswith('wikilake.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_split_articles_dump_names_its_parts_by_a_pattern_of_that_day():
    """enwiki's dumps come in parts (pages-articles1.xml-p1p41242.bz2, ...): one pattern per wiki and day."""
    site = datasets.get("articles").site
    pattern = re.compile(site.parts_pattern("2016-05-01", wiki="enwiki"))
    assert pattern.fullmatch("enwiki-20160501-pages-articles1.xml-p1p41242.bz2")
    assert pattern.fullmatch("enwiki-20160501-pages-articles27.xml-p54663462p56163461.bz2")
    assert not pattern.fullmatch("enwiki-20160502-pages-articles1.xml-p1p41242.bz2")
    assert not pattern.fullmatch("dewiki-20160501-pages-articles1.xml-p1p41242.bz2")
    assert not pattern.fullmatch("enwiki-20160501-pages-articles.xml.bz2")
