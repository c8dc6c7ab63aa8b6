"""CatalogStack: the Glue database and tables (from athena_ddl/tables), the Athena workgroup and
the named queries (from athena_ddl/queries). The DDL files are the single source of truth.

The tables have no partition projection: a day's partition exists only once a run of it is
verified, registered (and later repointed) by the record function at that run's folder, so
Athena never sees a day being written (wikilake/pipeline/publish.py, docs/atomic-days.md)."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import WikilakeConfig
from stacks.lake_bucket import import_lake_bucket
from stacks.storage_stack import removal_policy
from wikilake_core import layout
from wikilake_core.contract import Outputs
from wikilake_core.ddl import Column, NamedQuery, TableDef, load_queries, load_tables
from wikilake_core.errors import WikilakeError

ATHENA_ENGINE = "Athena engine version 3"
DATA_FORMATS = {"parquet": glue.DataFormat.PARQUET}


def construct_name(snake: str) -> str:
    """edits_by_channel -> EditsByChannel."""
    return "".join(part.title() for part in snake.split("_"))


def glue_column(column: Column) -> glue.Column:
    # The DDL already spells Hive/Glue type names; complex types (array<...>) are not primitive.
    return glue.Column(name=column.name, type=glue.Schema.custom(column.type, is_primitive="<" not in column.type))


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
        if table.stored_as not in DATA_FORMATS:
            raise WikilakeError(f"table {table.name}: STORED AS {table.stored_as} is not supported; use PARQUET")
        return glue.S3Table(
            self,
            f"{construct_name(table.name)}Table",
            table_name=table.name,
            description=table.description or table.name,
            database=self.database,
            columns=[glue_column(column) for column in table.columns],
            partition_keys=[glue_column(column) for column in table.partition_keys],
            data_format=DATA_FORMATS[table.stored_as],
            storage=glue.S3TableStorage.from_bucket(bucket),
            s3_prefix=table.prefix,
            has_encrypted_data=False,  # server-side encryption only: Athena needs no client-side keys
            parameters=dict(table.properties),
        )

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
