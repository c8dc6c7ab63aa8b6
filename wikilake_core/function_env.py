"""The environment variables the stack sets on the pipeline's Lambda functions (stacks/pipeline.py)
and the functions read (functions/wikilake_functions/): one list for both sides."""

BUCKET = "WIKILAKE_BUCKET"
JOB_SCRIPTS = "WIKILAKE_JOB_SCRIPTS"  # JSON: {"package_url": ..., "entrypoint_urls": {dataset: url}}
CLUSTER_NAME_PREFIX = "WIKILAKE_CLUSTER_NAME_PREFIX"  # run clusters: <prefix>-<dataset>-<dt>
POLL_SECONDS = "WIKILAKE_POLL_SECONDS"  # how often the state machine polls the job step
RUN_SIZING = "WIKILAKE_RUN_SIZING"  # JSON: what a run may be given (wikilake_core.run_sizing.RunBounds)
DUMPS_MIRROR = "WIKILAKE_DUMPS_MIRROR"  # another dumps base URL (a mirror; the tests' loopback server)
CONTACT = "WIKILAKE_CONTACT"  # context `contact`, for the downloads' User-Agent
# runtime=emr-serverless: the application whose job runs the record function prices (GetJobRun).
SERVERLESS_APPLICATION_ID = "WIKILAKE_SERVERLESS_APPLICATION_ID"
# The lease table (stacks/lease_table.py) and the ingest function's download slots in it.
LEASE_TABLE = "WIKILAKE_LEASE_TABLE"
DOWNLOAD_SLOTS = "WIKILAKE_DOWNLOAD_SLOTS"  # how many downloads at once, across every execution
LEASE_SECONDS = "WIKILAKE_LEASE_SECONDS"  # a slot's hold lapses after this (> the function's timeout)
DAY_LEASE_SECONDS = "WIKILAKE_DAY_LEASE_SECONDS"  # a day's writer lease lapses after this (> the run timeout)
DATABASE = "WIKILAKE_DATABASE"  # the Glue database whose partitions the record function repoints
INGEST_RETRIES = "WIKILAKE_INGEST_RETRIES"
INGEST_BACKOFF = "WIKILAKE_INGEST_BACKOFF"
# The alerts topic: the record function publishes a run's failing `warn` quality checks to it.
ALERTS_TOPIC = "WIKILAKE_ALERTS_TOPIC"
# The CloudWatch namespace the record function publishes each run's metrics in (wikilake_core/run_metrics.py).
METRICS_NAMESPACE = "WIKILAKE_METRICS_NAMESPACE"

# JSON {tag: value}: the tags of the stack's interactive cluster (set only when it is deployed); a
# run that names a cluster must name one carrying them all.
INTERACTIVE_CLUSTER_TAGS = "WIKILAKE_INTERACTIVE_CLUSTER_TAGS"

DEFAULT_POLL_SECONDS = 60
