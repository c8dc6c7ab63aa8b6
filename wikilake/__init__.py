"""wikilake: CLI, AWS operations, local runner and local query engine."""
from pathlib import Path

__version__ = "0.1.0"  # pyproject.toml reads it from here

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DDL_DIR = PROJECT_ROOT / "athena_ddl"
SPARK_JOBS_DIR = PROJECT_ROOT / "spark_jobs"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
