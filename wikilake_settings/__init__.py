"""The app's settings: CDK context (cdk.json, -c key=value) parsed once into a frozen, validated
WikilakeConfig, read with the same code by the CDK app (app.py, stacks/) and the CLI (`wikilake
preflight`). Standard library and wikilake_core only; not shipped with the jobs or the functions."""
