"""Session-wide fixtures shared by every test folder."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    """The one local SparkSession of the test session: 2 cores, 2 shuffle partitions, no UI, UTC,
    errors-only logs. Jobs set their own SQL settings on it (spark_jobs.runtime.JOB_SQL_SETTINGS)."""
    from wikilake.local_runner import build_session

    session = build_session(master="local[2]", shuffle_partitions=2, app_name="wikilake-tests")
    yield session
    session.stop()
