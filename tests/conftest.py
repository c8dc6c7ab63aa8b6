"""Session-wide fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from tests.schedule import order_and_group


@pytest.fixture(scope="session")
def spark():
    """The one local SparkSession of the test session: 2 cores, 2 shuffle partitions, no UI, UTC,
    errors-only logs. Jobs set their own SQL settings for their run only (spark_jobs.job)."""
    from spark_jobs.session import build_session

    session = build_session("wikilake-tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()


def pytest_collection_modifyitems(items):
    """Mark every test that uses the session (directly or through a fixture such as sample_lake)
    `spark`, so `pytest -m spark`, which `make test` runs on each other Spark line, picks up new
    ones by itself. Tests that run Spark without the session carry the mark by hand. Then order
    and group them for `make test`'s workers (tests/schedule.py)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
    order_and_group(items)
