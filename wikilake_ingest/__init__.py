"""The ingest engine, used by the CLI (`wikilake ingest`) and the pipeline's ingest function: it streams
dump files from the dumps site (or a folder) into S3 (or a folder) with retries, checksums, a
User-Agent that names the operator, and a bounded number of transfers at once.
"""
