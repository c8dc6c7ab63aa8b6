"""The pipeline functions' own logic (no AWS): dt of a scheduled run, input checks, the manifest
invariants, the run cluster's cost, and that they run on the Lambda runtime (no rich)."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from wikilake_core import runs
from wikilake_core.errors import WikilakeError
from wikilake_functions import plan, record
from wikilake_functions.common import VerificationFailed

MANIFEST = {
    "input_records": 10,
    "valid_records": 8,
    "rejected_records": 2,
    "rows_written": {"pageviews_daily": 5, "projectviews_hourly": 3},
    "hours_missing": [],
}
RUN = runs.execution_input("pageviews", "2024-03-15")


def test_a_scheduled_run_processes_the_previous_utc_day():
    assert runs.scheduled_dt("2026-11-30T04:30:02.123Z") == "2026-11-29"
    assert runs.scheduled_dt("2026-03-01T00:00:00+00:00") == "2026-02-28"
    scheduled = runs.scheduled_input("pageviews")
    assert plan.normalize(scheduled, "2026-11-30T04:30:00Z") == runs.execution_input("pageviews", "2026-11-29")
    assert plan.normalize(RUN, "2026-11-30T04:30:00Z") == RUN  # an explicit dt wins


@pytest.mark.parametrize(
    "bad, message",
    [
        ({}, "the input needs"),
        ({"dataset": "clicks", "dt": "2024-03-15"}, "unknown dataset"),
        ({"dataset": "pageviews", "dt": "2024-02-30"}, "bad date"),
        ("pageviews", "the input needs"),
    ],
)
def test_bad_input_is_refused(bad, message):
    with pytest.raises(WikilakeError, match=message):
        plan.normalize(bad, "2026-11-30T04:30:00Z")


def test_a_good_manifest_passes():
    record.check_manifest(MANIFEST, RUN)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"input_records": 11}, "input_records 11 != valid 8 + rejected 2"),
        ({"rows_written": {"pageviews_daily": 5, "projectviews_hourly": 0}}, "no rows written to projectviews_hourly"),
        ({"rows_written": {"pageviews_daily": 5}}, "no rows written to projectviews_hourly"),
        ({"hours_missing": [3, 4]}, "2 of 24 hours missing (3, 4)"),
        ({"valid_records": None}, "lacks input/valid/rejected"),
    ],
)
def test_each_broken_invariant_is_named(change, message):
    with pytest.raises(VerificationFailed, match=re.escape(message)):
        record.check_manifest({**MANIFEST, **change}, RUN)


def test_missing_hours_pass_when_the_run_allows_them():
    allowed = runs.execution_input("pageviews", "2024-03-15", allow_missing_hours=True)
    record.check_manifest({**MANIFEST, "hours_missing": [23]}, allowed)


class FakeEmr:
    def __init__(self, created, ended=None, normalized=0):
        self.created, self.ended, self.normalized = created, ended, normalized

    def describe_cluster(self, ClusterId):
        timeline = {"CreationDateTime": self.created, **({"EndDateTime": self.ended} if self.ended else {})}
        return {"Cluster": {"Status": {"Timeline": timeline}, "NormalizedInstanceHours": self.normalized}}

    def list_instance_groups(self, ClusterId):
        return {
            "InstanceGroups": [
                {
                    "InstanceType": "m5.xlarge",
                    "Market": "ON_DEMAND",
                    "RequestedInstanceCount": 1,
                    "RunningInstanceCount": 0,
                },
                {
                    "InstanceType": "m5.xlarge",
                    "Market": "ON_DEMAND",
                    "RequestedInstanceCount": 1,
                    "RunningInstanceCount": 0,
                },
            ]
        }


def test_cost_of_the_run_cluster_by_hand():
    start = datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc)
    # 2 x m5.xlarge on demand for 18 minutes: 2 x $0.24 x 0.3 h = $0.144; 2 x 8 x 0.3 = 4.8 normalized
    cost = record.cluster_cost(FakeEmr(start, start + timedelta(minutes=18)), "j-1")
    assert (cost["usd"], cost["normalized_instance_hours"], cost["hours"]) == (0.144, 4.8, 0.3)
    # EMR's own figure wins when it reports one (it rounds each instance up to whole hours)
    assert (
        record.cluster_cost(FakeEmr(start, start + timedelta(minutes=18), normalized=16), "j-1")[
            "normalized_instance_hours"
        ]
        == 16
    )


def test_the_public_dumps_site_needs_a_contact_before_anything_is_fetched():
    run = runs.execution_input("pageviews", "2024-03-15")
    with pytest.raises(WikilakeError, match="dumps.wikimedia.org asks every client for contact information"):
        plan.files_to_ingest(run, {"WIKILAKE_BUCKET": "b"})
