import io
import os
import stat
from html.parser import HTMLParser

import local_reference as reference
import pytest
from rich.console import Console

from wikilake.cli import main
from wikilake.local import demo, demo_synth
from wikilake.local.demo_steps import Steps
from wikilake.query_params import bind
from wikilake_core.ddl import load_queries
from wikilake_core.errors import WikilakeError

QUERIES = load_queries()


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


# The whole demo (the session's `demo_run`): its jobs' output on every Spark line is what tests/spark
# holds, and each query's answer over the samples is test_named_queries_on_samples', so it runs on
# the default line only. That a second run gives the same answers rests on each job's rerun tests.
@pytest.mark.spark
@pytest.mark.default_line_only
def test_demo_end_to_end_answers_every_query_and_writes_the_report(demo_run, tmp_path, png_dimensions):
    answers, lake, printed = demo_run.answers, demo_run.lake, demo_run.printed
    assert sorted(a.query.name for a in answers) == sorted(QUERIES)
    for answer in answers:
        assert answer.result.rows, f"{answer.query.name} answered nothing in the demo"
        assert answer.query.name in printed
    assert "cdk synth skipped" in printed and "make deploy" in printed and "wikilake ingest" in printed

    index = lake / "report" / "index.html"
    images = _Images()
    images.feed(index.read_text(encoding="utf-8"))
    # cost_by_month gets no chart: local runs have no cost
    # ... and the Spark profile of one run (the one with the most task time)
    charted = [name for name in QUERIES if name not in HISTORY_QUERIES] + ["rows_trend", "rejects_per_dt", "profile"]
    assert sorted(images.sources) == sorted(f"charts/{name}.png" for name in charted)
    assert '<h2 id="runs-and-quality">Runs and quality</h2>' in index.read_text(encoding="utf-8")
    assert '<h2 id="spark-profile">Spark profile</h2>' in index.read_text(encoding="utf-8")
    for source in images.sources:
        width, height = png_dimensions(index.parent / source)
        assert width > 0 and height > 0
    assert "synthetic" in index.read_text(encoding="utf-8").lower()
    # issue 28's "done when": after the demo, the profile of its pageviews day, with a chart
    days = {d.dataset: d.dt for d in demo.sample_days()}
    chart = tmp_path / "profile.png"
    assert (
        main(
            ["profile", "pageviews", "--date", days["pageviews"], "--local", "--lake", str(lake), "--chart", str(chart)]
        )
        == 0
    )
    assert png_dimensions(chart)[0] > 0
    assert_the_anomaly_days_raise_exactly_their_checks({a.query.name: a.result for a in answers if a.history})


HISTORY_QUERIES = ("cost_by_month", "quality_failures", "rows_trend", "run_history")


def assert_the_anomaly_days_raise_exactly_their_checks(history: dict):
    """wikilake.local.demo_history: 03-17 has 5% malformed lines (rejected share over the 1% limit:
    warn), 03-18 a third of the usual lines in each hour (its pageviews_daily rows fall below half
    the median of 03-15..03-17: fail); nothing else fails (03-16 and 03-17 have too little history
    to compare rows with: skipped), and every day's data stays."""
    assert sorted(history) == sorted(HISTORY_QUERIES)
    failures = history["quality_failures"]
    assert [row[:3] + row[5:7] for row in failures.rows] == [
        ("pageviews", "2024-03-18", "rows_pageviews_daily", "fail", "fail"),
        ("pageviews", "2024-03-17", "rejected_share", "warn", "warn"),
    ]
    trend = {row[0]: row for row in history["rows_trend"].rows}
    assert sorted(trend) == ["2024-03-15", "2024-03-16", "2024-03-17", "2024-03-18"]
    usual = sorted(trend[dt][1] for dt in ("2024-03-15", "2024-03-16", "2024-03-17"))[1]
    assert 0.25 < trend["2024-03-18"][1] / usual < 0.4  # about a third
    assert 4 < trend["2024-03-17"][4] < 6 and all(trend[dt][4] < 1 for dt in trend if dt != "2024-03-17")
    statuses = {(row[0], row[1]): (row[2], row[3]) for row in history["run_history"].rows}
    assert statuses[("pageviews", "2024-03-18")] == ("QUALITY_FAILED", "fail")
    assert statuses[("pageviews", "2024-03-17")] == ("SUCCEEDED", "warn")
    assert statuses[("edits", "2015-09-12")] == ("SUCCEEDED", "pass")
    assert all(row[4] is None for row in history["cost_by_month"].rows)  # usd: local runs cost nothing known


def test_demo_parameters_come_from_the_sample_days_and_defaults():
    query = QUERIES["top_pages"]
    dts = {"pageviews": "2024-03-15"}
    assert demo.demo_params(query, dts) == ["dt=2024-03-15", "project=en.wikipedia"]
    assert set(bind(query, demo.demo_params(query, dts))) == {p.name for p in query.parameters}


def test_a_query_of_two_datasets_gets_each_datasets_dt():
    query = QUERIES["most_viewed_articles_content"]
    dts = {"pageviews": "2024-03-15", "articles": "2016-05-01"}
    assert demo.demo_params(query, dts) == ["pageviews_dt=2024-03-15", "project=en.wikipedia", "articles_dt=2016-05-01"]
    with pytest.raises(WikilakeError, match="must be named pageviews_dt, articles_dt"):
        demo.demo_params(QUERIES["top_pages"], dts)


def test_sample_days_are_found_and_labelled():
    days = {d.dataset: d for d in demo.sample_days()}
    assert days["edits"].dt == "2015-09-12" and not days["edits"].synthetic
    assert days["pageviews"].synthetic and days["pageviews"].inputs
    assert all(p.name.startswith("pageviews-") for p in days["pageviews"].inputs)


def test_missing_samples_are_a_clear_error(tmp_path):
    with pytest.raises(WikilakeError, match="edits sample .* is missing"):
        demo.sample_days(tmp_path)


def _fake_npx(folder, script):
    npx = folder / "npx"
    npx.write_text("#!/bin/sh\n" + script)
    npx.chmod(npx.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": str(folder)}


def test_a_failing_synth_is_reported_with_its_log(tmp_path, monkeypatch):
    environment = _fake_npx(tmp_path, "echo 'resolving'\necho 'ValidationError: ssh_cidrs is bad' >&2\nexit 3\n")
    monkeypatch.setattr(demo_synth, "synth_environment", lambda: environment)
    log = tmp_path / "synth.log"
    with pytest.raises(WikilakeError) as err:
        demo_synth.synth(log, Steps(Console(file=io.StringIO())))
    assert str(err.value) == (f"cdk synth failed (exit 3): ValidationError: ssh_cidrs is bad — full log: {log}")
    assert "resolving" in log.read_text()


def test_synth_without_node_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_synth, "synth_environment", lambda: {"PATH": str(tmp_path)})
    with pytest.raises(WikilakeError, match="npx not found: run `make setup`"):
        demo_synth.synth(tmp_path / "synth.log", Steps(Console(file=io.StringIO())))


def test_the_demos_join_of_pageviews_to_articles_matches_at_least_five_articles():
    """Plain Python over the shipped samples (not the jobs, not SQL): the demo's top pages of
    en.wikipedia (the query's default top_n) and the articles sample's titles read with xml.etree."""
    days = {d.dataset: d for d in demo.sample_days()}
    lines = reference.pageview_lines(list(days["pageviews"].inputs))
    pages = reference.dump_redirects(days["articles"].inputs[0])
    top_n = next(int(p.default) for p in QUERIES["most_viewed_articles_content"].parameters if p.name == "top_n")
    rows = reference.most_viewed_articles(lines, pages, demo.DEMO_VALUES["project"], top_n)
    matched = [row for row in rows if row[3] is not None]
    assert len(rows) == top_n and len(matched) >= 5, rows
