"""`wikilake bench` end to end on tiny inputs (one run each): the real spark-submit, DuckDB peer,
zcat and the articles' read floor, the table, the JSON, where the job's seconds go, and row counts
checked against a plain-Python reference.

One bench run of a pageviews day and an articles dump serves every test here: each spark-submit
is a JVM of its own (its start-up alone is most of a tiny input's time). The edits job takes the
same path through the harness; its peer's tables are checked in test_bench_peer, its job's in
tests/spark."""

from __future__ import annotations

import bz2
import gzip
import io
import json
from xml.etree import ElementTree

import pytest
from rich.console import Console

from bench import jobs_source
from bench.harness import Bench, BenchConfig, BenchError
from bench.inputs import ArticlesRecipe, PageviewsRecipe
from bench.summary import RunRecord
from tests.own_jvm import QUICK_START_SPARK_CONF

# Malformed lines at a high rate so the job's and the peer's rejection rules are both exercised.
TINY_DAY = PageviewsRecipe(lines_per_hour=400, malformed_rate=0.01)
TINY_DUMP = ArticlesRecipe(copies=1)
ENGINES = {"pageviews-day": {"spark", "duckdb", "zcat"}, "articles-1gb": {"spark", "duckdb", "zcat", "floor"}}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    config = BenchConfig(
        recipes=(TINY_DAY, TINY_DUMP),
        scales=(1,),
        repetitions={1: 1},
        cache_root=root / "cache",
        results_dir=root / "results",
        spark_conf=QUICK_START_SPARK_CONF,
    )
    output = io.StringIO()
    bench = Bench(config, console=Console(file=output, width=220))
    document, path = bench.run()
    return bench, document, path, output.getvalue()


def valid_pageview_keys(paths) -> set[tuple[str, str]]:
    """Plain-Python reading of the dataset spec's line rules: the distinct daily pages."""
    keys = set()
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                fields = line.rstrip("\n").split(" ")
                if len(fields) == 4 and fields[0] and fields[2].isdigit():
                    keys.add((fields[0], fields[1]))
    return keys


def dump_pages(paths) -> int:
    """Plain-Python count of the dumps' <page> elements (xml.etree; the sample's pages are all valid)."""
    pages = 0
    for path in paths:
        with bz2.open(path) as xml:
            for _, element in ElementTree.iterparse(xml):
                if element.tag.rsplit("}", 1)[-1] == "page":
                    pages += 1
                    element.clear()
    return pages


def test_every_engine_ran_on_every_input(bench_run):
    _, document, _, _ = bench_run
    engines = {name: {row["engine"] for row in document["table"] if row["input"] == name} for name in ENGINES}
    assert engines["pageviews-day"] == ENGINES["pageviews-day"]
    # lbzip2 runs beside the articles' engines where it is installed
    assert engines["articles-1gb"] - {"lbzip2"} == ENGINES["articles-1gb"]
    for row in document["table"]:
        assert row["repetitions"] == 1 and row["wall_median_s"] > 0 and row["rows_per_s"] > 0
        assert row["ratio_to_duckdb"] > 0 and row["ratio_to_zcat"] > 0


def test_spark_memory_is_the_jvms(bench_run):
    _, document, _, _ = bench_run
    spark_runs = [run for run in document["runs"] if run["engine"] == "spark"]
    assert spark_runs and all(run["peak_rss_process"] == "java" for run in spark_runs)
    # a JVM running Spark is far larger than the 10-30 MB a bare Python driver needs
    assert all(run["peak_rss_bytes"] > 100e6 for run in spark_runs)
    # Spark's start-up alone needs collections; what they leave is heap the JVM has touched
    assert all(0 < run["peak_heap_after_gc_bytes"] < run["peak_rss_bytes"] for run in spark_runs)


def test_job_and_peer_write_the_rows_the_reference_expects(bench_run):
    bench, document, _, _ = bench_run
    runs = {(r["input"], r["engine"]): r["rows_written"] for r in document["runs"]}
    for name in ENGINES:
        assert runs[(name, "spark")] == runs[(name, "duckdb")]
    assert runs[("articles-1gb", "spark")]["articles"] == dump_pages(bench.inputs[("articles-1gb", 1)].files)
    day = bench.inputs[("pageviews-day", 1)]
    assert runs[("pageviews-day", "spark")]["pageviews_daily"] == len(valid_pageview_keys(day.files))


def test_the_results_are_printed_and_written(bench_run):
    _, document, path, printed = bench_run
    assert path.name == f"{document['date']}.json"
    on_disk = json.loads(path.read_text())
    assert set(on_disk) >= {
        "machine",
        "load_average_1min",
        "settings",
        "inputs",
        "table",
        "scaling",
        "scan_efficiency",
        "targets",
        "sizing",
        "runs",
    }
    assert set(on_disk["machine"]) >= {"cores", "memory_bytes", "cpu_model", "versions"}
    assert set(on_disk["machine"]["versions"]) >= {"pyspark", "duckdb", "java", "python"}
    assert set(on_disk["table"][0]) >= {
        "job",
        "engine",
        "input",
        "scale",
        "rows",
        "wall_median_s",
        "rows_per_s",
        "ratio_to_duckdb",
        "ratio_to_zcat",
        "peak_rss_bytes",
    }
    scan = on_disk["scan_efficiency"]
    assert scan["storage_ratio"] > 0 and 0 < scan["scan_share"] <= 1
    assert scan["value_row_share"] < 0.05
    # A real day's estimate of each dataset the bench timed.
    assert set(on_disk["sizing"]) == {"pageviews", "articles"}
    for estimate in on_disk["sizing"].values():
        assert estimate["rate_per_vcpu_s"] > 0 and len(estimate["options"]) >= 1
        assert estimate["serverless"]["usd"] > 0
    for heading in (
        "vs DuckDB",
        "vs zcat",
        "peak RSS",
        "targets",
        "Athena scan efficiency",
        "EMR on EC2",
        "EMR Serverless",
    ):
        assert heading in printed
    picture = path.with_suffix(".png")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 10_000


def test_disagreeing_row_counts_stop_the_bench(tmp_path):
    bench = Bench(BenchConfig(cache_root=tmp_path), console=Console(file=io.StringIO()))
    day = type("Input", (), {"name": "pageviews-day", "scale": 1, "label": "pageviews-day 1x"})
    for engine, rows in (("spark", 10), ("duckdb", 11)):
        bench.runs.append(RunRecord("pageviews-day", 1, engine, 1, 1.0, 1, "x", 1, 0.0, 0.0, {"pageviews_daily": rows}))
    with pytest.raises(BenchError, match="row counts differ"):
        bench._check_same_rows(day)


def test_a_failing_job_is_reported_and_the_rest_still_runs(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "pageviews.py").write_text(
        "import sys\nprint('error: pageviews dt=2024-03-15 failed: out of luck', file=sys.stderr)\nsys.exit(2)\n"
    )
    config = BenchConfig(
        recipes=(PageviewsRecipe(lines_per_hour=50, hours=(0, 1)),),
        scales=(1,),
        repetitions={1: 1},
        cache_root=tmp_path / "cache",
        results_dir=tmp_path / "results",
        jobs=jobs_source.custom(jobs),
    )
    bench = Bench(config, console=Console(file=io.StringIO(), width=220))
    document, _ = bench.run()

    rows = {row["engine"]: row for row in document["table"]}
    assert rows["spark"]["wall_median_s"] is None
    assert rows["spark"]["errors"] == [
        f"exit 2: error: pageviews dt=2024-03-15 failed: out of luck "
        f"(log: {tmp_path}/cache/runs/pageviews-day-1x/spark.log)"
    ]
    assert rows["duckdb"]["wall_median_s"] > 0 and rows["duckdb"]["errors"] == []
    headline = next(t for t in document["targets"] if t["name"].startswith("pageviews-day 1x"))
    assert headline["met"] is False
    assert len(bench.failed_runs) == 1


def test_the_articles_floor_and_the_jobs_stages_are_timed(bench_run):
    _, document, _, printed = bench_run
    rows = {row["engine"]: row for row in document["table"] if row["input"] == "articles-1gb"}
    assert rows["spark"]["ratio_to_floor"] > 0 and rows["spark"]["wall_best_s"] > 0
    # The JVM and the Python driver it starts: their CPU seconds are counted with the run's.
    assert rows["spark"]["cpu_best_s"] > 0 and rows["floor"]["cpu_best_s"] > 0
    spark_run = next(r for r in document["runs"] if r["engine"] == "spark" and r["input"] == "articles-1gb")
    # The job's Spark jobs: at least the parse (counting by reason) and one write per table.
    assert len(spark_run["spark_jobs"]) >= 4 and all(j["seconds"] >= 0 for j in spark_run["spark_jobs"])
    assert "where the seconds go: articles-1gb 1x" in printed
    target = next(t for t in document["targets"] if t["name"] == "articles-1gb 1x: job / its read floor")
    assert target["measured"] > 0
