"""The EMR step that runs one dataset's job for one date: the single place its command line lives.

Used by the ProcessingStack (steps declared in context) and by `wikilake run`, so what the
stack declares and what the CLI submits are the same step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spark_jobs import lake_layout
from wikilake.errors import WikilakeError

# A failed step must not tear down the cluster (other steps and SSH debugging still need it);
# auto-termination reclaims an idle cluster.
ACTION_ON_FAILURE = "CONTINUE"


@dataclass(frozen=True)
class JobScripts:
    """Where the deployed job code is: the package zip (for --py-files) and one entrypoint per dataset."""

    package_url: str
    entrypoint_urls: dict[str, str]


def parse_date(text: str) -> str:
    try:
        return datetime.strptime(text, lake_layout.DATE_FORMAT).strftime(lake_layout.DATE_FORMAT)
    except ValueError:
        raise WikilakeError(f"bad date {text!r}: use YYYY-MM-DD, e.g. 2015-09-12") from None


def check_dataset(dataset: str) -> str:
    if dataset not in lake_layout.DATASETS:
        raise WikilakeError(
            f"unknown dataset {dataset!r}: choose one of {', '.join(lake_layout.DATASETS)}"
        )
    return dataset


def parse_step_spec(spec: str) -> tuple[str, str]:
    """``edits@2015-09-12`` -> ("edits", "2015-09-12")."""
    dataset, sep, date = spec.strip().partition("@")
    if not sep:
        raise WikilakeError(f"bad step {spec!r}: write <dataset>@<YYYY-MM-DD>, e.g. edits@2015-09-12")
    return check_dataset(dataset), parse_date(date)


def step_name(dataset: str, dt: str) -> str:
    return f"wikilake {dataset} dt={dt}"


def spark_step(
    dataset: str,
    dt: str,
    *,
    bucket: str,
    scripts: JobScripts,
    job_options: tuple[str, ...] = (),
) -> dict:
    """The step in the EMR API's shape (boto3 ``add_job_flow_steps`` Steps item)."""
    check_dataset(dataset)
    root = f"s3://{bucket}"
    args = [
        "spark-submit",
        "--deploy-mode", "cluster",
        "--py-files", scripts.package_url,
        scripts.entrypoint_urls[dataset],
        "--date", dt,
        "--input", lake_layout.raw_dir(root, dataset, dt) + "/",
        "--output-root", root,
        *job_options,
    ]
    return {
        "Name": step_name(dataset, dt),
        "ActionOnFailure": ACTION_ON_FAILURE,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }
