"""Runs of a day: a run's id (the name of its run-scoped folders) and what the day's manifest says
about the live run. The day's manifest is the pointer: it exists only for a published run, names
it (``run_id``) and carries its run record (``run``: status SUCCEEDED once verified).

Shared by the jobs (run ids), the local runner and the record function (publishing), the local
query engine (reading the live run) and `wikilake backfill` (which days are built).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone

from wikilake_core.errors import WikilakeError

RUN_ID = "run_id"  # manifest field: the run whose folders hold the day's files
RUN_RECORD = "run"  # manifest field: the run record the publisher adds
SUCCEEDED = "SUCCEEDED"
# A Step Functions execution name (the pipeline's run id) is 1-80 of these; local ids fit too.
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id: its UTC start and 6 random hex digits (sortable, no collision in practice)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id or ""):
        raise WikilakeError(f"bad run id {run_id!r}: 1-80 letters, digits, '-' or '_'")
    return run_id


def live_run_id(day_manifest: Mapping | None) -> str | None:
    """The run the day's manifest publishes; None for no manifest or one of the older in-place
    layout (no run id: the day's files sit directly under dt=)."""
    return (day_manifest or {}).get(RUN_ID) or None


def is_built(day_manifest: Mapping | None) -> bool:
    """A day counts as built only when its manifest records a run that succeeded (verified)."""
    record = (day_manifest or {}).get(RUN_RECORD)
    return isinstance(record, Mapping) and record.get("status") == SUCCEEDED
