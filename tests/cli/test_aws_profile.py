"""`wikilake profile` on AWS (moto): the day's manifest is read from the deployed lake bucket (the
bucket named by the storage stack's outputs); no day, one line and exit 1."""

from __future__ import annotations

import json

from wikilake_core import layout

DT = "2024-03-15"
PROFILE = {
    "application_id": "application_1_0001",
    "wall_seconds": 600.0,
    "executors": 4,
    "hosts": 4,
    "cores": 16,
    "core_seconds_available": 9600.0,
    "task_seconds": 2400.0,
    "utilization": 0.25,
    "gc_seconds": 10.0,
    "input_bytes": 10**9,
    "shuffle_bytes": 10**8,
    "spill_bytes": 0,
    "settings": {"spark.executor.memory": "9g"},
    "stages": [
        {
            "stage": 0,
            "name": "text at extract.py:34",
            "seconds": 500.0,
            "tasks": 16,
            "task_seconds": 2400.0,
            "max_task_seconds": 150.0,
            "median_task_seconds": 150.0,
            "input_bytes": 10**9,
            "shuffle_read_bytes": 0,
            "spill_bytes": 0,
        }
    ],
    "timeline": {"step_seconds": 10.0, "busy_cores": [4.0] * 60, "cores": [16.0] * 60},
}


def test_the_profile_of_a_run_on_aws_comes_from_the_lake_bucket(wikilake, deployed, clients, aws_options):
    manifest = {"dataset": "pageviews", "dt": DT, "run_id": "pageviews-x", "runtime": "emr-ec2", "profile": PROFILE}
    key = layout.manifest_path("", "pageviews", DT).lstrip("/")
    clients.s3.put_object(Bucket=deployed.bucket, Key=key, Body=json.dumps(manifest).encode())
    code, out, err = wikilake("profile", "pageviews", "--date", DT, *aws_options)
    assert (code, err) == (0, "")
    assert "run pageviews-x on emr-ec2, Spark application application_1_0001" in out
    assert "utilization 25%" in out
    # 4 of 16 cores busy on 4 hosts of 4: one core node would do
    advice = "25% of the cores' time ran tasks (4.0 of 16 cores busy on average): set -c run_core_nodes_max=1"
    assert f"advice 1 (low_utilization): {advice}" in " ".join(out.split())


def test_a_day_without_a_run_on_aws_is_one_line_and_exit_1(wikilake, deployed, aws_options):
    code, out, err = wikilake("profile", "pageviews", "--date", DT, *aws_options)
    assert code == 1 and out == ""
    assert err == (
        f"wikilake: error: no run of pageviews dt={DT} in s3://{deployed.bucket}: run it first "
        f"(wikilake run pageviews --date {DT})\n"
    )
