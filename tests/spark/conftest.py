"""Job runs shared by the Spark tests: each job once per session on small inputs."""

from __future__ import annotations

import pytest
from spark_helpers import ARTICLES_DT, ARTICLES_SAMPLE, EDITS_DT, EDITS_SAMPLE, PAGEVIEWS_DT, JobRun, pageviews_input


@pytest.fixture(scope="session")
def edits_run(spark, tmp_path_factory) -> JobRun:
    from spark_jobs import edits

    lake = tmp_path_factory.mktemp("edits") / "lake"
    args = edits.JOB.parse_args(["--date", EDITS_DT, "--input", str(EDITS_SAMPLE), "--output-root", str(lake)])
    return JobRun(lake, edits.JOB.run(spark, args), (EDITS_SAMPLE,))


@pytest.fixture(scope="session")
def pageviews_run(spark, tmp_path_factory) -> JobRun:
    from spark_jobs import pageviews

    base = tmp_path_factory.mktemp("pageviews")
    inputs = pageviews_input(base / "raw")
    args = pageviews.JOB.parse_args(
        ["--date", PAGEVIEWS_DT, "--input", str(base / "raw"), "--output-root", str(base / "lake")]
    )
    return JobRun(base / "lake", pageviews.JOB.run(spark, args), inputs)


@pytest.fixture(scope="session")
def articles_run(spark, tmp_path_factory) -> JobRun:
    from spark_jobs import articles

    lake = tmp_path_factory.mktemp("articles") / "lake"
    args = articles.JOB.parse_args(["--date", ARTICLES_DT, "--input", str(ARTICLES_SAMPLE), "--output-root", str(lake)])
    return JobRun(lake, articles.JOB.run(spark, args), (ARTICLES_SAMPLE,))
