"""boto3 operations behind the AWS verbs (ingest, run, query, ssh, status); imported lazily by the CLI."""
