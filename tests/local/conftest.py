"""Fixtures for the local query engine: tiny hand-made lakes (no Spark), PNG inspection, and the
samples' lake of one demo run (Spark)."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_helpers import channel_row, png_size, write_partition, write_run_history
from rich.console import Console


@pytest.fixture(scope="session")
def tiny_lake_template(tmp_path_factory) -> Path:
    """A lake with a few hand-written rows in every table for dt=2015-09-12."""
    lake = tmp_path_factory.mktemp("tiny") / "lake"
    dt = "2015-09-12"
    write_partition(
        lake,
        "edits_by_channel",
        dt,
        [
            channel_row("#en.wikipedia", 7, 3),
            channel_row("#de.wikipedia", 5, 0),
            channel_row("#fr.wikipedia", 5, 1),
            channel_row("#it.wikipedia", 1, 1),
        ],
        run_id=f"run-{dt}",
    )
    edit = {
        "event_time": None,
        "namespace": "Main",
        "comment": "c",
        "is_anonymous": True,
        "is_minor": False,
        "is_new": False,
        "is_robot": False,
        "is_unpatrolled": False,
        "country_name": "United States",
        "metro_code": None,
        "delta": 5,
        "added": 5,
        "deleted": 0,
    }
    edits = [
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "a"},
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "b"},
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "a"},
        {**edit, "channel": "#de.wikipedia", "page": "Apollo", "user_name": "c"},
        {**edit, "channel": "#en.wikipedia", "page": "Zeus", "user_name": "d"},
    ]
    run = f"run-{dt}"  # the edits run write_run_history publishes
    write_partition(lake, "edits", dt, edits, run_id=run)
    write_partition(lake, "edits_filtered", dt, edits, run_id=run)
    page = {"domain_code": "en", "project": "en.wikipedia", "access_site": "desktop", "hours_seen": 1}
    write_partition(
        lake,
        "pageviews_daily",
        dt,
        [
            {**page, "page_title": "Main_Page", "views": 1000},
            {**page, "page_title": "Special:Search", "views": 900},
            {**page, "page_title": "-", "views": 800},
            {**page, "page_title": "Apollo", "views": 50},
            {**page, "domain_code": "en.m", "access_site": "mobile", "page_title": "Apollo", "views": 70},
            {**page, "page_title": "Zeus", "views": 100},
            {**page, "page_title": "User_talk:Someone", "views": 99},
            {**page, "domain_code": "de", "project": "de.wikipedia", "page_title": "Zeus", "views": 5000},
        ],
    )
    hourly = {"project": "en.wikipedia", "pages": 1}
    write_partition(
        lake,
        "projectviews_hourly",
        dt,
        [
            {**hourly, "hour": 0, "access_site": "desktop", "views": 30},
            {**hourly, "hour": 0, "access_site": "mobile", "views": 70},
            {**hourly, "hour": 1, "access_site": "desktop", "views": 10},
            {**hourly, "hour": 1, "access_site": "zero", "views": 5},
            {**hourly, "hour": 0, "project": "de.wikipedia", "access_site": "desktop", "views": 900},
            {**hourly, "hour": 0, "project": "unknown", "access_site": "desktop", "views": 99999},
        ],
    )
    article = {
        "wiki": "enwiki",
        "namespace": 0,
        "redirect_title": None,
        "revision_id": 1,
        "revision_timestamp": None,
        "contributor": "a",
        "links": 1,
        "categories": 1,
    }
    write_partition(
        lake,
        "articles",
        dt,
        [
            {**article, "page_id": 1, "title": "Apollo", "text_bytes": 3000},
            {**article, "page_id": 2, "title": "Zeus", "text_bytes": 120000},
            {
                **article,
                "page_id": 3,
                "title": "Phoebus",
                "redirect_title": "Apollo",
                "text_bytes": 20,
                "categories": 0,
            },
            {**article, "page_id": 4, "namespace": 14, "title": "Category:Greek gods", "text_bytes": 50},
        ],
    )
    link = {"wiki": "enwiki", "occurrences": 1}
    write_partition(
        lake,
        "article_links",
        dt,
        [
            {**link, "page_id": 1, "target": "Zeus", "occurrences": 2},
            {**link, "page_id": 2, "target": "Apollo"},
            {**link, "page_id": 3, "target": "Apollo"},  # a redirect: not counted as a source
        ],
    )
    write_partition(
        lake,
        "article_categories",
        dt,
        [
            {"wiki": "enwiki", "page_id": 1, "category": "Greek gods", "sort_key": None},
            {"wiki": "enwiki", "page_id": 2, "category": "Greek gods", "sort_key": "Zeus"},
            {"wiki": "enwiki", "page_id": 4, "category": "Mythology", "sort_key": ""},
        ],
    )
    write_run_history(lake, dt)
    return lake


@pytest.fixture
def tiny_lake(tiny_lake_template, tmp_path) -> Path:
    """A fresh copy of the tiny lake that a test may change."""
    return Path(shutil.copytree(tiny_lake_template, tmp_path / "lake"))


@pytest.fixture
def png_dimensions():
    return png_size


@dataclass(frozen=True)
class DemoRun:
    lake: Path
    answers: list  # of wikilake.local.demo.Answer, as the demo printed them
    printed: str


@pytest.fixture(scope="session")
def demo_run(spark, tmp_path_factory) -> DemoRun:
    """`wikilake demo` once, without `cdk synth`, on the session's Spark: the shipped samples and
    the generated history days through every job, every named query, the report. Its lake is the
    samples' lake of the query tests (which only read it, at the samples' dts)."""
    from wikilake.local import demo

    lake = tmp_path_factory.mktemp("demo") / "lake"
    console = Console(file=io.StringIO(), width=200)
    answers = demo.run_demo(lake, skip_synth=True, console=console, spark=spark)
    return DemoRun(lake, answers, console.file.getvalue())


@pytest.fixture(scope="session")
def sample_lake(demo_run) -> Path:
    return demo_run.lake
