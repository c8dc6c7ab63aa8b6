"""The docs' tables of synthesized facts read exactly what the app synthesizes, in every test
configuration (tests/infra/conftest.py: the variants, the delivery stack and its two stages):
docs/architecture.md's stack outputs, docs/security.md's cdk-nag acknowledgments and checkov skips.

The facts come from the cloud assembly, not from the stacks' source: outputs from the templates,
acknowledgments from each stack's assembly metadata (``aws:cdk:acknowledged-rules``, where
``Validations.of(c).acknowledge`` records them; stacks/nag.py), checkov skips from .checkov.yaml
and the resources' ``checkov`` metadata. Each table is a generated region of its doc
(tests/doc_regions.py): a row missing, extra or changed fails with the diff; ``make docs-tables``
rewrites the regions.
"""

from __future__ import annotations

import re

import pytest

from tests.doc_regions import check_region
from wikilake_core import layout
from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_core.datasets import DATASETS
from wikilake_core.paths import PROJECT_ROOT
from wikilake_settings.config import WikilakeConfig, delivery_stage_configs

from . import assembly, conditions, doc_tables
from .conftest import DELIVERY_CONTEXT, VARIANTS, cdk_context, variant_config
from .test_cfn_lint import ACCEPTED
from .test_checkov import CHECKOV, CONFIG

ARCHITECTURE = PROJECT_ROOT / "docs" / "architecture.md"
SECURITY = PROJECT_ROOT / "docs" / "security.md"
SOURCE = "the cloud assembly of tests/infra/conftest.py's configurations"


def stack_roles(delivery_stack_name: str) -> dict[str, tuple[str, WikilakeConfig]]:
    """Stack name -> (role, the config it was built from), for every stack the fixture synthesizes."""
    delivery_context = {**cdk_context(), **DELIVERY_CONTEXT}
    configs = [variant_config(variant) for variant in VARIANTS] + list(delivery_stage_configs(delivery_context))
    roles = {name: (role, config) for config in configs for role, name in config.stack_names.items()}
    roles[delivery_stack_name] = (assembly.DELIVERY_ROLE, WikilakeConfig.from_context(delivery_context))
    return roles


@pytest.fixture(scope="module")
def stacks(synthesized) -> list[assembly.SynthesizedStack]:
    return assembly.stacks(synthesized.outdir, stack_roles(synthesized.delivery_stack_name))


def test_every_configuration_and_stack_is_read(stacks):
    by_role = {role: sum(s.role == role for s in stacks) for role in doc_tables.ROLES}
    # each variant and each delivery stage has the three stacks; one delivery stack
    assert by_role == {
        "storage": len(VARIANTS) + 2,
        "catalog": len(VARIANTS) + 2,
        "processing": len(VARIANTS) + 2,
        "delivery": 1,
    }


def test_architecture_outputs_table(stacks):
    check_region(ARCHITECTURE, "stack-outputs", SOURCE, doc_tables.outputs_table(stacks))


def test_outputs_the_cli_reads_are_in_the_table(stacks):
    """Independent of the rendering: each output key the CLI reads (wikilake_core/contract.py; a
    job entrypoint per dataset of the registry) is an output some stack has and a row of the doc."""
    documented = ARCHITECTURE.read_text()
    keys = {value for name, value in vars(Outputs).items() if name.isupper() and not name.endswith("_PREFIX")}
    keys |= {job_entrypoint_output(dataset) for dataset in DATASETS}
    synthesized = {name for stack in stacks for name in stack.template.get("Outputs", {})}
    assert keys and keys <= synthesized
    assert [key for key in sorted(keys) if f"| `{key}` |" not in documented] == []


def test_security_acknowledgments_table(stacks):
    check_region(SECURITY, "nag-acknowledgments", SOURCE, doc_tables.acknowledgment_tables(stacks))


def test_every_pipeline_function_has_its_acknowledgments_listed(stacks):
    """Issue 24: the doc once said the only functions were CDK's providers. Each Lambda function
    the processing stacks declare with our asset (not CDK's providers) appears in the table."""
    documented = SECURITY.read_text()
    ours = {
        stack.construct_of(logical_id)
        for stack in stacks
        if stack.role == "processing"
        for logical_id, resource in stack.template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and "Handler" in resource["Properties"]
        and resource["Properties"]["Handler"].startswith("wikilake_functions.")
    }
    assert len(ours) >= 5, ours
    assert [f for f in sorted(ours) if f"`{f}`" not in documented] == []


def test_security_checkov_skips_table(stacks):
    assert CHECKOV.exists(), "checkov is not installed: run `make setup`"
    titles = doc_tables.checkov_titles(CHECKOV.parent / "python")
    check_region(
        SECURITY, "checkov-skips", f"{SOURCE} and .checkov.yaml", doc_tables.checkov_table(stacks, CONFIG, titles)
    )


def test_security_iam_actions_table(stacks):
    check_region(SECURITY, "iam-actions", SOURCE, doc_tables.iam_actions_table(stacks))


def test_every_hint_names_a_subject_of_the_docs_and_known_atoms():
    """A hint (conditions.HINTS) for a construct or output no doc table shows any more is stale."""
    documented = ARCHITECTURE.read_text() + SECURITY.read_text()
    assert [subject for subject in conditions.HINTS if f"`{subject}`" not in documented] == []
    labels = {label for label, _ in conditions.ATOMS}
    assert {label for hints in conditions.HINTS.values() for hint in hints for label in hint} <= labels


def test_security_log_groups_table(stacks):
    check_region(SECURITY, "log-groups", SOURCE, doc_tables.log_groups_table(stacks))


def test_architecture_names_the_default_stacks_database_and_lake_prefixes(stacks):
    """The diagram's names: the default configuration's three stacks and Glue database (from its
    catalog template), and every top-level prefix of the lake (wikilake_core/layout.py)."""
    text = ARCHITECTURE.read_text()
    default = variant_config("default")
    assert [name for name in default.stack_names.values() if name not in text] == []
    [catalog] = [stack for stack in stacks if stack.name == default.stack_names["catalog"]]
    [database] = [
        resource["Properties"]["DatabaseInput"]["Name"]
        for resource in catalog.template["Resources"].values()
        if resource["Type"] == "AWS::Glue::Database"
    ]
    assert f"Glue database {database}" in text
    prefixes = (layout.RAW, layout.PROCESSED, layout.REJECTED, layout.MANIFESTS, layout.RUN_MANIFESTS)
    prefixes += (layout.QUALITY, layout.ATHENA_RESULTS, layout.LOGS)
    [bucket] = re.findall(r'bucket\[\("data bucket<br/>(.+?)"\)\]', text)
    assert sorted(bucket.replace("<br/>", " ").split()) == sorted(f"{prefix}/" for prefix in prefixes)


def test_security_cfn_lint_table():
    check_region(
        SECURITY, "cfn-lint-accepted", "tests/infra/test_cfn_lint.py's ACCEPTED", doc_tables.cfn_lint_table(ACCEPTED)
    )
