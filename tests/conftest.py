"""Session-wide fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from tests.schedule import LONGEST_FIRST


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
    ones by itself. Tests that run Spark without the session carry the mark by hand. Then put the
    LONGEST_FIRST files first (the order within a file stays)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
