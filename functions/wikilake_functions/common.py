"""What the pipeline's functions share: their settings (environment variables set by the stack),
logging, and the errors the state machine catches by name."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping

import boto3
import botocore.config

from wikilake_core.errors import WikilakeError

# Environment variables (stacks/pipeline.py sets them).
from wikilake_core.function_env import (  # noqa: E402,F401
    ALERTS_TOPIC,
    BUCKET,
    CLUSTER_NAME_PREFIX,
    CONTACT,
    DATABASE,
    DAY_LEASE_SECONDS,
    DEFAULT_POLL_SECONDS,
    DOWNLOAD_SLOTS,
    DUMPS_MIRROR,
    INGEST_BACKOFF,
    INGEST_RETRIES,
    INTERACTIVE_CLUSTER_TAGS,
    JOB_SCRIPTS,
    LEASE_SECONDS,
    LEASE_TABLE,
    METRICS_NAMESPACE,
    POLL_SECONDS,
    RUN_SIZING,
    SERVERLESS_APPLICATION_ID,
)

CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 5}, user_agent_appid="wikilake-pipeline"
)


class InvalidInput(WikilakeError):
    """The execution input is not a run: unknown dataset, bad dt."""


class IngestFailed(WikilakeError):
    """A dump file could not be planned, fetched or verified: nothing of it is under raw/."""


class VerificationFailed(WikilakeError):
    """The job ran but its manifest breaks an invariant (or is missing)."""


def logger(name: str) -> logging.Logger:
    log = logging.getLogger(name)
    log.setLevel(logging.INFO)
    logging.getLogger("wikilake").setLevel(logging.INFO)
    return log


def require(env: Mapping[str, str], key: str) -> str:
    value = env.get(key)
    if not value:
        raise WikilakeError(f"function misconfigured: environment variable {key} is not set")
    return value


@functools.cache
def client(service: str):
    """The service's client, made once per execution environment and reused by its warm
    invocations (AWS's Lambda advice: SDK clients outside the handler); making one costs more than
    most of these functions' calls."""
    return boto3.client(service, config=CLIENT_CONFIG)


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)
