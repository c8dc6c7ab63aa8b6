"""CatalogStack: the Glue database and tables (from athena_ddl/tables), the Athena workgroup and
the named queries (from athena_ddl/queries). The DDL files are the single source of truth.

The processed tables have no partition projection: a day's partition exists only once a run of it
is verified, registered (and later repointed) by the record function at that run's folder, so
Athena never sees a day being written (functions/wikilake_functions/publish.py, docs/atomic-days.md). The run
history tables (runs, quality) are projected on their DDL's location template: their files, the
day's manifest and checks, are written only when a day is published."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.lake_bucket import import_lake_bucket
from stacks.storage_stack import removal_policy
from wikilake_core import datasets, layout
from wikilake_core.contract import Outputs
from wikilake_core.ddl import LOCATION_TEMPLATE, Column, NamedQuery, TableDef, load_queries, load_tables
from wikilake_core.errors import WikilakeError
from wikilake_settings.config import WikilakeConfig

ATHENA_ENGINE = "Athena engine version 3"
# Java (SimpleDateFormat) spelling of dates.DATE_FORMAT, which Athena projection expects.
PROJECTION_DATE_FORMAT = "yyyy-MM-dd"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
# (STORED AS, ROW FORMAT SERDE) -> Glue's storage descriptor. JSON: the Hive JSON SerDe, whose
# results Athena documents as deterministic (the OpenX SerDe's "can be non-deterministic",
# docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html).
DATA_FORMATS = {
    ("parquet", None): glue.DataFormat.PARQUET,
    ("textfile", HIVE_JSON_SERDE): glue.DataFormat(
        input_format=glue.InputFormat.TEXT,
        output_format=glue.OutputFormat.HIVE_IGNORE_KEY_TEXT,
        serialization_library=glue.SerializationLibrary.HIVE_JSON,
    ),
}
# Partition keys other than dt that tables are projected on: their values.
ENUM_PARTITION_KEYS = {"dataset": datasets.DATASETS}


def construct_name(snake: str) -> str:
    """edits_by_channel -> EditsByChannel."""
    return "".join(part.title() for part in snake.split("_"))


def glue_column(column: Column) -> glue.Column:
    # The DDL already spells Hive/Glue type names; complex types (array<...>) are not primitive.
    return glue.Column(name=column.name, type=glue.Schema.custom(column.type, is_primitive="<" not in column.type))


def location_template(table: TableDef, bucket_name: str) -> str:
    """The table's own template (a table property of its DDL): where a partition's files are."""
    return f"s3://{bucket_name}/{table.partition_template}"


class CatalogStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: WikilakeConfig, data_key: kms.IKey | None, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = import_lake_bucket(self, config)
        # aws-cdk-lib defaults glue.Database to RETAIN: a database left by `cdk destroy` in dev
        # would block the next deploy of the stage on its fixed name.
        self.database = glue.Database(
            self,
            "Database",
            database_name=config.database_name,
            description=f"{config.name}: Wikipedia dumps processed by EMR",
            removal_policy=removal_policy(config),
        )
        self.tables = {name: self._table(table, config, bucket) for name, table in load_tables().items()}
        self.workgroup = self._workgroup(config, bucket, data_key)
        for query in load_queries().values():
            self._named_query(query, config)
        CfnOutput(self, Outputs.DATABASE, value=config.database_name, description="Glue database")
        CfnOutput(self, Outputs.WORKGROUP, value=self.workgroup.name, description="Athena workgroup")

    def _table(self, table: TableDef, config: WikilakeConfig, bucket: s3.IBucket) -> glue.S3Table:
        data_format = DATA_FORMATS.get((table.stored_as, table.serde))
        if data_format is None:
            raise WikilakeError(
                f"table {table.name}: STORED AS {table.stored_as} with SerDe {table.serde} is not supported; "
                f"use PARQUET, or TEXTFILE with ROW FORMAT SERDE '{HIVE_JSON_SERDE}'"
            )
        # Projected: the history tables only, whose template names files written at publish time.
        keys = [key.name for key in table.partition_keys]
        projected = bool(table.partition_template)
        projection = {key: self._projection(key, config) for key in keys} if projected else None
        properties = {k: v for k, v in table.properties if k != LOCATION_TEMPLATE}
        template = {LOCATION_TEMPLATE: location_template(table, bucket.bucket_name)} if projected else {}
        return glue.S3Table(
            self,
            f"{construct_name(table.name)}Table",
            table_name=table.name,
            description=table.description or table.name,
            database=self.database,
            columns=[glue_column(column) for column in table.columns],
            partition_keys=[glue_column(column) for column in table.partition_keys],
            data_format=data_format,
            storage=glue.S3TableStorage.from_bucket(bucket),
            s3_prefix=table.prefix,
            has_encrypted_data=False,  # server-side encryption only: Athena needs no client-side keys
            parameters={**properties, **template},
            partition_projection=projection,
        )

    @staticmethod
    def _projection(key: str, config: WikilakeConfig) -> glue.PartitionProjectionConfiguration:
        if key == layout.PARTITION_KEY:
            return glue.PartitionProjectionConfiguration.date(
                min=config.projection_start_date,
                max="NOW",
                format=PROJECTION_DATE_FORMAT,
                step=glue.DateProjectionStep(interval=1, interval_unit=glue.DateIntervalUnit.DAYS),
            )
        if key not in ENUM_PARTITION_KEYS:
            raise WikilakeError(f"partition key {key!r} has no projection; known: dt, {', '.join(ENUM_PARTITION_KEYS)}")
        return glue.PartitionProjectionConfiguration.enum(values=list(ENUM_PARTITION_KEYS[key]))

    def _workgroup(self, config: WikilakeConfig, bucket: s3.IBucket, data_key: kms.IKey | None) -> athena.CfnWorkGroup:
        encryption = (
            athena.CfnWorkGroup.EncryptionConfigurationProperty(
                encryption_option="SSE_KMS",
                kms_key=data_key.key_arn,
            )
            if data_key
            else athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
        )
        return athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=config.name,
            description=f"{config.name}: queries over the {config.database_name} tables",
            state="ENABLED",
            recursive_delete_option=True,  # destroy removes the workgroup even after it has run queries
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=config.athena_bytes_scanned_cutoff,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ATHENA_ENGINE),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{bucket.bucket_name}/{layout.ATHENA_RESULTS}/",
                    encryption_configuration=encryption,
                    expected_bucket_owner=self.account,
                ),
            ),
        )

    def _named_query(self, query: NamedQuery, config: WikilakeConfig) -> None:
        named_query = athena.CfnNamedQuery(
            self,
            f"{construct_name(query.name)}Query",
            name=query.name,
            description=query.description or query.name,
            database=config.database_name,
            query_string=query.sql,
            work_group=self.workgroup.ref,
        )
        named_query.node.add_dependency(self.database)
