"""The release-label table, the pinned pyspark and the cdk.json default agree."""

import re

from wikilake_core.paths import PROJECT_ROOT
from wikilake_core.release_labels import DEFAULT_RELEASE_LABEL, RELEASES

from .conftest import cdk_context


def test_pinned_pyspark_is_the_default_releases_spark():
    pinned = re.search(r"^pyspark==(\S+)", (PROJECT_ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert pinned == RELEASES[DEFAULT_RELEASE_LABEL].spark_version == "3.5.6"


def test_cdk_json_defaults_to_the_default_release():
    assert cdk_context()["release_label"] == DEFAULT_RELEASE_LABEL == "emr-7.13.0"


def test_every_release_names_its_python():
    for release in RELEASES.values():
        assert re.fullmatch(r"/usr/bin/python3\.\d+", release.python)


def spark_requirement(path) -> str:
    return re.search(r"^pyspark==(\S+)$", path.read_text(), re.M).group(1)


def test_every_release_has_the_requirements_of_its_spark_line():
    """`make test` builds a venv per Spark line from requirements/spark-<version>.txt (the Makefile
    lists the lines from RELEASES): each pins its own pyspark, and nothing else is left over."""
    lines = {release.spark_version for release in RELEASES.values()}
    files = {path.name: path for path in (PROJECT_ROOT / "requirements").glob("spark-*.txt")}
    assert sorted(files) == sorted(f"spark-{version}.txt" for version in lines)
    for version in lines:
        assert spark_requirement(files[f"spark-{version}.txt"]) == version
    default = RELEASES[DEFAULT_RELEASE_LABEL].spark_version
    assert spark_requirement(PROJECT_ROOT / "requirements.txt") == default


# What each release ships, from AWS's EMR release guide (per-release "application versions" tables,
# checked 2026-12-04, /work/shared/specs/aws-facts.md): emr-spark-8.0.0 has no Hadoop application;
# emr-7.x lists Hadoop, Spark and the rest (only the ones this project could ask for are listed here).
SHIPPED_APPLICATIONS = {
    "emr-7.13.0": {"Hadoop", "Spark", "Hive", "Iceberg", "Livy", "JupyterEnterpriseGateway", "Delta", "Hudi"},
    "emr-spark-8.0.0": {
        "AmazonCloudWatchAgent",
        "Delta",
        "Hudi",
        "Iceberg",
        "JupyterEnterpriseGateway",
        "Livy",
        "Spark",
    },
}


def test_every_release_asks_only_for_applications_it_ships(templates):
    """The RunJobFlow request each synthesized state machine sends: variant `default` runs
    emr-7.13.0 and `byo` emr-spark-8.0.0, so together they cover every supported release."""
    from .conftest import variant_config
    from .test_pipeline import definition

    assert set(RELEASES) == set(SHIPPED_APPLICATIONS)
    covered = set()
    for variant in ("default", "byo"):
        label = variant_config(variant).release.label
        create = definition(templates(variant, "processing"))["States"]["CreateCluster"]["Parameters"]
        assert create["ReleaseLabel"] == label
        asked = {app["Name"] for app in create["Applications"]}
        assert "Spark" in asked and asked <= SHIPPED_APPLICATIONS[label], (label, asked)
        covered.add(label)
    assert covered == set(RELEASES)
