"""CatalogStack: Glue tables exactly as the DDL files say, no partition projection, workgroup, queries."""

import re

import pytest

from wikilake_core.datasets import DATASETS
from wikilake_core.paths import DDL_DIR

TABLE_FILES = sorted((DDL_DIR / "tables").glob("*.sql"))
QUERY_FILES = sorted((DDL_DIR / "queries").glob("*.sql"))
BUCKET = {"Fn::Join": ["", ["s3://wikilake-dev-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]}
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEMPLATE = "storage.location.template"


def ddl_reference(path):
    """What the DDL file declares, read with plain regexes (independent of wikilake_core.ddl/sqlglot)."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    body = re.search(r"\((.*?)\)\s*PARTITIONED BY\s*\((.*?)\)", text, re.S)

    def pairs(block: str) -> list[tuple[str, ...]]:
        # a comma inside <...> (map<string,bigint>, struct<a:x,b:array<struct<...>>>) separates no columns
        columns, depth, current = [], 0, ""
        for char in block + ",":
            depth += {"<": 1, ">": -1}.get(char, 0)
            if char == "," and depth == 0:
                columns.append(current.strip())
                current = ""
            else:
                current += char
        return [tuple(col.split()) for col in columns if col]

    serde = re.search(r"ROW FORMAT SERDE\s+'([^']+)'", text)
    return {
        "columns": pairs(body.group(1)),
        "partition_keys": pairs(body.group(2)),
        "location": re.search(r"LOCATION\s+'([^']+)'", text).group(1),
        "properties": dict(re.findall(r"'([^']+)'\s*=\s*'([^']+)'", text.split("TBLPROPERTIES", 1)[1])),
        "serde": serde.group(1) if serde else PARQUET_SERDE,
    }


def glue_tables(templates, variant="default"):
    return {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in templates(variant, "catalog").find_resources("AWS::Glue::Table").values()
    }


def test_one_glue_table_per_ddl_file(templates):
    assert sorted(glue_tables(templates)) == [p.stem for p in TABLE_FILES]


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_glue_table_columns_partitions_and_properties_come_from_the_ddl(templates, path):
    reference = ddl_reference(path)
    table = glue_tables(templates)[path.stem]
    storage = table["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == reference["columns"]
    assert [(c["Name"], c["Type"]) for c in table["PartitionKeys"]] == reference["partition_keys"]
    prefix = reference["location"].replace("s3://${bucket}", "")
    assert storage["Location"] == {"Fn::Join": ["", [*BUCKET["Fn::Join"][1], prefix]]}
    assert storage["SerdeInfo"]["SerializationLibrary"] == reference["serde"]
    for key, value in reference["properties"].items():
        if key != TEMPLATE:  # the bucket goes in: see the projection test
            assert table["Parameters"][key] == value


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_dt_is_not_projected_a_day_exists_once_published(templates, path):
    """Partition projection would show every dt= folder, a day being written included: a day's
    partition is registered by the record function at the verified run's folder instead."""
    parameters = glue_tables(templates)[path.stem]["Parameters"]
    if ddl_reference(path)["properties"].get(TEMPLATE):  # the run history: projected (see below)
        return
    assert not [key for key in parameters if key.startswith("projection.") or key == TEMPLATE]


@pytest.mark.parametrize("name", ["runs", "quality"])
def test_the_run_history_is_projected_daily_and_per_dataset_over_its_template(templates, name):
    """The runs and quality tables read files written only when a day is published (the day's
    manifest, its checks): projection shows no day being written."""
    (path,) = [p for p in TABLE_FILES if p.stem == name]
    parameters = glue_tables(templates)[name]["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"] == "2015-05-01,NOW"
    assert parameters["projection.dt.interval"] == "1"
    assert parameters["projection.dt.interval.unit"] == "DAYS"
    template = ddl_reference(path)["properties"][TEMPLATE].replace("s3://${bucket}", "")
    assert parameters[TEMPLATE] == {"Fn::Join": ["", [*BUCKET["Fn::Join"][1], template]]}
    assert parameters["projection.dataset.type"] == "enum"
    assert parameters["projection.dataset.values"] == ",".join(DATASETS)
    prefix = ddl_reference(path)["location"].replace("s3://${bucket}", "")
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"] == "2015-05-01,NOW"
    assert parameters["projection.dt.interval"] == "1"
    assert parameters["projection.dt.interval.unit"] == "DAYS"
    own = ddl_reference(path)["properties"].get(TEMPLATE)  # the run history's: per dataset too
    template = own.replace("s3://${bucket}", "") if own else prefix + "dt=${dt}/"
    assert parameters[TEMPLATE] == {"Fn::Join": ["", [*BUCKET["Fn::Join"][1], template]]}
    if own:
        assert parameters["projection.dataset.type"] == "enum"
        assert parameters["projection.dataset.values"] == ",".join(DATASETS)


def test_the_run_history_tables_are_json_over_manifests_and_quality(templates):
    tables = glue_tables(templates)
    for name, folder in (("runs", "manifests"), ("quality", "quality")):
        storage = tables[name]["StorageDescriptor"]
        assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
        assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
        assert [k["Name"] for k in tables[name]["PartitionKeys"]] == ["dataset", "dt"]
        assert tables[name]["Parameters"][TEMPLATE]["Fn::Join"][1][-1] == f"/{folder}/${{dataset}}/dt=${{dt}}/"


def test_explicit_bucket_name_reaches_the_table_locations(templates):
    edits = glue_tables(templates, "full")["edits"]
    assert edits["StorageDescriptor"]["Location"] == "s3://wikilake-full-test/processed/edits/"


def test_database_name_is_derived_from_prefix_and_stage(templates):
    templates("default", "catalog").has_resource_properties(
        "AWS::Glue::Database", {"DatabaseInput": {"Name": "wikilake_dev"}}
    )
    templates("full", "catalog").has_resource_properties(
        "AWS::Glue::Database", {"DatabaseInput": {"Name": "full_prod"}}
    )


def workgroup(templates, variant):
    (found,) = templates(variant, "catalog").find_resources("AWS::Athena::WorkGroup").values()
    return found["Properties"]


def test_workgroup_enforces_engine_v3_encrypted_results_cutoff_and_metrics(templates):
    props = workgroup(templates, "default")
    config = props["WorkGroupConfiguration"]
    assert props["RecursiveDeleteOption"] is True
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["BytesScannedCutoffPerQuery"] == 10 * 10**9
    result = config["ResultConfiguration"]
    assert result["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert result["OutputLocation"] == {"Fn::Join": ["", [*BUCKET["Fn::Join"][1], "/athena-results/"]]}


def test_kms_workgroup_encrypts_results_with_the_data_key(templates):
    config = workgroup(templates, "full")["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == 10**9
    encryption = config["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption["EncryptionOption"] == "SSE_KMS"
    assert "Fn::GetStackOutput" in encryption["KmsKey"] or "Fn::ImportValue" in encryption["KmsKey"]


def test_one_named_query_per_query_file(templates):
    queries = templates("default", "catalog").find_resources("AWS::Athena::NamedQuery")
    by_name = {q["Properties"]["Name"]: q["Properties"] for q in queries.values()}
    assert sorted(by_name) == [p.stem for p in QUERY_FILES]
    for path in QUERY_FILES:
        query = by_name[path.stem]
        assert query["QueryString"] == path.read_text()
        assert query["Database"] == "wikilake_dev"
        assert query["WorkGroup"] == {"Ref": "Workgroup"}


def test_catalog_outputs(templates):
    outputs = templates("default", "catalog").to_json()["Outputs"]
    assert outputs["GlueDatabaseName"]["Value"] == "wikilake_dev"
    assert outputs["AthenaWorkgroupName"]["Value"] == "Wikilake-dev"
