"""Session-wide fixtures shared by every test folder."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    """The one local SparkSession of the test session: 2 cores, 2 shuffle partitions, no UI, UTC,
    errors-only logs. Jobs set their own SQL settings for their run only (spark_jobs.job)."""
    from spark_jobs.session import build_session

    session = build_session("wikilake-tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()
