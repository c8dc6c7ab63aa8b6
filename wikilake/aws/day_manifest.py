"""Reads a day's manifest from the lake bucket: the live run's, with its run record and profile."""

from __future__ import annotations

import json

import botocore.exceptions

from wikilake_core import layout


def read_day_manifest(s3, bucket: str, dataset: str, dt: str) -> dict | None:
    """The day's manifest, or None if the day was never published."""
    key = layout.manifest_path("", dataset, dt).lstrip("/")
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
