"""Where the project's own folders are in a checkout (the stacks ship them; the CLI reads them)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DDL_DIR = PROJECT_ROOT / "athena_ddl"
SPARK_JOBS_DIR = PROJECT_ROOT / "spark_jobs"
CORE_DIR = PROJECT_ROOT / "wikilake_core"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
