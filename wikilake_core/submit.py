"""How a dataset's job is submitted for one dt: the single place its command line lives.

The EMR step the ProcessingStack declares and the one `wikilake run` submits are built here, from
the same job arguments a local run passes, so they always agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from wikilake_core import datasets, layout
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError

# A failed step must not tear down an interactive cluster (other steps and SSH debugging still
# need it); auto-termination reclaims it when idle.
ACTION_ON_FAILURE = "CONTINUE"


@dataclass(frozen=True)
class JobScripts:
    """Where the deployed job code is: the package zip (for --py-files) and one entrypoint per dataset."""

    package_url: str
    entrypoint_urls: dict[str, str]


def parse_step_spec(spec: str) -> tuple[str, str]:
    """``edits@2015-09-12`` -> ("edits", "2015-09-12")."""
    dataset, sep, date = spec.strip().partition("@")
    if not sep:
        raise WikilakeError(f"bad step {spec!r}: write <dataset>@<YYYY-MM-DD>, e.g. edits@2015-09-12")
    return datasets.get(dataset).name, parse_date(date)


def step_name(dataset: str, dt: str) -> str:
    return f"wikilake {dataset} dt={dt}"


def job_arguments(dataset: str, dt: str, *, root: str, job_options: tuple[str, ...] = ()) -> list[str]:
    """The job's own arguments for (dataset, dt): that day's raw/ partition in, the lake root out."""
    datasets.get(dataset)
    return ["--date", dt, "--input", layout.raw_dir(root, dataset, dt) + "/", "--output-root", root,
            *job_options]


def spark_submit_args(dataset: str, dt: str, *, bucket: str, scripts: JobScripts,
                      job_options: tuple[str, ...] = ()) -> list[str]:
    """``spark-submit`` in cluster mode with the job package, the entrypoint and its arguments."""
    return ["spark-submit", "--deploy-mode", "cluster", "--py-files", scripts.package_url,
            scripts.entrypoint_urls[dataset],
            *job_arguments(dataset, dt, root=f"s3://{bucket}", job_options=job_options)]


def spark_step(dataset: str, dt: str, *, bucket: str, scripts: JobScripts,
               job_options: tuple[str, ...] = (), action_on_failure: str = ACTION_ON_FAILURE) -> dict:
    """The step in the EMR API's shape (boto3 ``add_job_flow_steps`` Steps item)."""
    args = spark_submit_args(dataset, dt, bucket=bucket, scripts=scripts, job_options=job_options)
    return {
        "Name": step_name(dataset, dt),
        "ActionOnFailure": action_on_failure,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }
