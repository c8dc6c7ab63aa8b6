"""The Spark UI of a finished pipeline run, as a URL: EMR's persistent application UI (the Spark
History Server EMR hosts off-cluster, there after the cluster ends) for a run on EMR on EC2, the
job run's dashboard for a run on EMR Serverless.

APIs (checked in the EMR and EMR Serverless API references): CreatePersistentAppUI
(TargetResourceArn: the cluster's ARN) -> PersistentAppUIId; GetPersistentAppUIPresignedURL
(PersistentAppUIId, PersistentAppUIType SHS|TEZ|YTS, ApplicationId) -> PresignedURLReady,
PresignedURL; emr-serverless GetDashboardForJobRun (applicationId, jobRunId) -> url, "valid for
one hour after you generate it"; for a completed job run it opens the persistent Spark History
Server.
"""

from __future__ import annotations

import time

from wikilake_core.errors import WikilakeError

SPARK_HISTORY_SERVER = "SHS"
POLL_SECONDS = 5
POLL_ATTEMPTS = 36  # three minutes for EMR to prepare the UI


def persistent_ui_url(
    emr,
    cluster_id: str,
    application_id: str | None = None,
    *,
    poll_seconds: float = POLL_SECONDS,
    attempts: int = POLL_ATTEMPTS,
) -> str:
    """A presigned URL of the Spark History Server EMR keeps for the cluster, opened at the Spark
    application ``application_id`` when given; waits while EMR prepares it."""
    arn = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["ClusterArn"]
    ui_id = emr.create_persistent_app_ui(TargetResourceArn=arn)["PersistentAppUIId"]
    request = {"PersistentAppUIId": ui_id, "PersistentAppUIType": SPARK_HISTORY_SERVER}
    if application_id:
        request["ApplicationId"] = application_id
    for attempt in range(attempts):
        answer = emr.get_persistent_app_ui_presigned_url(**request)
        if answer.get("PresignedURLReady") and answer.get("PresignedURL"):
            return answer["PresignedURL"]
        if attempt + 1 < attempts:
            time.sleep(poll_seconds)
    raise WikilakeError(
        f"EMR has not prepared the persistent UI {ui_id} of cluster {cluster_id} after "
        f"{attempts * poll_seconds:.0f} s: try again in a minute"
    )


def serverless_dashboard_url(emr_serverless, application_id: str, job_run_id: str) -> str:
    """The job run's dashboard (its persistent Spark UI once it has finished), valid for an hour."""
    return emr_serverless.get_dashboard_for_job_run(applicationId=application_id, jobRunId=job_run_id)["url"]
