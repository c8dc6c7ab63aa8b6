"""The three things the benchmark times on each input, as the command lines a user would type.

- ``spark``: our job through ``spark-submit --master local[2]`` (exactly what EMR runs, on 2 cores);
- ``duckdb``: the DuckDB peer (``python -m bench.peer``) writing the same tables;
- ``zcat``: decompressing the input to /dev/null (``zcat``, or ``bzcat`` for bzip2 input), the
  floor any reader of the compressed files pays;
- ``floor`` (articles): Spark reading the same files with the job's record delimiter and splits,
  counting records (``read_floor.py``): the job's own read floor, pip pyspark's pure-Java bzip2
  included;
- ``lbzip2`` (bzip2 input): ``lbzip2 -d`` on every core, a parallel decompressor (Debian package
  lbzip2; left out, and said so, where it is not installed).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench import gc_log
from bench.inputs import CachedInput
from wikilake_core import event_logs, job_command
from wikilake_core.paths import SPARK_JOBS_DIR

LOCAL_MASTER = "local[2]"
PEER_THREADS = 2

# spark-submit settings for a single-machine run, documented in docs/performance.md.
# Each is what a user running the job on one machine would also pass (`wikilake local run` sets
# the same shuffle/UI settings); none is a benchmark-only trick.
DEFAULT_SPARK_CONF: dict[str, str] = {
    # Half the 8 GB the DuckDB peer may use (peer.DEFAULT_MEMORY_LIMIT); local mode runs the
    # executor inside the driver. The jobs keep their parsed input on disk and work in slices,
    # so their memory does not grow with the input; 8g was no faster at 1x.
    "spark.driver.memory": "4g",
    # 200 shuffle partitions suit a cluster; on 2 cores they are 200 tiny tasks per shuffle.
    "spark.sql.shuffle.partitions": "4",
    # No web UI or console progress bar for a batch run on one machine.
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


@dataclass(frozen=True)
class Engine:
    name: str  # "spark" | "duckdb" | "zcat"
    label: str
    # The process whose peak RSS is quoted ("java": the JVM, not the Python driver it launches);
    # None: the largest process of the tree.
    memory_process: str | None = None
    writes_tables: bool = True
    spark_conf: dict[str, str] = field(default_factory=dict)
    jobs_dir: Path = SPARK_JOBS_DIR  # another folder benchmarks a modified copy of the jobs
    # Only inputs of these datasets (None: every input).
    datasets: tuple[str, ...] | None = None
    # Only inputs whose files all end so (None: any).
    suffix: str | None = None

    def applies(self, data: CachedInput) -> bool:
        return (self.datasets is None or data.dataset in self.datasets) and (
            self.suffix is None or all(f.name.endswith(self.suffix) for f in data.files)
        )

    @property
    def runs_spark(self) -> bool:
        return self.name in ("spark", "floor")

    def argv(self, data: CachedInput, output_root: Path) -> list[str]:
        if self.name == "spark":
            return spark_submit_argv(data, output_root, self.spark_conf, self.jobs_dir)
        if self.name == "floor":
            return read_floor_argv(data, output_root, self.spark_conf)
        if self.name == "lbzip2":
            return [
                "sh",
                "-c",
                f'exec lbzip2 -d -c -n {PEER_THREADS} -- "$@" > /dev/null',
                "lbzip2",
                *map(str, data.files),
            ]
        if self.name == "duckdb":
            # The peer takes the job's own arguments (one input glob, no run id), plus its threads.
            arguments = job_command.job_arguments(
                data.dataset, data.dt, inputs=[data.glob], output_root=str(output_root)
            )
            return [sys.executable, "-m", "bench.peer", data.dataset, *arguments, "--threads", str(PEER_THREADS)]
        if self.name == "zcat":
            tool = "bzcat" if all(f.suffix == ".bz2" for f in data.files) else "zcat"
            return ["sh", "-c", f'exec {tool} -- "$@" > /dev/null', tool, *map(str, data.files)]
        raise ValueError(f"unknown engine {self.name!r}")


def event_log_dir(output_root: Path) -> Path:
    """Where a Spark run of the bench writes its event log (its stage timings)."""
    return output_root / "eventlog"


def gc_log_path(output_root: Path) -> Path:
    """Where a Spark run of the bench writes its JVM's GC log (its heap after each collection)."""
    return output_root / "gc.log"


def _local_spark_submit(entry_point: Path, arguments: list[str], output_root: Path, conf: dict[str, str]) -> list[str]:
    """spark-submit of this venv on ``LOCAL_MASTER``, through the builder every runner uses."""
    launcher = shutil.which(job_command.SPARK_SUBMIT, path=str(Path(sys.executable).parent)) or job_command.SPARK_SUBMIT
    # The event log gives the bench each Spark job's and stage's time, at the cost of a small file
    # (the same settings as every run's: wikilake_core/event_logs.py); the GC log, the heap each
    # collection left (bench/gc_log.py): one line per pause.
    logged = gc_log.with_gc_log(
        {**conf, **event_logs.settings(event_log_dir(output_root).as_uri())}, gc_log_path(output_root)
    )
    return job_command.spark_submit_argv(
        str(entry_point), arguments, launcher=launcher, options=("--master", LOCAL_MASTER), properties=logged.items()
    )


def read_floor_argv(data: CachedInput, output_root: Path, conf: dict[str, str]) -> list[str]:
    return _local_spark_submit(Path(__file__).with_name("read_floor.py"), ["--input", data.glob], output_root, conf)


def spark_submit_argv(
    data: CachedInput, output_root: Path, conf: dict[str, str], jobs_dir: Path = SPARK_JOBS_DIR
) -> list[str]:
    """Our job on ``data``: the job's own arguments as every runner builds them (no run id: the job
    makes one, which the bench finds under run-manifests/)."""
    arguments = job_command.job_arguments(data.dataset, data.dt, inputs=[data.glob], output_root=str(output_root))
    return _local_spark_submit(jobs_dir / f"{data.dataset}.py", arguments, output_root, conf)


def spark_env(python_path: Path | None = None) -> dict[str, str]:
    """The environment of a run: the venv's Python for the driver and any workers, and
    ``python_path`` first on PYTHONPATH when timing jobs from another folder."""
    env = dict(os.environ)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    return env


def lbzip2_installed() -> bool:
    return shutil.which("lbzip2") is not None


def engines(spark_conf: dict[str, str] | None = None, jobs_dir: Path = SPARK_JOBS_DIR) -> tuple[Engine, ...]:
    conf = {**DEFAULT_SPARK_CONF, **(spark_conf or {})}
    found = [
        Engine("spark", f"spark-submit {LOCAL_MASTER}", memory_process="java", spark_conf=conf, jobs_dir=jobs_dir),
        Engine("duckdb", f"duckdb peer ({PEER_THREADS} threads)"),
        Engine("zcat", "zcat|bzcat > /dev/null", writes_tables=False),
        Engine(
            "floor",
            f"spark read floor {LOCAL_MASTER}",
            memory_process="java",
            writes_tables=False,
            spark_conf=conf,
            datasets=("articles",),
        ),
    ]
    if lbzip2_installed():
        found.append(Engine("lbzip2", f"lbzip2 -d -n {PEER_THREADS} > /dev/null", writes_tables=False, suffix=".bz2"))
    return tuple(found)
