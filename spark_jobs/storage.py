"""Driver-side file operations through Hadoop's FileSystem API, so s3:// (EMRFS) and local paths
behave the same: resolving inputs, deleting a partition's old manifest, writing the manifest.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from wikilake_core.errors import JobError


@dataclass(frozen=True)
class InputFile:
    path: str  # fully qualified (file:/..., s3://...), as Spark reports it in input_file_name()
    name: str
    size: int


def _filesystem(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def _is_data_file(name: str) -> bool:
    # Hadoop/Spark conventions: _SUCCESS, _temporary, .crc and other hidden files are not data.
    return not name.startswith(("_", "."))


def _matching_files(spark: SparkSession, pattern: str) -> list:
    fs, path = _filesystem(spark, pattern)
    files = []
    for status in fs.globStatus(path) or []:
        children = fs.listStatus(status.getPath()) if status.isDirectory() else [status]
        files.extend(s for s in children if s.isFile() and _is_data_file(s.getPath().getName()))
    return files


def resolve_inputs(spark: SparkSession, patterns: list[str]) -> list[InputFile]:
    """The data files that ``patterns`` (files, folders or globs) name, distinct, sorted by path.

    Raises JobError when a pattern matches nothing, so a job never runs on a missing input.
    """
    found: dict[str, InputFile] = {}
    for pattern in patterns:
        files = _matching_files(spark, pattern)
        if not files:
            raise JobError(f"no input files match {pattern}")
        for s in files:
            found[str(s.getPath())] = InputFile(str(s.getPath()), s.getPath().getName(), s.getLen())
    return sorted(found.values(), key=lambda f: f.path)


def delete(spark: SparkSession, path: str) -> None:
    fs, hadoop_path = _filesystem(spark, path)
    fs.delete(hadoop_path, True)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write a small text file: to a temporary name, then renamed (atomic on HDFS/local)."""
    fs, final = _filesystem(spark, path)
    jvm = spark.sparkContext._jvm
    temporary = jvm.org.apache.hadoop.fs.Path(path + ".tmp")
    stream = fs.create(temporary, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    fs.delete(final, False)
    if not fs.rename(temporary, final):
        raise OSError(f"cannot rename {temporary} to {final}")
