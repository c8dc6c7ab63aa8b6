"""The pipeline's Lambda functions (one module per function, thin over the shared code): plan a
run, ingest one dump file, verify, publish and record a run, take and give back a day's lease, reap
a run that ended without cleaning up. functions/ is their asset, shipped whole: this package beside
wikilake_core and wikilake_ingest (links in the checkout, copies in the asset); no third-party
library but what the Lambda Python runtime ships (boto3 and its dependencies), no CLI module
(tests/infra/test_function_asset.py runs each handler from the synthesized asset alone).
The state machine that calls them is stacks/pipeline.py; docs/running-daily.md explains it."""
