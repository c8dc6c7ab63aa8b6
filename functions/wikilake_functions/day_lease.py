"""One writer per (dataset, dt): the state machine's first state takes the day's lease (an item
``day/<dataset>/<dt>`` of the lease table, held by the execution, lapsing after the run's
timeout), and every way out gives it back: the last state on success, the failure path before
it notifies, the reap function when an execution times out or is stopped (no state runs then).

A second execution of a day that is held ends at once with DayBusy naming the execution that
holds it (rather than waiting: a scheduled run and a backfill of the same day would otherwise both
run in full, one after the other; the refused one is visible in `wikilake runs` and the alert).

Event: {"action": "take" | "release", "input": <the execution input>, "started_at":
$$.Execution.StartTime, "execution": $$.Execution.Id}.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wikilake_core.errors import WikilakeError
from wikilake_core.leases import day_lease_id
from wikilake_functions import common, lease
from wikilake_functions.common import InvalidInput
from wikilake_functions.plan import normalize

log = common.logger(__name__)


class DayBusy(WikilakeError):
    """Another execution writes this (dataset, dt)."""


def lease_of(run_input, started_at: str) -> str:
    """The day's lease id for an execution input (a scheduled run's dt from its start)."""
    try:
        run = normalize(run_input, started_at)
    except WikilakeError as err:
        raise InvalidInput(str(err)) from None
    return day_lease_id(run["dataset"], run["dt"])


def take(event: Mapping, env: Mapping[str, str], dynamodb) -> dict:
    lease_id = lease_of(event.get("input"), event["started_at"])
    execution = event["execution"]
    try:
        lease.take(
            dynamodb,
            common.require(env, common.LEASE_TABLE),
            lease_id,
            holder=execution,
            execution=execution,
            seconds=int(common.require(env, common.DAY_LEASE_SECONDS)),
        )
    except lease.LeaseHeld as err:
        raise DayBusy(f"refused: only one run of a day at a time; {err}") from None
    log.info("%s taken by %s", lease_id, execution)
    return {"lease_id": lease_id}


def release(run_input, started_at: str, execution: str, env: Mapping[str, str], dynamodb) -> dict:
    """Give the day back if ``execution`` holds it (never another execution's hold); a bad input
    held nothing."""
    try:
        lease_id = lease_of(run_input, started_at)
    except InvalidInput:
        return {"released": False}
    released = lease.release(dynamodb, common.require(env, common.LEASE_TABLE), lease_id, holder=execution)
    log.info("%s %s by %s", lease_id, "released" if released else "not held", execution)
    return {"lease_id": lease_id, "released": released}


def handle(event: Mapping, env: Mapping[str, str], dynamodb=None) -> dict:
    dynamodb = dynamodb or common.client("dynamodb")
    if event.get("action") == "take":
        return take(event, env, dynamodb)
    return release(event.get("input"), event["started_at"], event["execution"], env, dynamodb)


def handler(event, context):
    return handle(event, os.environ)
