"""Adds the three wikilake stacks for one configuration to an app (or to a delivery Stage),
tagged and wired together."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aspects, Stage, Tags
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.catalog_stack import CatalogStack
from stacks.log_groups import ProviderLogGroups
from stacks.narrowing import default_child
from stacks.processing_stack import ProcessingStack
from stacks.storage_stack import StorageStack
from wikilake_core.run_history import HISTORY_TABLES
from wikilake_settings.config import WikilakeConfig


@dataclass(frozen=True)
class WikilakeStacks:
    storage: StorageStack
    catalog: CatalogStack
    processing: ProcessingStack

    def __iter__(self):
        return iter((self.storage, self.catalog, self.processing))


def add_wikilake(scope: Construct, config: WikilakeConfig) -> WikilakeStacks:
    """``scope``: the app, or a Stage; either way each stack is named as the CLI expects
    (contract.stack_names), not after the Stage's path."""
    names = config.stack_names
    common = {"tags": config.tags, "termination_protection": config.is_prod}
    storage = StorageStack(
        scope,
        names["storage"],
        stack_name=names["storage"],
        config=config,
        **common,
        description="wikilake: data-lake bucket, access logs, job code assets",
    )
    catalog = CatalogStack(
        scope,
        names["catalog"],
        stack_name=names["catalog"],
        config=config,
        data_key=storage.data_key,
        **common,
        description="wikilake: Glue database and tables, Athena workgroup and queries",
    )
    processing = ProcessingStack(
        scope,
        names["processing"],
        stack_name=names["processing"],
        config=config,
        data_key=storage.data_key,
        job_code=storage.job_code,
        # the jobs' tables: the run history (runs, quality) is no job's input or output
        table_names=tuple(t for t in catalog.tables if t not in HISTORY_TABLES),
        **common,
        description="wikilake: EMR cluster, network, IAM, encryption",
    )
    # Bucket, database and tables are named from config, not referenced: state the order.
    catalog.add_stack_dependency(storage)
    processing.add_stack_dependency(catalog)
    stacks = WikilakeStacks(storage, catalog, processing)
    for stack in stacks:
        for key, value in config.tags.items():
            Tags.of(stack).add(key, value)
        Aspects.of(stack).add(ProviderLogGroups(storage.data_key))
    return stacks


class WikilakeStage(Stage):
    """The three stacks of one configuration as a CDK Pipelines stage (stacks/delivery_stack.py).

    Its state machine gets a fixed name, <prefix>-<stage>-pipeline, so the delivery's
    integration step can be granted exactly that state machine and its executions (a generated
    name is known only after the deploy, and a wildcard would also match the other stage's)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: WikilakeConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stacks = add_wikilake(self, config)
        machine = default_child(self.stacks.processing.pipeline.state_machine, sfn.CfnStateMachine)
        machine.state_machine_name = state_machine_name(config)


def state_machine_name(config: WikilakeConfig) -> str:
    return f"{config.name}-pipeline"
