"""Reading line input: one gzip file (which Spark cannot split) is spread over every core after the
read; several files, one task each, are left as they are. The jobs' outputs on a single-file input
are checked row for row by the edits and pageviews reference tests (the edits sample is one file)."""

from __future__ import annotations

from spark_helpers import EDITS_SAMPLE, write_gz

from spark_jobs import extract, storage


def test_one_gzip_file_is_spread_over_every_core_after_the_read(spark):
    inputs = storage.resolve_inputs(spark, [str(EDITS_SAMPLE)])
    lines = extract.read_lines(spark, inputs)
    assert len(inputs) == 1 and spark.sparkContext.defaultParallelism == 2
    assert lines.rdd.getNumPartitions() == 2
    # Every line is still there once, each with the file it came from.
    assert lines.count() == spark.read.text(str(EDITS_SAMPLE)).count()
    assert {row.source_file for row in lines.select("source_file").distinct().collect()} == {f"file://{EDITS_SAMPLE}"}


def test_as_many_gzip_files_as_cores_are_read_as_they_are(spark, tmp_path):
    for name in ("a.json.gz", "b.json.gz"):
        write_gz(tmp_path / name, ["x", "y"])
    inputs = storage.resolve_inputs(spark, [str(tmp_path)])
    lines = extract.read_lines(spark, inputs)
    assert "Exchange" not in lines._jdf.queryExecution().executedPlan().toString()
    assert sorted(row.value for row in lines.collect()) == ["x", "x", "y", "y"]
