"""Adds the three wikilake stacks for one configuration to an app, tagged and wired together."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Aspects, Tags

from stacks.catalog_stack import CatalogStack
from stacks.config import WikilakeConfig
from stacks.log_groups import ProviderLogGroups
from stacks.processing_stack import ProcessingStack
from stacks.storage_stack import StorageStack
from wikilake_core.run_history import HISTORY_TABLES


@dataclass(frozen=True)
class WikilakeStacks:
    storage: StorageStack
    catalog: CatalogStack
    processing: ProcessingStack

    def __iter__(self):
        return iter((self.storage, self.catalog, self.processing))


def add_wikilake(app: App, config: WikilakeConfig) -> WikilakeStacks:
    names = config.stack_names
    common = {"tags": config.tags, "termination_protection": config.is_prod}
    storage = StorageStack(
        app,
        names["storage"],
        config=config,
        **common,
        description="wikilake: data-lake bucket, access logs, job code assets",
    )
    catalog = CatalogStack(
        app,
        names["catalog"],
        config=config,
        data_key=storage.data_key,
        **common,
        description="wikilake: Glue database and tables, Athena workgroup and queries",
    )
    processing = ProcessingStack(
        app,
        names["processing"],
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
