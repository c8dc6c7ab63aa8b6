"""`make bench`: our Spark jobs against a DuckDB peer and the zcat floor, scaling, Athena scan efficiency."""
