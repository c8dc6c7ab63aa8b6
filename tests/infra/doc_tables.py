"""Renders the docs' tables of synthesized facts: the stack outputs (docs/architecture.md), the
cdk-nag acknowledgments and the checkov skips (docs/security.md), from the cloud assembly."""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.doc_regions import cell, table

from .assembly import DELIVERY_ROLE, SynthesizedStack
from .conditions import condition

ROLE_TITLES = {"storage": "Storage", "catalog": "Catalog", "processing": "Processing", DELIVERY_ROLE: "Delivery"}
ROLES = tuple(ROLE_TITLES)
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
# What Validations.of(construct).acknowledge() records for a cdk-nag finding (stacks/nag.py).
NAG_PREFIX = "Annotation::AwsSolutions-"
# aws-cdk-lib's own acknowledgments of CloudFormation validation rules (availability zones read
# by a stack, flow logs' DependsOn): not the app's, not in the docs.
CDK_OWN_PREFIX = "CloudFormation-Validate::"
WHOLE_APP = "every template (`.checkov.yaml`)"


def _when(stacks: list[SynthesizedStack], role: str, having: set[str], subject: str) -> str:
    return condition(having, {s.name: s.config for s in stacks if s.role == role}, subject)


def _by_role(key: tuple) -> tuple:
    return (ROLES.index(key[0]), *key[1:])


# --- stack outputs (docs/architecture.md) ---


def outputs_table(stacks: list[SynthesizedStack]) -> str:
    facts: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for stack in stacks:
        for name, output in stack.template.get("Outputs", {}).items():
            what = output.get("Description") or _cross_stack_reference(stacks, stack, name)
            facts[stack.role, name, what].add(stack.name)
    rows = [
        [ROLE_TITLES[role], f"`{name}`", _when(stacks, role, having, name), cell(what)]
        for (role, name, what), having in sorted(facts.items(), key=lambda fact: _by_role(fact[0]))
    ]
    return table(["Stack", "Output", "When", "What"], rows)


def _cross_stack_reference(stacks: list[SynthesizedStack], producer: SynthesizedStack, output: str) -> str:
    """An output without a description is CDK's own cross-stack reference: say who reads it."""
    wanted = {"StackName": producer.name, "OutputName": output}
    readers = {s.role for s in stacks if any(_is_reference(ref, wanted) for ref in _stack_outputs_read(s.template))}
    assert readers, f"{producer.name}: output {output} has no description, and no stack reads it"
    names = " and ".join(ROLE_TITLES[role] for role in ROLES if role in readers)
    return f"CDK's cross-stack reference, no description: the {names} stack reads it (Fn::GetStackOutput)"


def _is_reference(reference: dict, wanted: dict) -> bool:
    return all(reference.get(key) == value for key, value in wanted.items())


def _stack_outputs_read(node) -> Iterator[dict]:
    if isinstance(node, dict):
        if "Fn::GetStackOutput" in node:
            yield node["Fn::GetStackOutput"]
        for value in node.values():
            yield from _stack_outputs_read(value)
    elif isinstance(node, list):
        for value in node:
            yield from _stack_outputs_read(value)


# --- cdk-nag acknowledgments (docs/security.md) ---


def acknowledgments(stack: SynthesizedStack) -> Iterator[tuple[str, str, str]]:
    """(construct, finding, reason) of every cdk-nag acknowledgment in a stack; the data bucket's
    name in a finding is shown as ``<bucket>`` (it differs per configuration)."""
    for construct, data in stack.entries(ACKNOWLEDGED):
        for key, reason in data.items():
            if key.startswith(CDK_OWN_PREFIX):
                continue
            assert key.startswith(NAG_PREFIX), f"{stack.name} {construct}: acknowledgment of unknown kind {key}"
            finding = re.sub(r"(s3:::)[^/\]]+", r"\1<bucket>", key.removeprefix("Annotation::"))
            yield construct, finding, reason


def acknowledgment_tables(stacks: list[SynthesizedStack]) -> str:
    """One table per stack with acknowledgments; a row per construct(s), findings and reason that
    go together, and the configurations that have them."""
    facts: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for stack in stacks:
        for construct, finding, reason in acknowledgments(stack):
            facts[stack.role, construct, finding, reason].add(stack.name)
    findings_of: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for (role, construct, finding, reason), having in facts.items():
        findings_of[role, construct, reason, _when(stacks, role, having, construct)].append(finding)
    constructs_of: dict[tuple[str, tuple[str, ...], str, str], list[str]] = defaultdict(list)
    for (role, construct, reason, when), findings in findings_of.items():
        constructs_of[role, tuple(sorted(findings)), reason, when].append(construct)
    sections = []
    for role in ROLES:
        rows = sorted((sorted(c), f, reason, when) for (r, f, reason, when), c in constructs_of.items() if r == role)
        if rows:
            sections.append(f"**{ROLE_TITLES[role]} stack**\n\n{_acknowledgment_table(rows)}")
    none = [ROLE_TITLES[role] for role in ROLES if role not in {key[0] for key in constructs_of}]
    sections.append(f"No acknowledgment in the {' or '.join(none)} stack.\n")
    return "\n".join(sections)


def _acknowledgment_table(rows: list[tuple[list[str], tuple[str, ...], str, str]]) -> str:
    conditional = any(when != "always" for *_, when in rows)
    columns = ["On", "Finding", *(["When"] if conditional else []), "Why"]
    return table(
        columns,
        [
            ["<br>".join(f"`{c}`" for c in constructs), "<br>".join(f"`{f}`" for f in findings)]
            + ([when] if conditional else [])
            + [cell(reason)]
            for constructs, findings, reason, when in rows
        ],
    )


# --- checkov skips (docs/security.md) ---


def checkov_table(stacks: list[SynthesizedStack], config: Path, titles: dict[str, str]) -> str:
    """The skips of ``.checkov.yaml`` (every template) and of resources' ``checkov`` metadata."""
    rows = [[f"`{check}`", cell(titles[check]), WHOLE_APP, "always", cell(why)] for check, why in global_skips(config)]
    facts: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for stack in stacks:
        for logical_id, resource in stack.template["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                facts[stack.role, stack.construct_of(logical_id), skip["id"], skip["comment"]].add(stack.name)
    constructs_of: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for (role, construct, check, why), having in facts.items():
        constructs_of[check, role, why, _when(stacks, role, having, construct)].append(construct)
    for (check, role, why, when), constructs in sorted(constructs_of.items()):
        where = f"{ROLE_TITLES[role]}: " + "<br>".join(f"`{c}`" for c in sorted(constructs))
        rows.append([f"`{check}`", cell(titles[check]), where, when, cell(why)])
    return table(["Check", "What checkov checks", "Skipped on", "When", "Why"], rows)


def global_skips(config: Path) -> list[tuple[str, str]]:
    """(check id, reason) of each skip in .checkov.yaml; the reason is the comment just above it."""
    lines = config.read_text().splitlines()
    skips = []
    for check in yaml.safe_load(config.read_text())["skip-check"]:
        above = lines[: lines.index(f"  - {check}")]
        comment = []
        while above and above[-1].lstrip().startswith("#"):
            comment.insert(0, above.pop().lstrip().removeprefix("#").strip())
        assert comment, f".checkov.yaml: {check} has no comment saying why it is skipped"
        skips.append((check, " ".join(comment)))
    return skips


def checkov_titles(checkov_python: Path) -> dict[str, str]:
    """Check id -> title, from checkov's own registry of CloudFormation checks (its venv)."""
    script = (
        "import importlib, json, pkgutil\n"
        "import checkov.cloudformation.checks.resource.aws as aws\n"
        "from checkov.cloudformation.checks.resource.registry import cfn_registry\n"
        "for module in pkgutil.iter_modules(aws.__path__):\n"
        "    importlib.import_module(f'{aws.__name__}.{module.name}')\n"
        "print(json.dumps({c.id: c.name for checks in cfn_registry.checks.values() for c in checks}))\n"
    )
    result = subprocess.run([str(checkov_python), "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


# --- IAM actions per role (docs/security.md) ---


def iam_actions_table(stacks: list[SynthesizedStack]) -> str:
    """Every action each role of the app's own stacks may take (inline and attached policies) and
    the AWS managed policies it has; the delivery stack's roles are CDK Pipelines' own."""
    facts: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for stack in stacks:
        if stack.role != DELIVERY_ROLE:
            for construct, permission in _role_permissions(stack):
                facts[stack.role, construct, permission].add(stack.name)
    permissions_of: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for (role, construct, permission), having in facts.items():
        permissions_of[role, construct, _when(stacks, role, having, construct)].append(permission)
    rows = [
        [ROLE_TITLES[role], f"`{construct}`", when, _grouped(permissions)]
        for (role, construct, when), permissions in sorted(permissions_of.items(), key=lambda item: _by_role(item[0]))
    ]
    return table(["Stack", "Role", "When", "May"], rows)


def _role_permissions(stack: SynthesizedStack) -> Iterator[tuple[str, str]]:
    """(role's construct, action or ``managed policy <name>``) of every role of a stack."""
    resources = stack.template["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        construct = stack.construct_of(logical_id)
        for arn in resource["Properties"].get("ManagedPolicyArns", []):
            yield construct, f"managed policy {_managed_policy_name(arn)}"
        documents = [policy["PolicyDocument"] for policy in resource["Properties"].get("Policies", [])]
        documents += [
            policy["Properties"]["PolicyDocument"]
            for policy in resources.values()
            if policy["Type"] == "AWS::IAM::Policy" and {"Ref": logical_id} in policy["Properties"]["Roles"]
        ]
        for document in documents:
            for statement in document["Statement"]:
                assert statement["Effect"] == "Allow" and "Action" in statement, f"{construct}: {statement}"
                actions = statement["Action"]
                yield from ((construct, action) for action in ([actions] if isinstance(actions, str) else actions))


def _managed_policy_name(arn) -> str:
    """``service-role/AWSLambdaBasicExecutionRole`` of ``arn:<partition>:iam::aws:policy/...``."""
    text = json.dumps(arn)  # a string, a Fn::Sub or a Fn::Join of CDK's making: its text holds the name
    assert ":iam::aws:policy/" in text, f"not an AWS managed policy: {arn}"
    return text.split(":iam::aws:policy/", 1)[1].split('"', 1)[0]


def _grouped(permissions: list[str]) -> str:
    """``s3``: GetObject, PutObject<br>``sns``: Publish; managed policies first."""
    services: dict[str, list[str]] = defaultdict(list)
    for permission in sorted(set(permissions)):
        service, _, action = permission.partition(":") if ":" in permission else ("", "", permission)
        services[service].append(action)
    managed = services.pop("", [])
    lines = [f"{name}" for name in managed] + [
        f"`{service}`: {', '.join(services[service])}" for service in sorted(services)
    ]
    return "<br>".join(cell(line) for line in lines)


# --- log groups (docs/security.md) ---

AUDIT_LOG = "wikilake:audit-log"  # the template metadata stacks/log_groups.py marks audit log groups with
ON_DESTROY = {"Delete": "deleted", "Retain": "retained"}


def log_groups_table(stacks: list[SynthesizedStack]) -> str:
    """Every log group the stacks declare: its retention, what destroy does with it, and whether
    it is an audit log group."""
    facts: dict[tuple[str, str, str, str, str], set[str]] = defaultdict(set)
    for stack in stacks:
        for logical_id, resource in stack.template["Resources"].items():
            if resource["Type"] == "AWS::Logs::LogGroup":
                days = resource["Properties"].get("RetentionInDays")
                fact = (
                    f"{days} days" if days else "never expires",
                    ON_DESTROY[resource.get("DeletionPolicy", "Delete")],
                    "audit" if resource.get("Metadata", {}).get(AUDIT_LOG) else "",
                )
                facts[(stack.role, stack.construct_of(logical_id), *fact)].add(stack.name)
    rows = [
        [ROLE_TITLES[role], f"`{construct}`", retention, destroy, kind, _when(stacks, role, having, construct)]
        for (role, construct, retention, destroy, kind), having in sorted(facts.items(), key=lambda f: _by_role(f[0]))
    ]
    return table(["Stack", "Log group", "Retention", "On destroy", "Audit", "When"], rows)


# --- cfn-lint's accepted findings (docs/security.md) ---


def cfn_lint_table(accepted: dict[tuple[str, str], str]) -> str:
    """tests/infra/test_cfn_lint.py's ACCEPTED: (rule, logical-id prefix) -> why, one row per reason."""
    prefixes_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (rule, prefix), why in accepted.items():
        prefixes_of[rule, why].append(prefix)
    rows = [
        [f"`{rule}`", "<br>".join(f"`{prefix}`" for prefix in sorted(prefixes)), cell(why)]
        for (rule, why), prefixes in sorted(prefixes_of.items())
    ]
    return table(["Rule", "Resources (logical id starts with)", "Why"], rows)
