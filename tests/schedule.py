"""The order test files start in under `make test`'s parallel workers."""

# The test files that take longest (`pytest --durations`), in that order. `make test` runs the
# suite on two workers (pytest-xdist), a whole file per worker, handed out in collection order:
# started first, they end with the rest instead of keeping one worker busy while the other idles.
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
