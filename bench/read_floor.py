"""The articles job's read floor, run by spark-submit like the job: Spark reads the same files with
the same record delimiter (``</page>``), the same split settings and the same codec, and counts the
records. Everything the job does beyond this is parsing and writing; this much any Spark job
reading the dump pays.

    spark-submit bench/read_floor.py --input GLOB
"""

from __future__ import annotations

import argparse
import json
import sys

from spark_jobs import articles, storage
from spark_jobs.session import build_session, scoped_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, nargs="+")
    args = parser.parse_args(argv)
    spark = build_session("wikilake bench: articles read floor")
    try:
        inputs = storage.resolve_inputs(spark, args.input)
        with scoped_settings(spark, articles.settings(inputs)):
            frame = articles.read_records(spark, inputs)
            records = frame.count()
            splits = frame.rdd.getNumPartitions()
    finally:
        spark.stop()
    print(json.dumps({"records": records, "input_splits": splits}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
