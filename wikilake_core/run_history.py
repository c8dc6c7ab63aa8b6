"""The run history: every run's manifest is a row of the ``runs`` table, every check of it a row
of the ``quality`` table (athena_ddl/tables/runs.sql, quality.sql; Glue on AWS, DuckDB locally).

What a recorded manifest carries for the ``runs`` table beyond what the job writes (status,
runtime, compute and cost), the ``quality`` rows, and their one-line JSON: Athena's JSON SerDes
read one document per line, never a pretty-printed one ("The SerDe expects each JSON document to
be on a single line of text", docs.aws.amazon.com/athena/latest/ug/hive-json-serde.html).
Shared by the pipeline's record function, `wikilake local run` and the contract tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from wikilake_core import layout, quality

RUNS_TABLE = "runs"
QUALITY_TABLE = "quality"
HISTORY_TABLES = (RUNS_TABLE, QUALITY_TABLE)  # tables of no dataset: about the runs of all
QUALITY_FILE = "checks.json"

SUCCEEDED = "SUCCEEDED"
QUALITY_FAILED = quality.QUALITY_FAILED
# Where a run ran (the runs table's runtime column).
LOCAL_RUNTIME = "local"
EC2_RUNTIME = "emr-ec2"
SERVERLESS_RUNTIME = "emr-serverless"

_MANIFEST_DT = re.compile(
    rf"(?:^|/){layout.MANIFESTS}/[^/]+/{layout.PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})/{re.escape(layout.MANIFEST_NAME)}$"
)


def encode(document: Mapping) -> str:
    """One JSON document on one line (what the ``runs`` table reads)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def encode_rows(rows: Iterable[Mapping]) -> str:
    return "".join(map(encode, rows))


def run_fields(
    *, status: str, runtime: str, compute_id: str | None, cost: Mapping | None, profile: Mapping | None
) -> dict:
    """The ``runs`` columns a job cannot know: set by whoever records the run (cost None: local;
    profile None: its Spark event log could not be read, wikilake_core/spark_profile.py)."""
    cost = cost or {}
    return {
        "profile": profile,
        "status": status,
        "runtime": runtime,
        "compute_id": compute_id,
        "normalized_instance_hours": cost.get("normalized_instance_hours"),
        "vcpu_hours": cost.get("vcpu_hours"),
        "usd": cost.get("usd"),
    }


def quality_path(root: str, dataset: str, dt: str) -> str:
    """The ``quality`` rows of a (dataset, dt): rewritten with each run of the day."""
    return "/".join([root.rstrip("/"), layout.QUALITY, dataset, layout.partition(dt), QUALITY_FILE])


def history_prefix(dataset: str) -> str:
    """Where a dataset's manifests are, relative to the lake root (``manifests/pageviews/``)."""
    return f"{layout.MANIFESTS}/{dataset}/"


def manifest_dt(path: str) -> str | None:
    """The dt of a day's manifest path or key (``.../manifests/<dataset>/dt=<dt>/manifest.json``),
    None for anything else under manifests/ (a run-scoped copy, a lock file)."""
    match = _MANIFEST_DT.search(path)
    return match[1] if match else None


def read_history(dts: Iterable[str], dt: str, needed: int, load: Callable[[str], Mapping | None]) -> list[Mapping]:
    """The manifests of the ``needed`` latest dts before ``dt`` that count as a baseline (see
    quality.baseline), newest first; ``load(dt)``: that dt's manifest, None if it went away."""
    found: list[Mapping] = []
    for previous in sorted({d for d in dts if d < dt}, reverse=True):
        if len(found) >= needed:
            break
        manifest = load(previous)
        if manifest is not None and quality.is_baseline(manifest, dt):
            found.append(manifest)
    return found


def with_quality(manifest: dict, results: Sequence[quality.Result]) -> dict:
    """The manifest with its checks, their outcome, and QUALITY_FAILED as status if one failed."""
    outcome = quality.outcome(results)
    return {
        **manifest,
        "status": QUALITY_FAILED if outcome == quality.FAIL else manifest.get("status"),
        "quality_status": outcome,
        "quality": [r.row() for r in results],
    }


def check_run(manifest: dict, history: Sequence[Mapping], checks: Sequence[quality.Check]) -> tuple[dict, list]:
    """Evaluate ``checks`` against the history; the manifest with the results, and the results."""
    results = quality.evaluate(checks, manifest, history)
    return with_quality(manifest, results), results


def check_text(row: Mapping) -> str:
    """A failed check of the ``quality`` rows in words: ``rows_pageviews_daily 3,300 not in [...]``."""
    detail = f" ({row['detail']})" if row.get("detail") else ""
    return f"{row['check_name']} {quality.number(row['value'])} not in {row['expected']}{detail}"


def failed_checks(manifest: Mapping, status: str) -> list[str]:
    """The checks of a recorded manifest that ended ``status`` (warn or fail), in words."""
    return [check_text(row) for row in manifest.get("quality") or () if row["status"] == status]


def failure_message(manifest: Mapping) -> str:
    return (
        f"{manifest['dataset']} dt={manifest['dt']}: quality checks failed: "
        f"{'; '.join(failed_checks(manifest, quality.FAIL))} (the data is kept)"
    )


def warning_message(manifest: Mapping) -> str:
    checks = "; ".join(failed_checks(manifest, quality.WARN))
    return f"{manifest['dataset']} dt={manifest['dt']}: quality warning: {checks}"
