"""The code the cluster runs, shipped as CDK file assets (uploaded by `cdk deploy`, no Lambda).

- the job code as a zip whose root holds `spark_jobs/` and the `wikilake_core/` it imports (for
  spark-submit --py-files),
- each dataset's entrypoint `spark_jobs/<dataset>.py`,
- `athena_ddl/` as a zip (for the CLI and for anyone recreating the catalog by hand),
- the EMR bootstrap script that makes sure the cluster's Python exists.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from wikilake_core.datasets import DATASETS
from wikilake_core.paths import CORE_DIR, DDL_DIR, PROJECT_ROOT, SPARK_JOBS_DIR
from wikilake_core.submit import JobScripts

ENSURE_PYTHON_SCRIPT = Path(__file__).parent / "emr_bootstrap" / "ensure_python.sh"


def keep_only(folders: tuple[str, ...], suffix: str) -> list[str]:
    """Asset exclude globs (CDK GLOB mode: minimatch, matchBase, last match wins, `!` re-includes)
    that keep only ``<folder>/**/*<suffix>`` of the project root for each folder: hidden files,
    caches and every other top-level entry stay out, and excluded directories are not walked."""
    return [
        "*",
        ".*",
        *(
            glob
            for folder in folders
            for glob in (
                f"!{folder}",
                f"!{folder}/**",
                f"{folder}/**/*.*",
                f"!{folder}/**/*{suffix}",
                f"{folder}/**/__pycache__",
            )
        ),
    ]


class JobCode(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        job_code = tuple(d.relative_to(PROJECT_ROOT).as_posix() for d in (SPARK_JOBS_DIR, CORE_DIR))
        self.package = s3_assets.Asset(
            self, "SparkJobsPackage", path=str(PROJECT_ROOT), exclude=keep_only(job_code, ".py")
        )
        self.entrypoints = {
            dataset: s3_assets.Asset(self, f"{dataset.title()}Entrypoint", path=str(SPARK_JOBS_DIR / f"{dataset}.py"))
            for dataset in DATASETS
        }
        self.ddl = s3_assets.Asset(
            self,
            "AthenaDdl",
            path=str(PROJECT_ROOT),
            exclude=keep_only((DDL_DIR.relative_to(PROJECT_ROOT).as_posix(),), ".sql"),
        )
        self.ensure_python = s3_assets.Asset(self, "EnsurePythonScript", path=str(ENSURE_PYTHON_SCRIPT))

    @property
    def scripts(self) -> JobScripts:
        return JobScripts(
            package_url=self.package.s3_object_url,
            entrypoint_urls={dataset: asset.s3_object_url for dataset, asset in self.entrypoints.items()},
        )

    def grant_cluster_read(self, role: iam.IRole) -> None:
        """GetObject on exactly the objects the cluster reads: no bucket listing, no other keys."""
        self._grant_read(role, [self.package, *self.entrypoints.values(), self.ensure_python])

    def grant_job_read(self, role: iam.IRole) -> None:
        """The same for an EMR Serverless job run: the package and the entrypoints (no bootstrap)."""
        self._grant_read(role, [self.package, *self.entrypoints.values()])

    @staticmethod
    def _grant_read(role: iam.IRole, objects: list[s3_assets.Asset]) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadJobCode",
                actions=["s3:GetObject"],
                resources=[asset.bucket.arn_for_objects(asset.s3_object_key) for asset in objects],
            )
        )
