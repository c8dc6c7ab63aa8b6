"""The quality checks against hand-built manifests: no history yet, fewer than N dts, the band's
edges, a missing dt in the middle, later and failed days left out of the baseline."""

import pytest

from wikilake_core import datasets, quality, run_history
from wikilake_core.errors import WikilakeError

BAND = quality.HistoryBand("rows_t", quality.FAIL, quality.rows("t"), low=0.5, high=1.5, history=3, min_history=2)


def manifest(dt: str, rows: int | None = None, **fields) -> dict:
    return {"dataset": "pageviews", "dt": dt, "rows_written": {} if rows is None else {"t": rows}, **fields}


def evaluate(check, run: dict, history: list[dict]) -> quality.Result:
    (result,) = quality.evaluate([check], run, history)
    return result


def test_no_history_yet_skips_the_band_and_says_why():
    result = evaluate(BAND, manifest("2024-03-15", 100), [])
    assert result.status == quality.SKIPPED
    assert result.detail == "0 previous dt(s) with a value, 2 needed for a baseline"
    assert (result.value, result.low, result.high) == (100, None, None)


def test_fixed_limits_need_no_history():
    check = quality.Limits("rejected_share", quality.WARN, quality.rejected_share, high=0.01)
    run = manifest("2024-03-15", input_records=1000, rejected_records=11)
    result = evaluate(check, run, [])
    assert (result.value, result.high, result.status, result.expected) == (0.011, 0.01, "warn", "<= 0.01")
    assert evaluate(check, {**run, "rejected_records": 10}, []).status == quality.PASS


def test_fewer_than_min_history_dts_skip_and_fewer_than_n_use_what_exists():
    one = [manifest("2024-03-14", 100)]
    assert evaluate(BAND, manifest("2024-03-15", 10), one).status == quality.SKIPPED
    two = [manifest("2024-03-13", 100), manifest("2024-03-14", 300)]  # median 200 of 2 < N=3
    result = evaluate(BAND, manifest("2024-03-15", 99), two)
    assert (result.low, result.high, result.status) == (100, 300, quality.FAIL)
    assert result.detail == "median 200 of the previous 2 dt(s)"


def test_band_edges_are_inside():
    history = [manifest(f"2024-03-1{d}", rows) for d, rows in ((2, 90), (3, 100), (4, 400))]  # median 100
    for rows, status in ((50, "pass"), (150, "pass"), (49, "fail"), (151, "fail")):
        result = evaluate(BAND, manifest("2024-03-15", rows), history)
        assert (result.low, result.high, result.status) == (50, 150, status), rows
    assert evaluate(BAND, manifest("2024-03-15", 49), history).expected == "[50, 150]"


def test_the_window_is_the_last_n_dts_that_exist_a_gap_is_skipped_not_counted():
    # 03-12 is missing: the 3 previous dts of 03-15 that exist are 03-11, 03-13, 03-14.
    history = [
        manifest("2024-03-10", 1000),
        manifest("2024-03-11", 10),
        manifest("2024-03-13", 20),
        manifest("2024-03-14", 30),
    ]
    result = evaluate(BAND, manifest("2024-03-15", 20), history)
    assert (result.low, result.high) == (10, 30)  # median 20 of (10, 20, 30); 1000 is out of the window


def test_later_days_failed_days_and_unmeasured_days_are_no_baseline():
    history = [
        manifest("2024-03-11", 100),
        manifest("2024-03-12", 100),
        manifest("2024-03-13", 5, status=run_history.QUALITY_FAILED),  # its data stays, but no baseline
        manifest("2024-03-14"),  # wrote no t: nothing to compare
        manifest("2024-03-16", 1_000_000),  # a later day (this run is a backfill)
    ]
    result = evaluate(BAND, manifest("2024-03-15", 100), history)
    assert (result.low, result.high, result.detail) == (50, 150, "median 100 of the previous 2 dt(s)")


def test_not_fewer_than_usual_has_no_upper_bound():
    check = quality.HistoryBand("distinct", quality.WARN, quality.field("distinct"), low=1.0, high=None)
    history = [manifest(f"2024-03-1{d}", distinct=n) for d, n in ((2, 40), (3, 42), (4, 41))]
    assert evaluate(check, manifest("2024-03-15", distinct=41), history).status == quality.PASS
    assert evaluate(check, manifest("2024-03-15", distinct=500), history).status == quality.PASS
    low = evaluate(check, manifest("2024-03-15", distinct=40), history)
    assert (low.status, low.expected) == (quality.WARN, ">= 41")


def test_a_run_that_did_not_measure_a_value_skips_its_check():
    result = evaluate(quality.Limits("hours", quality.WARN, quality.hours_present, low=24), manifest("d"), [])
    assert (result.status, result.detail) == (quality.SKIPPED, "not measured by this run")


def test_measures():
    run = {
        "rows_written": {"articles": 200, "article_links": 3000},
        "input_files": [
            {"path": "s3://b/raw/articles/dt=2016-05-01/enwiki-20160501-pages-articles1.xml-p1p9.bz2"},
            {"path": "s3://b/raw/articles/dt=2016-05-01/enwiki-20160501-pages-articles2.xml-p10p99.bz2"},
            {"path": "/lake/raw/articles/dt=2016-05-01/dewiki-20160501-pages-articles.xml.bz2"},
        ],
        "hours": list(range(20)),
    }
    assert quality.rows_per_row("article_links", "articles")(run) == 15
    assert quality.distinct_input_names(datasets.ARTICLES_FILE)(run) == 2
    assert quality.hours_present(run) == 20
    assert quality.rows_per_row("article_links", "articles")({"rows_written": {"articles": 0}}) is None


def test_outcome_and_messages():
    history = [manifest(f"2024-03-1{d}", 100, input_records=100, rejected_records=0) for d in (2, 3, 4)]
    checks = [BAND, quality.Limits("rejected_share", quality.WARN, quality.rejected_share, high=0.01)]
    run = manifest("2024-03-15", 30, input_records=100, rejected_records=5)
    recorded, results = run_history.check_run(run, history, checks)
    assert [r.status for r in results] == ["fail", "warn"]
    assert recorded["status"] == run_history.QUALITY_FAILED and recorded["quality_status"] == "fail"
    assert run_history.failure_message(recorded) == (
        "pageviews dt=2024-03-15: quality checks failed: rows_t 30 not in [50, 150] "
        "(median 100 of the previous 3 dt(s)) (the data is kept)"
    )
    assert (
        run_history.warning_message(recorded)
        == "pageviews dt=2024-03-15: quality warning: rejected_share 0.05 not in <= 0.01"
    )
    passing, _ = run_history.check_run({**run, "rows_written": {"t": 100}, "status": "SUCCEEDED"}, history, checks[:1])
    assert (passing["status"], passing["quality_status"]) == ("SUCCEEDED", "pass")


def test_read_history_loads_newest_first_only_what_is_needed_and_skips_failed_days():
    days = {
        "2024-03-10": manifest("2024-03-10", 1),
        "2024-03-12": manifest("2024-03-12", 1),
        "2024-03-13": manifest("2024-03-13", 1, status=run_history.QUALITY_FAILED),
        "2024-03-14": manifest("2024-03-14", 1),
        "2024-03-16": manifest("2024-03-16", 1),
    }
    loaded = []

    def load(dt):
        loaded.append(dt)
        return days[dt]

    found = run_history.read_history(days, "2024-03-15", 2, load)
    assert [m["dt"] for m in found] == ["2024-03-14", "2024-03-12"]
    assert loaded == ["2024-03-14", "2024-03-13", "2024-03-12"]


def test_manifest_dt_reads_only_a_days_manifest():
    assert run_history.manifest_dt("manifests/pageviews/dt=2024-03-15/manifest.json") == "2024-03-15"
    assert run_history.manifest_dt("/lake/manifests/pageviews/dt=2024-03-15/manifest.json") == "2024-03-15"
    assert run_history.manifest_dt("manifests/pageviews/dt=2024-03-15/run=abc/manifest.json") is None
    assert run_history.manifest_dt("manifests/pageviews/dt=2024-03-15/.writer.lock") is None


def test_one_line_json():
    assert run_history.encode({"a": {"b": [1, 2]}, "t": "ü"}) == '{"a":{"b":[1,2]},"t":"ü"}\n'


def test_a_check_has_a_known_severity_and_every_dataset_declares_checks():
    with pytest.raises(WikilakeError, match="severity 'error'"):
        quality.Limits("x", "error", quality.rejected_share)
    for dataset in datasets.REGISTRY.values():
        names = [c.name for c in dataset.checks]
        assert names and len(names) == len(set(names)), dataset.name
