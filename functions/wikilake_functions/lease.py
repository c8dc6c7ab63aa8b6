"""Leases on the lease table: take one of N slots, or one named lease, with a conditional write;
give it back.

A slot is free when its item is absent or its hold has lapsed (`expires_at` < now, checked in the
condition itself: TTL deletion is lazy). The holder sets the expiry beyond the longest it can live
(the ingest function's timeout), so a hold lapses only once its holder can no longer be working.
"""

from __future__ import annotations

import random
import time

from botocore.exceptions import ClientError

from wikilake_core.errors import WikilakeError
from wikilake_core.leases import EXECUTION, EXPIRES_AT, HOLDER, LEASE_ID

_TAKE_IF_FREE = "attribute_not_exists(#id) OR #expires < :now"
_NAMES = {"#id": LEASE_ID, "#expires": EXPIRES_AT, "#holder": HOLDER, "#execution": EXECUTION}


class SlotsBusy(WikilakeError):
    """Every slot is held: try again later (the state machine retries with backoff)."""


def _conditional_failed(err: ClientError) -> bool:
    return err.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _hold(dynamodb, table: str, lease_id: str, condition: str, *, holder: str, execution: str, until: int, now: int):
    """The one conditional write that makes ``holder`` hold ``lease_id`` until ``until``."""
    dynamodb.update_item(
        TableName=table,
        Key={LEASE_ID: {"S": lease_id}},
        UpdateExpression="SET #holder = :holder, #execution = :execution, #expires = :expires",
        ConditionExpression=condition,
        ExpressionAttributeNames=_NAMES,
        ExpressionAttributeValues={
            ":holder": {"S": holder},
            ":execution": {"S": execution},
            ":expires": {"N": str(until)},
            ":now": {"N": str(now)},
        },
    )


def acquire(dynamodb, table: str, prefix: str, slots: int, *, holder: str, execution: str, seconds: int) -> str:
    """The lease_id of the slot now held by ``holder`` for ``seconds``; SlotsBusy if none is free."""
    order = list(range(slots))
    random.shuffle(order)  # spread the holders over the slots: fewer failed writes
    now = int(time.time())
    for slot in order:
        lease_id = f"{prefix}-{slot}"
        try:
            _hold(
                dynamodb,
                table,
                lease_id,
                _TAKE_IF_FREE,
                holder=holder,
                execution=execution,
                until=now + seconds,
                now=now,
            )
            return lease_id
        except ClientError as err:
            if not _conditional_failed(err):
                raise
    raise SlotsBusy(f"all {slots} slots of {prefix} are held")


class LeaseHeld(WikilakeError):
    """The named lease is held by someone else."""


def take(dynamodb, table: str, lease_id: str, *, holder: str, execution: str, seconds: int) -> None:
    """Hold the lease ``lease_id`` for ``seconds`` (again, if ``holder`` holds it already: a
    retried take is no error); LeaseHeld naming the holder and its expiry otherwise."""
    now = int(time.time())
    try:
        _hold(
            dynamodb,
            table,
            lease_id,
            f"{_TAKE_IF_FREE} OR #holder = :holder",
            holder=holder,
            execution=execution,
            until=now + seconds,
            now=now,
        )
    except ClientError as err:
        if not _conditional_failed(err):
            raise
        item = dynamodb.get_item(TableName=table, Key={LEASE_ID: {"S": lease_id}}, ConsistentRead=True).get("Item", {})
        held_by = item.get(EXECUTION, {}).get("S", "another holder")
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(item.get(EXPIRES_AT, {}).get("N", now))))
        raise LeaseHeld(f"{lease_id} is held by {held_by} (until {until} at the latest)") from None


def release(dynamodb, table: str, lease_id: str, *, holder: str) -> bool:
    """Give the slot back if ``holder`` still holds it; False if its hold had lapsed and moved on."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={LEASE_ID: {"S": lease_id}},
            ConditionExpression="#holder = :holder",
            ExpressionAttributeNames={"#holder": HOLDER},
            ExpressionAttributeValues={":holder": {"S": holder}},
        )
    except ClientError as err:
        if not _conditional_failed(err):
            raise
        return False
    return True
