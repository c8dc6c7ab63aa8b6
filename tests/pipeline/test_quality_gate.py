"""The record function's quality checks, in the synthesized state machine under moto (conftest.py):
a failing `warn` check alerts (the record function publishes to the alerts topic) and the run
succeeds; a failing `fail` check ends the execution QualityFailed with the checks in its cause
(NotifyFailure alerts, as for every failed run). Both publish the run (a check must not hide data:
the day's partitions point at the run, the day's manifest carries the results), write the day's
quality rows and release the day. The history is the dataset's earlier published days: their day
manifests, as the record function leaves them.

Untested here: SNS's delivery of the published warning by email (moto delivers to the SQS
subscriber the test reads)."""

import json

from wikilake_core import layout, run_history, runs

from .conftest import DT
from .test_state_machine import MANIFEST

HISTORY_DTS = ("2024-03-11", "2024-03-12", "2024-03-14")  # 03-13 missing: the window skips it
USUAL_ROWS = {"pageviews_daily": 300, "projectviews_hourly": 24}
DATA_KEY = f"processed/pageviews_daily/dt={DT}/part-00000.parquet"


def _with_history(pipeline) -> None:
    for dt in HISTORY_DTS:
        run_id = f"pageviews-{dt}-20261206T043000Z"
        day = {**MANIFEST, "dt": dt, "rows_written": USUAL_ROWS, "status": "SUCCEEDED", "run_id": run_id}
        key = layout.manifest_path("", "pageviews", dt).lstrip("/")
        pipeline.s3.put_object(Bucket=pipeline.bucket, Key=key, Body=run_history.encode(day).encode())
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key=DATA_KEY, Body=b"the day's data")


def _object(pipeline, key: str) -> bytes:
    return pipeline.s3.get_object(Bucket=pipeline.bucket, Key=key)["Body"].read()


def _quality_rows(pipeline) -> dict[str, dict]:
    text = _object(pipeline, f"quality/pageviews/dt={DT}/checks.json").decode()
    return {row["check_name"]: row for row in map(json.loads, text.splitlines())}


def test_a_failing_warn_check_alerts_and_the_run_succeeds(pipeline):
    _with_history(pipeline)
    many_rejects = {**MANIFEST, "rows_written": USUAL_ROWS, "input_records": 1200, "valid_records": 1140}
    many_rejects["rejected_records"] = 60  # 5% > the 1% limit (a warn check)
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="COMPLETED", manifest=many_rejects)

    assert done["status"] == "SUCCEEDED", done.get("cause")
    record = json.loads(done["output"])
    assert record["quality_status"] == "warn"
    assert record["failing_checks"] == ["rejected_share 0.05 not in <= 0.01"]
    (alert,) = pipeline.alerts()
    assert alert == f"pageviews dt={DT}: quality warning: rejected_share 0.05 not in <= 0.01"

    manifest_text = _object(pipeline, f"manifests/pageviews/dt={DT}/manifest.json").decode()
    assert manifest_text.count("\n") == 1  # one line: what the runs table's JSON SerDe reads
    manifest = json.loads(manifest_text)
    assert (manifest["status"], manifest["quality_status"], manifest["runtime"]) == ("SUCCEEDED", "warn", "emr-ec2")
    assert manifest["usd"] == record["cost"]["usd"] > 0 and manifest["compute_id"] == record["cluster_id"]
    rows = _quality_rows(pipeline)
    assert rows["rows_pageviews_daily"]["status"] == "pass"
    assert (rows["rows_pageviews_daily"]["expected_low"], rows["rows_pageviews_daily"]["expected_high"]) == (150, 450)
    assert rows["rejected_share"]["status"] == "warn"
    assert _object(pipeline, DATA_KEY) == b"the day's data"


def test_a_failing_fail_check_ends_the_execution_quality_failed_and_keeps_the_data(pipeline):
    _with_history(pipeline)
    a_third = {**MANIFEST, "rows_written": {"pageviews_daily": 100, "projectviews_hourly": 24}}
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="COMPLETED", manifest=a_third)

    assert done["status"] == "FAILED" and done["error"] == "QualityFailed"
    # The cause is the function's error as Lambda reports it: {"errorType", "errorMessage", ...}.
    assert json.loads(done["cause"])["errorMessage"] == (
        f"pageviews dt={DT}: quality checks failed: rows_pageviews_daily 100 not in [150, 450] "
        "(median 300 of the previous 3 dt(s)) (the data is kept)"
    )
    (alert,) = pipeline.alerts()
    assert alert.startswith("wikilake run failed: QualityFailed (") and execution in alert
    assert "rows_pageviews_daily 100 not in [150, 450]" in alert
    manifest = json.loads(_object(pipeline, f"manifests/pageviews/dt={DT}/manifest.json"))
    assert (manifest["status"], manifest["quality_status"]) == ("QUALITY_FAILED", "fail")
    assert _quality_rows(pipeline)["rows_pageviews_daily"]["status"] == "fail"
    assert _object(pipeline, DATA_KEY) == b"the day's data"
    # published all the same: the day reads the run; the day is free for the next run
    run_id = execution.rsplit(":", 1)[-1]
    assert manifest["run_id"] == run_id
    assert pipeline.partition_location("pageviews_daily").endswith(f"/dt={DT}/run={run_id}/")
    assert pipeline.day_lease() is None
    (cluster,) = pipeline.clusters()
    assert cluster["Status"]["State"] == "TERMINATED"


def test_runs_quality_reads_the_failing_checks_of_each_run(pipeline):
    """`wikilake runs --quality`'s column: a warn check from the run record, a fail check from
    the cause of the execution that ended QualityFailed."""
    from wikilake.aws import pipeline as executions
    from wikilake.aws.run_quality import failing_checks

    _with_history(pipeline)
    a_third = {**MANIFEST, "rows_written": {"pageviews_daily": 100, "projectviews_hourly": 24}}
    failed = pipeline.wait(pipeline.start(runs.execution_input("pageviews", DT)), job="COMPLETED", manifest=a_third)
    assert failed["status"] == "FAILED"
    (run,) = executions.list_runs(pipeline.sfn, pipeline.state_machine_arn)
    assert failing_checks(pipeline.sfn, run) == (
        f"pageviews dt={DT}: quality checks failed: rows_pageviews_daily 100 not in [150, 450] "
        "(median 300 of the previous 3 dt(s)) (the data is kept)"
    )


def test_a_run_whose_publish_fails_leaves_the_day_s_quality_rows_to_the_published_run(pipeline):
    """The quality rows are written only once the run is published (docs/quality.md): a run
    verified and checked (5% rejects: rejected_share warns) whose publish fails (a table gone from
    the catalog: its partition cannot be pointed at the run) leaves the rows, the partitions and the
    day's manifest of the run readers still see (1% rejects: passes)."""
    first = pipeline.wait(pipeline.start(runs.execution_input("pageviews", DT)), job="COMPLETED", manifest=MANIFEST)
    assert first["status"] == "SUCCEEDED", first.get("cause")
    published_rows = _object(pipeline, f"quality/pageviews/dt={DT}/checks.json")
    published_day = _object(pipeline, f"manifests/pageviews/dt={DT}/manifest.json")
    assert _quality_rows(pipeline)["rejected_share"]["status"] == "pass"
    pipeline.glue.delete_table(DatabaseName=pipeline.database, Name="projectviews_hourly")

    many_rejects = {**MANIFEST, "valid_records": 1140, "rejected_records": 60}
    failed = pipeline.wait(
        pipeline.start(runs.execution_input("pageviews", DT)), job="COMPLETED", manifest=many_rejects
    )

    assert failed["status"] == "FAILED" and "EntityNotFound" in failed["error"] + failed["cause"]
    assert _object(pipeline, f"quality/pageviews/dt={DT}/checks.json") == published_rows
    assert _object(pipeline, f"manifests/pageviews/dt={DT}/manifest.json") == published_day
    assert pipeline.partition_location("pageviews_daily").endswith(f"/run={json.loads(published_day)['run_id']}/")
    assert pipeline.alerts() != [] and pipeline.day_lease() is None
