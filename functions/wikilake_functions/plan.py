"""Plan a run (the state machine's first state): normalize the input (a scheduled run has no dt:
the previous UTC day of the execution's start), read the dump's checksum file, and return the
files to ingest, the job step and the cluster's name (EMR on EC2), and the same job as an EMR
Serverless job run's fields (runtime=emr-serverless). Nothing is written. A run that names a
cluster (``cluster_id``: the interactive cluster) is refused unless it is the stack's interactive
cluster and takes steps (wikilake_functions.interactive); its step does not end the cluster on
failure. On EMR on EC2 it writes one thing: the empty marker that makes the run's event-log folder
exist (wikilake_core/event_logs.py).

Event: {"input": <the execution input>, "started_at": $$.Execution.StartTime, "run_id":
$$.Execution.Name}: the run id names the run's folders (run=<execution name>) and goes to the
job as --run-id; the record function publishes that folder.

Once the day is under raw/, the same function sizes the run (state SizeRun): the bytes the job
will read, listed under raw/, give the core nodes (or Serverless executors) and the job's deadline
(wikilake_core/run_sizing.py). Event: {"size": {"run": <the plan's run>, "started_at": ...}}.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

from wikilake_core import datasets, day_runs, event_logs, http_budget, layout, run_history, run_sizing, runs
from wikilake_core.cluster import TRANSIENT_ACTION_ON_FAILURE, managed_scaling
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import ACTION_ON_FAILURE, JobScripts, job_submit, spark_step
from wikilake_functions import common, interactive
from wikilake_functions.common import IngestFailed, InvalidInput
from wikilake_ingest import transfer as ingest
from wikilake_ingest.sources import HttpClient, HttpSource, RetryPolicy
from wikilake_ingest.user_agent import require_contact, user_agent

log = common.logger(__name__)
# A whole dump file can outgrow one invocation (an enwiki article dump is ~22 GB, past 15
# minutes of download): the pipeline ingests article dumps as their numbered parts.
PIPELINE_INGEST_OPTIONS = {"parts": True}


def normalize(run_input: object, started_at: str) -> dict:
    """The run's input (the execution's, as given: any JSON) in runs.execution_input's shape, dt
    filled in; WikilakeError if bad."""
    if not isinstance(run_input, Mapping) or not run_input.get("dataset"):
        raise WikilakeError('the input needs {"dataset": ..., "dt": "YYYY-MM-DD"} (dt empty: the previous UTC day)')
    dt = run_input.get("dt") or runs.scheduled_dt(started_at)
    return runs.execution_input(
        run_input["dataset"],
        dt,
        job_options=tuple(run_input.get("job_options") or ()),
        allow_missing_hours=bool(run_input.get("allow_missing_hours")),
        cluster_id=run_input.get(runs.CLUSTER_ID),
    )


def http_client(env: Mapping[str, str], budget: http_budget.HttpBudget = http_budget.PLAN) -> HttpClient:
    """One download at a time per invocation, with the User-Agent carrying context `contact`; the
    plan's retries fit its function's timeout (wikilake_core/http_budget.py)."""
    policy = RetryPolicy(
        retries=int(env.get(common.INGEST_RETRIES, budget.retries)),
        backoff=float(env.get(common.INGEST_BACKOFF, budget.backoff)),
        backoff_max=budget.backoff_max,
        connect_timeout=budget.connect_timeout,
        read_timeout=budget.read_timeout,
    )
    return HttpClient(policy, max_connections=1, user_agent=user_agent(env.get(common.CONTACT) or None))


def files_to_ingest(run: dict, env: Mapping[str, str]) -> list[dict]:
    dataset = datasets.get(run["dataset"])
    if dataset.site is None:
        _require_raw(run, env)
        return []
    mirror = env.get(common.DUMPS_MIRROR) or None
    options = {
        **dataset.ingest_defaults(),
        "mirror": mirror,
        **{k: v for k, v in PIPELINE_INGEST_OPTIONS.items() if k in dataset.ingest_options},
    }
    # Wikimedia's sites want contact information: refused here, before anything moves (deploy
    # with -c contact=URL|EMAIL).
    require_contact([mirror or dataset.site.base_url], env.get(common.CONTACT) or None)
    items = ingest.plan(http_client(env), dataset, run["dt"], options, skip_unlisted=run["allow_missing_hours"])
    return [
        {"name": item.source.name, "url": item.source.url, "md5": item.expected_md5}
        for item in items
        if isinstance(item.source, HttpSource)
    ]


def _require_raw(run: dict, env: Mapping[str, str], s3=None) -> None:
    """A dataset without a dump site (edits) ingests nothing here: its day must already be under
    raw/ (`wikilake ingest edits --source ...`); refused now rather than on a started cluster."""
    prefix = layout.raw_dir("", run["dataset"], run["dt"]).lstrip("/") + "/"
    listed = (s3 or common.client("s3")).list_objects_v2(
        Bucket=common.require(env, common.BUCKET), Prefix=prefix, MaxKeys=1
    )
    if not listed.get("KeyCount"):
        raise WikilakeError(
            f"{run['dataset']} has no dump site and s3://{env[common.BUCKET]}/{prefix} is empty: "
            f"put the day's file there first (wikilake ingest {run['dataset']} --date {run['dt']} "
            f"--source URL|FILE)"
        )


def raw_bytes(run: dict, env: Mapping[str, str], s3=None) -> tuple[int, int]:
    """(bytes, files) of the run's day under raw/: what its job will read."""
    prefix = layout.raw_dir("", run["dataset"], run["dt"]).lstrip("/") + "/"
    pages = (
        (s3 or common.client("s3"))
        .get_paginator("list_objects_v2")
        .paginate(Bucket=common.require(env, common.BUCKET), Prefix=prefix)
    )
    sizes = [item["Size"] for page in pages for item in page.get("Contents", [])]
    return sum(sizes), len(sizes)


def size(event: Mapping, env: Mapping[str, str], *, now: datetime | None = None) -> dict:
    """The run's compute and the job's deadline from the bytes under raw/ (state SizeRun)."""
    run = event["run"]
    bounds = run_sizing.RunBounds.from_json(common.require(env, common.RUN_SIZING))
    elapsed = ((now or datetime.now(timezone.utc)) - runs.start_time(event["started_at"])).total_seconds()
    input_bytes, files = raw_bytes(run, env)
    try:
        sized = run_sizing.size_run(
            run["dataset"], input_bytes, bounds, seconds_left=bounds.run_timeout_seconds - elapsed
        )
    except run_sizing.RunTooLarge as err:
        raise run_sizing.RunTooLarge(f"{run['dataset']} dt={run['dt']} ({input_bytes:,} bytes): {err}") from None
    poll = int(env.get(common.POLL_SECONDS, common.DEFAULT_POLL_SECONDS))
    result: dict[str, object] = {
        "input_bytes": input_bytes,
        "input_files": files,
        "core_nodes": sized.core_nodes,
        "executors": sized.executors,
        "estimated_seconds": sized.estimated_seconds,
        "timeout_seconds": sized.timeout_seconds,
        "timeout_minutes": sized.timeout_minutes,
        "deadline_polls": run_sizing.deadline_polls(sized.timeout_seconds, poll),
    }
    scaling = managed_scaling(
        core_count=sized.core_nodes,
        task_count=bounds.task_nodes,
        maximum=bounds.managed_scaling_max,
        task_spot=bounds.task_spot,
    )
    if scaling:
        result["compute_limits"] = scaling.compute_limits()
    if bounds.runtime == "emr-serverless":
        result["spark_submit_parameters"] = job_submit(
            run["dataset"],
            run["dt"],
            bucket=common.require(env, common.BUCKET),
            scripts=JobScripts(**json.loads(common.require(env, common.JOB_SCRIPTS))),
            job_options=tuple(run["job_options"]),
            max_executors=sized.executors,
        ).serverless_job()["spark_submit_parameters"]
    log.info("run %s dt=%s sized: %s", run["dataset"], run["dt"], common.dumps(result))
    return result


def handle(event: Mapping, env: Mapping[str, str], emr=None) -> dict:
    if "size" in event:
        return size(event["size"], env)
    run_input = event.get("input")
    try:
        run = {**normalize(run_input, event["started_at"]), day_runs.RUN_ID: day_runs.check_run_id(event["run_id"])}
    except WikilakeError as err:
        raise InvalidInput(str(err)) from None
    on_interactive = runs.CLUSTER_ID in run
    if on_interactive:  # refused before anything moves: not the stack's interactive cluster, or gone
        interactive.require_cluster(emr or common.client("emr"), run[runs.CLUSTER_ID], env)
    job_options, run_id = tuple(run["job_options"]), run[day_runs.RUN_ID]
    try:
        files = files_to_ingest(run, env)
    except WikilakeError as err:
        raise IngestFailed(f"planning {run['dataset']} dt={run['dt']}: {err}") from None
    scripts = JobScripts(**json.loads(common.require(env, common.JOB_SCRIPTS)))
    bucket = common.require(env, common.BUCKET)
    step = spark_step(
        run["dataset"],
        run["dt"],
        bucket=bucket,
        scripts=scripts,
        run_id=run_id,
        job_options=job_options,
        # A failed step ends a run's own cluster, never the interactive one.
        action_on_failure=ACTION_ON_FAILURE if on_interactive else TRANSIENT_ACTION_ON_FAILURE,
    )
    # The same job for runtime=emr-serverless (one builder: same entry point and arguments).
    job = job_submit(
        run["dataset"], run["dt"], bucket=bucket, scripts=scripts, run_id=run_id, job_options=job_options
    ).serverless_job()
    _make_event_log_folder(run, env)
    log.info("run %s dt=%s: %d files to ingest", run["dataset"], run["dt"], len(files))
    return {
        "run": run,
        "files": files,
        "steps": [step],
        "job": job,
        "cluster_name": f"{common.require(env, common.CLUSTER_NAME_PREFIX)}-{run['dataset']}-{run['dt']}",
        "poll_seconds": int(env.get(common.POLL_SECONDS, common.DEFAULT_POLL_SECONDS)),
    }


def _make_event_log_folder(run: Mapping, env: Mapping[str, str], s3=None) -> None:
    """EMR on EC2: the job's Spark writes its event log into the run's folder, which must exist
    before Spark starts (an empty S3 prefix does not: event_logs.settings); EMR Serverless keeps
    its own event logs."""
    sizing = env.get(common.RUN_SIZING)
    if sizing and run_sizing.RunBounds.from_json(sizing).runtime == run_history.SERVERLESS_RUNTIME:
        return
    key = event_logs.folder_marker_key(run["dataset"], run["dt"], run[day_runs.RUN_ID])
    (s3 or common.client("s3")).put_object(Bucket=common.require(env, common.BUCKET), Key=key, Body=b"")


def handler(event, context):
    return handle(event, os.environ)
