"""One JSON snapshot per stack of the default configuration (`pytest --snapshot-update` after review).

Asset hashes are masked, so editing a job or a query file changes no snapshot; only changes to
the infrastructure do.
"""

import json
import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from .conftest import ROLES

ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def _masked(value) -> str:
    return ASSET_HASH.sub("<asset-hash>", json.dumps(value, sort_keys=True))


def mask_asset_hashes(*, data, path):
    if isinstance(data, str):
        return ASSET_HASH.sub("<asset-hash>", data)
    if isinstance(data, list) and path and path[-1][0] == "Resource":
        # CDK sorts an IAM statement's resources by value: order them by their masked form
        # instead, or a new asset hash would reorder the snapshot.
        return sorted(data, key=_masked)
    return data


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension, matcher=mask_asset_hashes)


@pytest.mark.parametrize("role", ROLES)
def test_stack_template_snapshot(synthesized, json_snapshot, role):
    assert synthesized.template_json("default", role) == json_snapshot


def test_serverless_processing_template_snapshot(synthesized, json_snapshot):
    """runtime=emr-serverless (the `serverless` variant): storage and catalog are the runtime's
    business only through the processing stack, so that one is snapshotted."""
    assert synthesized.template_json("serverless", "processing") == json_snapshot
