"""docs/configuration.md's key table is cdk.json's context: one row per app key (none missing, none
extra) with the default cdk.json holds."""

from __future__ import annotations

import json
import re

from wikilake_core.paths import PROJECT_ROOT

# cdk.json's context also holds CDK's own feature flags and settings, which the table does not list.
CDK_OWN = ("@", "aws:", "cdk")
ROW = re.compile(r"^\| `([a-z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)


def shown(value) -> str:
    """A default as the table writes it."""
    if value in ("", None):
        return "*(empty)*"
    return f"`{str(value).lower()}`" if isinstance(value, bool) else f"`{value}`"


def test_configuration_table_is_cdk_json():
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    defaults = {key: shown(value) for key, value in context.items() if not key.startswith(CDK_OWN)}
    documented = dict(ROW.findall((PROJECT_ROOT / "docs" / "configuration.md").read_text()))
    assert len(defaults) > 30
    assert {key: value.strip() for key, value in documented.items()} == defaults
