"""Driver-side file operations through Hadoop's FileSystem API, so s3:// (EMRFS) and local paths
behave the same: resolving inputs, reading file heads and tails, writing the run's manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import SparkSession

from wikilake_core.errors import JobError

HEAD_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class InputFile:
    path: str  # fully qualified (file:/..., s3://...), as Hadoop spells it (input_file_name() escapes it)
    name: str
    size: int


def spark_jvm(spark: SparkSession):
    """The session's JVM (py4j's view of its classes); JobError if the session has none (stopped)."""
    gateway = spark.sparkContext._jvm
    if gateway is None:
        raise JobError("the Spark session has no JVM (was it stopped?)")
    return gateway


def _filesystem(spark: SparkSession, path: str):
    jvm = spark_jvm(spark)
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def _is_data_file(name: str) -> bool:
    # Hadoop/Spark conventions: _SUCCESS, _temporary, .crc and other hidden files are not data.
    return not name.startswith(("_", "."))


def _matching_files(spark: SparkSession, pattern: str) -> list:
    fs, path = _filesystem(spark, pattern)
    files: list = []
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


def reported_inputs(spark: SparkSession, inputs: Sequence[InputFile], reported: list[str]) -> list[InputFile]:
    """Those of ``inputs`` that Spark reported (their input_file_name(), an escaped URI); all of
    them if one reported is not among them, so no file is left out."""
    jvm = spark_jvm(spark)
    paths = {str(jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(uri))) for uri in reported}
    named = [f for f in inputs if f.path in paths]
    return named if len(named) == len(paths) else list(inputs)


def read_head(spark: SparkSession, path: str, until: bytes, max_bytes: int) -> bytes:
    """The first bytes of a file, decompressed by its Hadoop codec (.bz2, .gz) if it has one, up
    to and including ``until`` or at most ``max_bytes``: a bounded read, however big the file."""
    fs, hadoop_path = _filesystem(spark, path)
    codec = (
        spark_jvm(spark)
        .org.apache.hadoop.io.compress.CompressionCodecFactory(spark.sparkContext._jsc.hadoopConfiguration())
        .getCodec(hadoop_path)
    )
    raw = fs.open(hadoop_path)
    stream = raw if codec is None else codec.createInputStream(raw)
    head = b""
    try:
        while len(head) < max_bytes and until not in head:
            chunk = bytes(stream.readNBytes(HEAD_CHUNK_BYTES))  # a byte[] comes back as bytes
            head += chunk
            if len(chunk) < HEAD_CHUNK_BYTES:
                break
    finally:
        stream.close()
    end = head.find(until)
    return head[: end + len(until)] if end >= 0 else head[:max_bytes]


def read_tail(spark: SparkSession, path: str, size: int, count: int) -> bytes:
    """The last ``count`` bytes of a file of ``size`` bytes, as stored (not decompressed)."""
    fs, hadoop_path = _filesystem(spark, path)
    stream = fs.open(hadoop_path)
    try:
        stream.seek(max(0, size - count))
        return bytes(stream.readNBytes(count))
    finally:
        stream.close()


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write a small text file: to a temporary name, then renamed (atomic on HDFS/local)."""
    fs, final = _filesystem(spark, path)
    jvm = spark_jvm(spark)
    temporary = jvm.org.apache.hadoop.fs.Path(path + ".tmp")
    stream = fs.create(temporary, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    fs.delete(final, False)
    if not fs.rename(temporary, final):
        raise OSError(f"cannot rename {temporary} to {final}")
