"""The lease table's item shape (stacks/lease_table.py builds it, functions/wikilake_functions/lease.py uses it)."""

LEASE_ID = "lease_id"  # partition key (S): the lease's name, e.g. dumps.wikimedia.org/slot-0
EXPIRES_AT = "expires_at"  # epoch seconds (N): the hold lapses then; the table's TTL attribute
HOLDER = "holder"  # who holds it (S)
EXECUTION = "execution"  # the Step Functions execution the holder works for (S)
DUMPS_SLOTS = "dumps.wikimedia.org/slot"  # download slots: <prefix>-0 .. -<n-1>
DAY_LEASES = "day"  # one writer per day: day/<dataset>/<dt>


def day_lease_id(dataset: str, dt: str) -> str:
    return f"{DAY_LEASES}/{dataset}/{dt}"
