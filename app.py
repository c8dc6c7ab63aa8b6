#!/usr/bin/env python3
"""CDK entry point: config from context, the three wikilake stacks (or, with the delivery keys, the
delivery pipeline that deploys them as its dev and prod stages), cdk-nag AwsSolutions checks."""

import sys

import aws_cdk as cdk

from stacks import nag
from stacks.wikilake_app import add_wikilake
from wikilake_settings.config import ConfigError, WikilakeConfig, delivery_stage_configs


def main() -> None:
    app = cdk.App()
    context = app.node.get_all_context()
    try:
        config = WikilakeConfig.from_context(context)
        stages = delivery_stage_configs(context) if config.delivery else None
    except ConfigError as err:
        print(f"wikilake: {err}", file=sys.stderr)
        sys.exit(1)
    # Environment-agnostic: the templates deploy to whatever account/region the CLI targets.
    if stages:
        from stacks.delivery_stack import add_delivery  # CDK Pipelines: imported only when used

        add_delivery(app, config, stages, context)
    else:
        add_wikilake(app, config)
    nag.register_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
