"""Where a Spark run's seconds go (the event log read by bench/stages.py), the articles
engines (read floor, lbzip2) and issue 19's targets, on hand-made event logs and summary rows (a
tiny bench run end to end, articles included, is test_bench_harness's)."""

from __future__ import annotations

import dataclasses
import json
import shutil

from bench import stages, summary, targets
from bench.engines import engines
from bench.inputs import ArticlesRecipe, SampleRecipe, materialize, recipes_for
from wikilake_core import datasets


def _event_log(path, events):
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_spark_jobs_are_read_from_the_event_log_in_order(tmp_path):
    log = _event_log(
        tmp_path / "local-1",
        [
            {"Event": "SparkListenerApplicationStart", "Timestamp": 1_000},
            {
                "Event": "SparkListenerJobStart",
                "Job ID": 0,
                "Submission Time": 3_000,
                "Stage IDs": [0],
                "Properties": {"callSite.short": "collect at extract.py:68"},
            },
            {
                "Event": "SparkListenerStageCompleted",
                "Stage Info": {
                    "Stage ID": 0,
                    "Stage Name": "collect",
                    "Number of Tasks": 2,
                    "Submission Time": 3_100,
                    "Completion Time": 7_100,
                },
            },
            {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 7_500},
            # A job whose first stage was skipped (its shuffle output reused): only stage 2 ran.
            {
                "Event": "SparkListenerJobStart",
                "Job ID": 1,
                "Submission Time": 9_000,
                "Stage IDs": [1, 2],
                "Properties": {},
            },
            {
                "Event": "SparkListenerStageCompleted",
                "Stage Info": {
                    "Stage ID": 2,
                    "Stage Name": "parquet at x",
                    "Number of Tasks": 1,
                    "Submission Time": 9_000,
                    "Completion Time": 9_500,
                },
            },
            {"Event": "SparkListenerJobEnd", "Job ID": 1, "Completion Time": 9_600},
        ],
    )
    jobs = stages.spark_jobs(log)
    assert [(j["job"], j["what"], j["start_s"], j["seconds"], j["tasks"]) for j in jobs] == [
        (0, "collect at extract.py:68", 2.0, 4.5, 2),
        (1, "parquet at x", 8.0, 0.6, 1),
    ]
    assert jobs[0]["stages"] == [{"stage": 0, "name": "collect", "seconds": 4.0, "tasks": 2}]
    assert stages.summary(jobs) == {"spark_jobs": 2, "seconds_in_spark_jobs": 5.1}


def test_a_folder_without_an_event_log_has_no_jobs(tmp_path):
    assert stages.read_event_logs(tmp_path) == []


def test_the_sample_input_is_the_shipped_file_at_one_size(tmp_path):
    sample = SampleRecipe("articles")
    data = materialize(sample, tmp_path)
    assert data.name == "articles-sample" and data.records == 206 and sample.scaled(4) is sample
    assert data.files[0].read_bytes() == datasets.get("articles").sample.read_bytes()
    found = recipes_for(["articles"], articles_copies=3)
    assert [r.name for r in found] == ["articles-sample", "articles-3x-sample"] and found[1].copies == 3


def test_the_floor_and_lbzip2_run_only_where_they_mean_something(tmp_path):
    articles = materialize(ArticlesRecipe(copies=1), tmp_path)
    by_name = {e.name: e for e in engines()}
    assert by_name["floor"].applies(articles) and by_name["spark"].applies(articles)
    argv = by_name["floor"].argv(articles, tmp_path / "out")
    assert argv[-3].endswith("read_floor.py") and argv[-2:] == ["--input", articles.glob]
    assert f"spark.eventLog.dir={(tmp_path / 'out' / 'eventlog').as_uri()}" in argv
    if shutil.which("lbzip2"):
        assert by_name["lbzip2"].applies(articles)
    else:
        assert "lbzip2" not in by_name


def _row(name, engine, best, in_job=None, **ratios):
    return summary.SummaryRow(
        job="articles",
        engine=engine,
        engine_label=engine,
        input=name,
        scale=1,
        input_files=1,
        input_gz_bytes=1,
        rows=1,
        repetitions=1,
        wall_median_s=best,
        wall_all_s=[best],
        rows_per_s=1.0,
        ratio_to_duckdb=None,
        ratio_to_zcat=ratios.get("zcat"),
        peak_rss_bytes=1,
        in_job_median_s=in_job,
        rows_written={},
        wall_best_s=best,
        in_job_best_s=in_job,
        ratio_to_floor=ratios.get("floor"),
        ratio_to_lbzip2=ratios.get("lbzip2"),
    )


def test_articles_targets_fixed_cost_and_read_floor():
    rows = [
        _row("articles-sample", "spark", 30.0, in_job=14.0),
        _row("articles-1gb", "spark", 100.0, floor=2.5, zcat=10.0, lbzip2=20.0),
        _row("articles-1gb", "floor", 40.0),
        _row("articles-1gb", "zcat", 10.0),
    ]
    found = {t.name: t for t in targets.targets(rows, [], None)}
    fixed = found["articles-sample: job time without JVM start-up (s, best run)"]
    assert (fixed.measured, fixed.limit, fixed.met) == (14.0, 15.0, True)
    floor = found["articles-1gb 1x: job / its read floor"]
    assert (floor.measured, floor.limit, floor.met) == (2.5, 2.0, False)
    assert found["articles-1gb 1x: read floor / bzcat (reported)"].measured == 4.0
    assert found["articles-1gb 1x: job / lbzip2 -d (reported)"].limit is None


def test_memory_targets_compare_4x_with_1x_by_rss_and_by_heap_after_gc():
    def sized(scale, rss, heap):
        return dataclasses.replace(
            _row("articles-40x-sample", "spark", 10.0 * scale),
            scale=scale,
            peak_rss_bytes=rss,
            peak_heap_after_gc_bytes=heap,
        )

    found = {t.name: t for t in targets.targets([sized(1, 1000, 400), sized(4, 1500, 440)], [], None)}
    rss = found["articles-40x-sample 4x vs 1x: JVM peak RSS ratio"]
    assert (rss.measured, rss.met) == (1.5, False)
    heap = found["articles-40x-sample 4x vs 1x: JVM heap after GC ratio"]
    assert (round(heap.measured, 6), heap.limit, heap.met) == (1.1, 1.3, True)
    # results without a GC log (older runs, or no collection at one size) have no heap target
    found = {t.name for t in targets.targets([sized(1, 1000, None), sized(4, 1500, 440)], [], None)}
    assert "articles-40x-sample 4x vs 1x: JVM heap after GC ratio" not in found
