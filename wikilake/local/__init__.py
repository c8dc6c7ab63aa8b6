"""Local mode: the jobs on Spark `local[*]`, the lake in a folder, queries with DuckDB, the demo."""
