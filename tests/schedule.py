"""How `make test` hands the suite's files to its two pytest-xdist workers: which go together, and
in which order they start."""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

# The files whose tests use the shared Spark session (the `spark` fixture, directly or through
# one such as sample_lake): one work unit, on one worker, so each session-scoped job run and lake
# is made once and one JVM warms up, not two. Checked against the fixtures at collection.
SESSION_FILES = frozenset(
    {
        "tests/bench/test_bench_peer.py",
        "tests/local/test_demo.py",
        "tests/local/test_named_queries_on_samples.py",
        "tests/local/test_profile_cli.py",
        "tests/local/test_ui_local.py",
        "tests/spark/test_articles_job.py",
        "tests/spark/test_articles_splits.py",
        "tests/spark/test_articles_xml.py",
        "tests/spark/test_contract.py",
        "tests/spark/test_domain_codes.py",
        "tests/spark/test_edits_job.py",
        "tests/spark/test_extract.py",
        "tests/spark/test_local_cli.py",
        "tests/spark/test_pageviews_job.py",
        "tests/spark/test_profile.py",
        "tests/spark/test_read_failures.py",
        "tests/spark/test_session.py",
    }
)
SESSION_UNIT = "the shared Spark session's files"

# After the session's files, the other files that take longest (`pytest --durations`), in that
# order: started first, they end with the rest instead of keeping one worker busy while the other
# idles. The rest follow in collection order.
LONGEST_FIRST = (
    "tests/spark/test_atomic_day.py",
    "tests/pipeline/test_state_machine.py",
    "tests/bench/test_bench_harness.py",
    "tests/pipeline/test_day_writer.py",
    "tests/infra/test_roundtrip.py",
    "tests/infra/test_cdk_cli.py",
    "tests/infra/test_checkov.py",
    "tests/pipeline/test_download_slots.py",
    "tests/cli/test_aws_ingest.py",
    "tests/pipeline/test_delivery_check.py",
    "tests/pipeline/test_interactive_run.py",
    "tests/pipeline/test_quality_gate.py",
    "tests/infra/test_nag.py",
    "tests/infra/test_cfn_lint.py",
    "tests/cli/test_aws_backfill.py",
)


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def uses_session(item) -> bool:
    return "spark" in getattr(item, "fixturenames", ())


def check_session_files(items) -> None:
    """UsageError if a collected file uses the session but is not in SESSION_FILES: on the other
    worker it would start a second JVM session."""
    missing = sorted({file_of(item.nodeid) for item in items if uses_session(item)} - SESSION_FILES)
    if missing:
        raise pytest.UsageError(f"tests/schedule.py SESSION_FILES: add {missing} (their tests use the spark session)")


def start_order(item) -> int:
    """The session's files first, then LONGEST_FIRST's, then the rest (a stable sort keeps the
    order within a file)."""
    path = file_of(item.nodeid)
    if path in SESSION_FILES:
        return 0
    return 1 + (LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST))


class SessionFilesTogether(LoadScopeScheduling):
    """`--dist loadfile` with the session's files as one unit: a whole file (or that unit) per
    worker at a time, handed out in collection order (with `--no-loadscope-reorder`; else xdist
    starts the units with the most tests first, whatever they cost)."""

    def _split_scope(self, nodeid: str) -> str:
        path = file_of(nodeid)
        return SESSION_UNIT if path in SESSION_FILES else path
