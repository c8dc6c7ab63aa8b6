"""The product's package folders (what ships: the CLI, the core, the ingest engine, the settings, the
functions, the jobs, the stacks, and the bench beside them), for the tests that walk all of them."""

PRODUCT_PACKAGES = (
    "wikilake",
    "wikilake_core",
    "wikilake_ingest",
    "wikilake_settings",
    "functions/wikilake_functions",
    "spark_jobs",
    "stacks",
    "bench",
)
