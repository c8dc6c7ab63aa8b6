"""`wikilake runs --quality`: each run's failing data-quality checks. A run that succeeded lists
its failing `warn` checks in its run record (the execution's output); a run that ended
QualityFailed names its failing `fail` checks in the execution's cause."""

from __future__ import annotations

import json

from wikilake.aws import pipeline
from wikilake_core.quality import QualityFailed

QUALITY_FAILED_ERROR = QualityFailed.__name__  # the Lambda error name the execution fails with


def failing_checks(sfn, run: pipeline.Run) -> str:
    """The run's failing checks in one line, '' when none (or not checked: a run that failed
    before its quality step, or is still running)."""
    if run.record:
        return "; ".join(run.record.get("failing_checks") or ())
    if run.status != "FAILED":
        return ""
    execution = pipeline.describe(sfn, run.arn)
    if execution.get("error") != QUALITY_FAILED_ERROR:
        return ""
    return error_message(execution.get("cause") or "")


def error_message(cause: str) -> str:
    """The message of a Lambda function's error: the cause Step Functions records is Lambda's
    error object ({"errorType", "errorMessage", "trace"}) as JSON."""
    try:
        return json.loads(cause)["errorMessage"]
    except (ValueError, KeyError, TypeError):
        return " ".join(cause.split())
