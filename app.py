#!/usr/bin/env python3
"""CDK entry point: config from context, the three wikilake stacks, cdk-nag AwsSolutions checks."""

import sys

import aws_cdk as cdk

from stacks import nag
from stacks.config import ConfigError, WikilakeConfig
from stacks.wikilake_app import add_wikilake


def main() -> None:
    app = cdk.App()
    try:
        config = WikilakeConfig.from_context(app.node.get_all_context())
    except ConfigError as err:
        print(f"wikilake: {err}", file=sys.stderr)
        sys.exit(1)
    # Environment-agnostic: the templates deploy to whatever account/region the CLI targets.
    add_wikilake(app, config)
    nag.register_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
