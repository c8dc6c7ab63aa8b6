"""The pipeline's Lambda functions (one module per function, thin over the shared code): plan a
run, ingest one dump file, verify and record a run. Shipped as one asset holding only these,
wikilake_core/ and the ingest modules of wikilake/aws/ (no rich: the runtime has boto3 only).
The state machine that calls them is stacks/pipeline.py; docs/running-daily.md explains it."""
