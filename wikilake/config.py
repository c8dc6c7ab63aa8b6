"""The CDK app's configuration as `cdk deploy` sees it: cdk.json's context plus `-c` overrides,
parsed by the app's own parser (wikilake_settings/config.py), so the CLI never reads a key differently."""

from __future__ import annotations

import json

from wikilake_core.errors import WikilakeError
from wikilake_core.paths import PROJECT_ROOT

CDK_JSON = PROJECT_ROOT / "cdk.json"


def app_config(overrides: dict[str, str]):
    """The app's ``WikilakeConfig``; a ConfigError (one line: key, problem, fix) when invalid."""
    if not CDK_JSON.is_file():
        raise WikilakeError(f"no CDK app: {CDK_JSON} is missing (run this from a checkout of wikilake)")
    try:
        context = json.loads(CDK_JSON.read_text())["context"]
    except (ValueError, KeyError) as err:
        raise WikilakeError(f"cannot read the context of {CDK_JSON}: {err}") from None
    from wikilake_settings.config import WikilakeConfig

    return WikilakeConfig.from_context({**context, **overrides})
