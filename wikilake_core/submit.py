"""How a dataset's job is submitted for one dt: the single place its command line lives.

`job_submit` builds one JobSubmit (entry point, `--py-files` package, job arguments, Spark
properties); it renders as the EMR-on-EC2 step's `spark-submit` argv and as the EMR Serverless
job run's `jobDriver.sparkSubmit`, so the two runtimes run the same command. The EMR step the
ProcessingStack declares and the one `wikilake run` submits are built here; the command line
itself comes from wikilake_core.job_command, the builder a local run and the bench use too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wikilake_core import datasets, event_logs, job_command, layout
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError
from wikilake_core.job_command import RUN_ID_OPTION

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


def run_id_of(args: Sequence[str]) -> str | None:
    """The run id a step's arguments pass to the job (the value after the last RUN_ID_OPTION)."""
    positions = [i for i, arg in enumerate(args) if arg == RUN_ID_OPTION]
    return args[positions[-1] + 1] if positions and positions[-1] + 1 < len(args) else None


def job_arguments(
    dataset: str, dt: str, *, root: str, run_id: str | None = None, job_options: tuple[str, ...] = ()
) -> list[str]:
    """The job's own arguments for (dataset, dt) on a lake: that day's raw/ partition in, the lake
    root out."""
    return job_command.job_arguments(
        dataset,
        dt,
        inputs=[layout.raw_dir(root, dataset, dt) + "/"],
        output_root=root,
        run_id=run_id,
        job_options=job_options,
    )


@dataclass(frozen=True)
class JobSubmit:
    """One job run's submit parameters, whatever runs it.

    ``cluster_properties`` (the run's event log, wikilake_core/event_logs.py) go only to EMR on
    EC2; ``serverless_properties`` (the driver/executor sizes of the dataset) only to EMR
    Serverless, where nothing else sizes the workers: on EMR on EC2 the instance types do (EMR's
    per-instance-type defaults), and forcing these sizes there could ask for more memory than a
    default m5.xlarge node offers YARN.
    """

    name: str
    entry_point: str
    py_files: str
    arguments: tuple[str, ...]
    cluster_properties: tuple[tuple[str, str], ...] = ()
    serverless_properties: tuple[tuple[str, str], ...] = ()

    def spark_submit_argv(self) -> list[str]:
        """``spark-submit`` in cluster mode (EMR on EC2, through command-runner.jar)."""
        return job_command.spark_submit_argv(
            self.entry_point,
            self.arguments,
            options=("--deploy-mode", "cluster"),
            py_files=self.py_files,
            properties=self.cluster_properties,
        )

    def serverless_spark_submit_parameters(self) -> str:
        """EMR Serverless takes the options before the entry point as one string: spark-submit's
        argv between the launcher and the entry point."""
        argv = job_command.spark_submit_argv(
            self.entry_point, (), py_files=self.py_files, properties=self.serverless_properties
        )
        return " ".join(argv[1:-1])

    def serverless_job(self) -> dict:
        """The job run's fields as the pipeline's plan hands them to the StartJobRun task
        (stacks/serverless_job.py puts them into JobDriver.SparkSubmit)."""
        driver = self.serverless_job_driver()["sparkSubmit"]
        return {
            "name": self.name,
            "entry_point": driver["entryPoint"],
            "arguments": driver["entryPointArguments"],
            "spark_submit_parameters": driver["sparkSubmitParameters"],
        }

    def serverless_job_driver(self) -> dict:
        """``jobDriver`` of emr-serverless StartJobRun, in the EMR Serverless API's (boto3's) names."""
        return {
            "sparkSubmit": {
                "entryPoint": self.entry_point,
                "entryPointArguments": list(self.arguments),
                "sparkSubmitParameters": self.serverless_spark_submit_parameters(),
            }
        }


def size_properties(dataset: str, max_executors: int | None = None) -> tuple[tuple[str, str], ...]:
    """The dataset's driver/executor sizes as Spark properties (EMR Serverless workers); a run the
    pipeline sized (wikilake_core/run_sizing.py) brings its own ``max_executors``."""
    size = datasets.get(dataset).size
    return (
        ("spark.driver.cores", str(size.driver_vcpu)),
        ("spark.driver.memory", f"{size.driver_memory_gb}g"),
        ("spark.executor.cores", str(size.executor_vcpu)),
        ("spark.executor.memory", f"{size.executor_memory_gb}g"),
        ("spark.dynamicAllocation.maxExecutors", str(max_executors or size.max_executors)),
    )


def job_submit(
    dataset: str,
    dt: str,
    *,
    bucket: str,
    scripts: JobScripts,
    run_id: str | None = None,
    job_options: tuple[str, ...] = (),
    max_executors: int | None = None,
) -> JobSubmit:
    """The one builder: (dataset, dt) on the lake ``bucket`` with the deployed job code; the
    pipeline passes its ``run_id`` (None: the job makes one)."""
    root = f"s3://{bucket}"
    return JobSubmit(
        name=step_name(dataset, dt),
        entry_point=scripts.entrypoint_urls[dataset],
        py_files=scripts.package_url,
        arguments=tuple(job_arguments(dataset, dt, root=root, run_id=run_id, job_options=job_options)),
        cluster_properties=tuple(event_logs.run_settings(root, dataset, dt, run_id).items()),
        serverless_properties=size_properties(dataset, max_executors),
    )


def spark_step(
    dataset: str,
    dt: str,
    *,
    bucket: str,
    scripts: JobScripts,
    run_id: str | None = None,
    job_options: tuple[str, ...] = (),
    action_on_failure: str = ACTION_ON_FAILURE,
) -> dict:
    """The step in the EMR API's shape (boto3 ``add_job_flow_steps`` Steps item): ``spark-submit``
    in cluster mode with the job package, the entrypoint and its arguments."""
    submit = job_submit(dataset, dt, bucket=bucket, scripts=scripts, run_id=run_id, job_options=job_options)
    args = submit.spark_submit_argv()
    return {
        "Name": step_name(dataset, dt),
        "ActionOnFailure": action_on_failure,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }
