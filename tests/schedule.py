"""Where and when tests run under `make test`'s two pytest-xdist workers (`--dist loadgroup`): each
test file is one group, handed to one worker whole (its module fixtures built once), the longest
files first; the tests of a costly session fixture share a group, so it is built once, not once
per worker."""

from __future__ import annotations

import pytest

# The test files that take longest (`pytest --durations`), in that order: handed out first, they end
# with the rest instead of keeping one worker busy while the other idles.
LONGEST_FIRST = (
    "tests/spark/test_atomic_day.py",
    "tests/bench/test_bench_harness.py",
    "tests/local/test_demo.py",
    "tests/bench/test_bench_stages.py",
    "tests/infra/test_checkov.py",
    "tests/local/test_named_queries_on_samples.py",
    "tests/spark/test_articles_job.py",
    "tests/infra/test_roundtrip.py",
    "tests/pipeline/test_day_writer.py",
    "tests/infra/test_cdk_cli.py",
    "tests/spark/test_local_cli.py",
)
# Session fixtures that take tens of seconds to build (every job run on the shipped samples).
SHARED_BUILDS = ("sample_lake",)


def file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def group_of(item: pytest.Item) -> str:
    names = getattr(item, "fixturenames", ())
    return next((name for name in SHARED_BUILDS if name in names), file_of(item))


def order_and_group(items: list[pytest.Item]) -> None:
    """LONGEST_FIRST files first (the order within a file stays), then every test in its group."""
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(file_of(item), len(rank)))
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
