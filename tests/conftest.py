"""Session-wide fixtures shared by every test folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import schedule


@pytest.fixture(scope="session")
def spark():
    """The one local SparkSession of the test session: 2 cores, 2 shuffle partitions, no UI, UTC,
    errors-only logs. Jobs set their own SQL settings for their run only (spark_jobs.job)."""
    from spark_jobs.session import build_session

    session = build_session("wikilake-tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def fresh_function_clients():
    """No test gets another's AWS clients from the functions' per-environment cache (one made for
    another moto server's endpoint or region, or before moto was imported, would go astray)."""
    from wikilake_functions import common

    common.client.cache_clear()
    yield
    common.client.cache_clear()


@dataclass(frozen=True)
class SmallRuns:
    lake: Path
    days: dict[str, dict]  # each dataset's day manifest, as run_local returned it


@pytest.fixture(scope="session")
def small_runs(spark, tmp_path_factory) -> SmallRuns:
    """A lake with a small day of edits (the sample's first 2,000 events) and then of pageviews
    (the sample day's first hour) through the local runner on the shared session, after a Spark job
    of no run's (each run's event log must leave out what is not its own): what the tests of a
    run's event log, profile and History Server need, on every Spark line, for a fraction of the
    samples' lake."""
    from bench.inputs import EditsRecipe
    from wikilake.local.demo import sample_days
    from wikilake.local.runner import run_local

    root = tmp_path_factory.mktemp("small-runs")
    (root / "input").mkdir()
    samples = {day.dataset: day for day in sample_days()}
    ((edits_input, _),) = EditsRecipe(copies_per_file=1, files=1, sample_events=2000).write(
        root / "input", on_step=lambda: None
    )
    inputs = {"edits": edits_input, "pageviews": samples["pageviews"].inputs[0]}
    spark.range(1000).selectExpr("sum(id)").collect()
    lake = root / "lake"
    days = {
        dataset: run_local(dataset, samples[dataset].dt, [str(path)], lake=str(lake), spark=spark)
        for dataset, path in inputs.items()
    }
    return SmallRuns(lake, days)


def pytest_collection_modifyitems(items):
    """Mark every test that uses the session (directly or through a fixture such as sample_lake)
    `spark`, so `pytest -m spark`, which `make test` runs on each other Spark line, picks up new
    ones by itself. Tests that run Spark without the session carry the mark by hand. Then put the
    files in the order tests/schedule.py starts them."""
    schedule.check_session_files(items)
    for item in items:
        if schedule.uses_session(item):
            item.add_marker(pytest.mark.spark)
    items.sort(key=schedule.start_order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` as tests/schedule.py refines it: the shared session's files as one unit."""
    if config.getvalue("dist") == "loadfile":
        return schedule.SessionFilesTogether(config, log)
    return None
