"""wikilake_functions.lease on moto's DynamoDB (in-process), with the clock held still: which
slot a holder gets, when a hold counts as lapsed, who may give a slot back.

The table is made as stacks/lease_table.py makes it (partition key lease_id, TTL on
expires_at). What stays untested here: DynamoDB's real concurrency (two conditional writes on
one item at the same instant; AWS documents that conditional writes on an item are serialized)
and TTL deletion itself (lazy on AWS, absent in moto): the condition does not rely on it. The
ingest function's use of the slots runs end to end in tests/pipeline/test_download_slots.py.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from wikilake_core.leases import EXECUTION, EXPIRES_AT, HOLDER, LEASE_ID
from wikilake_functions import lease

TABLE = "wikilake-dev-leases"
PREFIX = "dumps.wikimedia.org/slot"
NOW = 1_800_000_000


@pytest.fixture
def dynamodb(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(lease.time, "time", lambda: NOW + 0.75)  # the lease counts whole seconds
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": LEASE_ID, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": LEASE_ID, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def take(dynamodb, holder: str, slots: int = 3, seconds: int = 900) -> str:
    return lease.acquire(dynamodb, TABLE, PREFIX, slots, holder=holder, execution=f"arn:{holder}", seconds=seconds)


def items(dynamodb) -> dict[str, dict]:
    found = dynamodb.scan(TableName=TABLE)["Items"]
    return {
        item[LEASE_ID]["S"]: {
            HOLDER: item[HOLDER]["S"],
            EXECUTION: item[EXECUTION]["S"],
            EXPIRES_AT: int(item[EXPIRES_AT]["N"]),
        }
        for item in found
    }


def put_hold(dynamodb, lease_id: str, holder: str, expires_at: int) -> None:
    item = {LEASE_ID: {"S": lease_id}, HOLDER: {"S": holder}, EXECUTION: {"S": "arn:old"}}
    dynamodb.put_item(TableName=TABLE, Item={**item, EXPIRES_AT: {"N": str(expires_at)}})


def test_each_holder_gets_its_own_slot_until_none_is_left(dynamodb):
    taken = [take(dynamodb, f"h{i}", seconds=900) for i in range(3)]

    assert sorted(taken) == [f"{PREFIX}-0", f"{PREFIX}-1", f"{PREFIX}-2"]
    held = items(dynamodb)
    assert {lease_id: held[lease_id][HOLDER] for lease_id in taken} == {t: f"h{i}" for i, t in enumerate(taken)}
    assert {h[EXECUTION] for h in held.values()} == {"arn:h0", "arn:h1", "arn:h2"}
    assert {h[EXPIRES_AT] for h in held.values()} == {NOW + 900}
    with pytest.raises(lease.SlotsBusy, match=f"^all 3 slots of {PREFIX} are held$"):
        take(dynamodb, "h3")
    assert items(dynamodb) == held  # the refused holder changed nothing


def test_a_lapsed_hold_is_free_and_one_lapsing_this_second_is_not(dynamodb):
    put_hold(dynamodb, f"{PREFIX}-0", "gone", expires_at=NOW - 1)
    put_hold(dynamodb, f"{PREFIX}-1", "busy", expires_at=NOW)

    assert take(dynamodb, "new", slots=2, seconds=60) == f"{PREFIX}-0"
    assert items(dynamodb)[f"{PREFIX}-0"] == {HOLDER: "new", EXECUTION: "arn:new", EXPIRES_AT: NOW + 60}
    with pytest.raises(lease.SlotsBusy):
        take(dynamodb, "late", slots=2)
    assert items(dynamodb)[f"{PREFIX}-1"][HOLDER] == "busy"


def test_only_the_holder_gives_a_slot_back(dynamodb):
    lease_id = take(dynamodb, "mine", slots=1)

    assert lease.release(dynamodb, TABLE, lease_id, holder="someone else") is False
    assert items(dynamodb)[lease_id][HOLDER] == "mine"
    assert lease.release(dynamodb, TABLE, lease_id, holder="mine") is True
    assert items(dynamodb) == {}
    assert lease.release(dynamodb, TABLE, lease_id, holder="mine") is False  # already given back
    assert take(dynamodb, "next", slots=1) == lease_id


def test_other_errors_are_not_taken_for_a_busy_slot(dynamodb):
    dynamodb.delete_table(TableName=TABLE)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        take(dynamodb, "h")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        lease.release(dynamodb, TABLE, f"{PREFIX}-0", holder="h")
