"""The one job skeleton every dataset runs: begin the run, read and classify the input, write each
table and rejected/ under the run's own folder of the day (run=<run_id>), finish with the run's
manifest. Readers see the run only once a publisher names it in the day's manifest (the
record function on AWS, the local runner locally): the job never touches the live day.

A dataset module supplies only its parsing and transforms, as a DatasetJob:

    JOB = DatasetJob("edits", read=..., plan=...)
    if __name__ == "__main__":
        sys.exit(JOB.main())
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from spark_jobs import extract, manifest, outputs, runtime, storage
from spark_jobs.arguments import parse_job_args
from spark_jobs.session import scoped_settings
from spark_jobs.storage import InputFile
from wikilake_core import layout
from wikilake_core.day_runs import new_run_id

Progress = Callable[[str], None]

# SQL settings the jobs' results depend on, in force for the run on whatever session runs it.
JOB_SQL_SETTINGS = {
    # Event times are UTC; day boundaries and printed timestamps must not follow the host's zone.
    "spark.sql.session.timeZone": "UTC",
    # A field of the wrong JSON type nulls only that field (edits' per-field type checks rely on it).
    "spark.sql.json.enablePartialResults": "true",
    # The optimizer would otherwise parse a JSON field alone where a plan uses only some fields (a
    # filter on the reason, pushed into the parse): alone, a field of the wrong type elsewhere in
    # the line no longer sets the corrupt-record column, and the line would pass as valid.
    "spark.sql.optimizer.enableJsonExpressionOptimization": "false",
    # INT96 is the timestamp encoding every Athena/Hive/Glue reader understands.
    "spark.sql.parquet.outputTimestampType": "INT96",
    # zstd: 40% smaller than snappy on pageviews_daily at the same write speed (bench), so Athena
    # scans (and bills) less; Athena, Glue, Spark and DuckDB all read it.
    "spark.sql.parquet.compression.codec": "zstd",
}


@dataclass(frozen=True)
class TableOutput:
    """One table's dt partition: its rows, the order within each file, how many files."""

    table: str
    frame: DataFrame
    sort_by: tuple[Column | str, ...]
    files: int | None = None  # None: one per partition of ``frame``
    row_group_bytes: int | None = None
    # The table's columns, when ``frame`` also carries keys it is only sorted by (None: all).
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Plan:
    """What a dataset writes from its classified records, and what it adds to the manifest."""

    tables: tuple[TableOutput, ...]
    details: dict = field(default_factory=dict)
    kept: tuple[DataFrame, ...] = ()  # frames the dataset persisted: released after the run


def _no_input_checks(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> dict:
    return {}


@dataclass(frozen=True)
class DatasetJob:
    dataset: str
    # The input files -> one row per record: the dataset's columns plus ``reason`` (null when
    # valid), ``source_file`` and ``line`` (kept for rejected rows).
    read: Callable[[SparkSession, Sequence[InputFile], argparse.Namespace], DataFrame]
    # The kept records (or, with main_table, that table as written) and the tally's rows of the
    # valid ones -> what to write.
    plan: Callable[[SparkSession, DataFrame, Sequence[extract.TallyRow], Sequence[InputFile], argparse.Namespace], Plan]
    # For a dataset whose first table holds one row per valid record: the valid records -> that
    # table. It is then written straight from the read, the counts observed on the way, and no
    # copy of the records is kept (see _write_main_first); needs a tally without groups.
    main_table: Callable[[SparkSession, DataFrame, Sequence[InputFile]], TableOutput] | None = None
    # Whether a split of the input can repeat a record of the next split (bzip2 on Hadoop before
    # 3.3.5): read() then adds extract.RECORD_COLUMNS, the repeats are found with the counts and
    # dropped, and the manifest says how many splits read the input (``input_splits``).
    splits_repeat_records: bool = False
    # Facts about the valid records aggregated with the counts by reason (one Spark job), and the
    # manifest details made from the tally's rows.
    tally: extract.Tally | None = None
    tally_details: Callable[[Sequence[extract.TallyRow]], dict] = lambda rows: {}
    # Refuses inputs (JobError) before anything is written; returns facts for the manifest. It may
    # read the files' heads or tails (storage.read_head/read_tail), never whole files.
    check_inputs: Callable[[SparkSession, Sequence[InputFile], argparse.Namespace], dict] = _no_input_checks
    # Settings this job needs while it runs, from its input files.
    settings: Callable[[Sequence[InputFile]], dict[str, str]] = extract.line_settings
    # Encode the cached records (smaller, but CPU time to build: not worth it for wide rows of
    # mostly distinct text).
    compressed_cache: bool = True

    def __post_init__(self):
        if self.main_table is not None and (self.splits_repeat_records or (self.tally and self.tally.by)):
            raise ValueError(f"{self.dataset}: a main table written from the read needs whole records and a flat tally")

    def parse_args(self, argv: list[str] | None = None) -> argparse.Namespace:
        return parse_job_args(self.dataset, argv)

    def run(self, spark: SparkSession, args: argparse.Namespace, progress: Progress = lambda step: None) -> dict:
        """Read the input once, write every table and rejected/, then the manifest (returned)."""
        clock = manifest.RunClock()
        args.run_id = args.run_id or new_run_id(clock.started_at)
        with scoped_settings(spark, JOB_SQL_SETTINGS):
            progress("listing input")
            inputs = storage.resolve_inputs(spark, args.input)
            checked = self.check_inputs(spark, inputs, args)
            cache = {"spark.sql.inMemoryColumnarStorage.compressed": str(self.compressed_cache).lower()}
            with scoped_settings(spark, {**self.settings(inputs), **cache}):
                try:
                    counts, rows_written, details = self._write(spark, inputs, args, progress)
                except Exception as failure:
                    named = runtime.naming_the_unreadable_input(spark, failure, inputs)
                    if named is failure:
                        raise
                    raise named from failure
            progress("writing manifest")
            return manifest.finish_run(
                spark,
                args.output_root,
                dataset=self.dataset,
                dt=args.date,
                run_id=args.run_id,
                job_args=vars(args),
                input_files=inputs,
                counts_by_reason=counts,
                rows_written=rows_written,
                clock=clock,
                details={**checked, **details},
            )

    def _write(
        self, spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace, progress: Progress
    ) -> tuple[dict, dict, dict]:
        if self.main_table is not None:
            return self._write_main_first(self.main_table, spark, inputs, args, progress)
        root, dt, run_id = args.output_root, args.date, args.run_id
        progress("reading and classifying the input")
        classified = extract.keep(self.read(spark, inputs, args))
        kept = [classified]
        try:
            counted = {}
            if self.splits_repeat_records:
                found = extract.counted_without_split_repeats(classified, self.tally, args)
                classified, counts, tallied = found.frame, found.counts, found.tallied
                counted = {"input_splits": found.splits}
            else:
                counts, tallied = extract.count_by_reason(classified, self.tally, args)
            plan = self.plan(spark, classified, tallied, inputs, args)
            kept += plan.kept
            rows_written = _write_tables(spark, plan.tables, args, progress)
            progress("writing rejected")
            outputs.write_rejected(classified, layout.rejected_run_dir(root, self.dataset, dt, run_id))
        finally:
            for frame in reversed(kept):
                frame.unpersist()
        return counts, rows_written, {**counted, **self.tally_details(tallied), **plan.details}

    def _write_main_first(
        self,
        main_table: Callable[[SparkSession, DataFrame, Sequence[InputFile]], TableOutput],
        spark: SparkSession,
        inputs: Sequence[InputFile],
        args: argparse.Namespace,
        progress: Progress,
    ) -> tuple[dict, dict, dict]:
        """The main table straight from the read, the records counted on the way (observed metrics)
        and not kept: keeping them cost as much as parsing them (edits). The other tables come from
        the main table as written; rejected/ from a second read of the files that had rejects."""
        seen, tallying = Observation("records"), Observation("tally")
        records = self.read(spark, inputs, args).observe(
            seen,
            F.count(F.lit(1)).alias("records"),
            F.count("reason").alias("rejected"),
            # source_file is set on rejected records only; a set as large as the input's file list
            F.to_json(F.collect_set("source_file")).alias("files_with_rejects"),
        )
        valid = records.where(F.col("reason").isNull())
        if self.tally:
            valid = valid.observe(
                tallying, *[column.alias(name) for name, column in self.tally.aggregates(args).items()]
            )
        main = main_table(spark, valid, inputs)
        progress(f"reading, classifying and writing {main.table}")
        rows_written = _write_tables(spark, (main,), args)
        facts = seen.get
        valid_records = facts["records"] - facts["rejected"]
        tallied: Sequence[extract.TallyRow]
        if valid_records == rows_written[main.table]:
            tally_row = {"_count": valid_records, **(tallying.get if self.tally else {})}
            tallied = [tally_row] if valid_records else []
        else:
            # Observed metrics count a task that ran twice (a lost executor, a stage run again)
            # twice; the table's footers are exact, so the counts are taken again, exactly.
            progress("counting the records again")
            counts, tallied = extract.count_by_reason(self.read(spark, inputs, args), self.tally, args)
            valid_records = counts.get(None, 0)
        plan = self.plan(spark, spark.read.parquet(_table_dir(args, main.table)), tallied, inputs, args)
        rows_written |= _write_tables(spark, plan.tables, args, progress)
        progress("writing rejected")
        with_rejects = storage.reported_inputs(spark, inputs, json.loads(facts["files_with_rejects"]))
        rejected = self._write_rejected_again(spark, with_rejects, args)
        counts = ({None: valid_records} if valid_records else {}) | rejected
        return counts, rows_written, {**self.tally_details(tallied), **plan.details}

    def _write_rejected_again(
        self, spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace
    ) -> dict[str, int]:
        """rejected/ from reading ``inputs`` again (none: an empty rejected/); their counts by reason.
        Their records are kept, as the other jobs keep theirs, so each is classified once here."""
        path = layout.rejected_run_dir(args.output_root, self.dataset, args.date, args.run_id)
        if not inputs:
            outputs.write_rejected(outputs.no_rejected(spark), path)
            return {}
        records = extract.keep(self.read(spark, inputs, args))
        try:
            counts = {reason: n for reason, n in extract.count_by_reason(records)[0].items() if reason is not None}
            outputs.write_rejected(records, path)
        finally:
            records.unpersist()
        return counts

    def main(self, argv: list[str] | None = None) -> int:
        """spark-submit's entry point: exit 0 with the counts on stdout, else one line on stderr."""
        return runtime.job_main(self, argv)


def _write_tables(
    spark: SparkSession, tables: Sequence[TableOutput], args: argparse.Namespace, progress: Progress = lambda step: None
) -> dict[str, int]:
    """Each table's dt partition under the run's folder; its rows, from the written files."""
    rows_written = {}
    for output in tables:
        progress(f"writing {output.table}")
        path = _table_dir(args, output.table)
        outputs.write_partition(
            output.frame,
            path,
            sort_by=output.sort_by,
            files=output.files,
            row_group_bytes=output.row_group_bytes,
            columns=output.columns,
        )
        rows_written[output.table] = outputs.rows_in(spark, path)
    return rows_written


def _table_dir(args: argparse.Namespace, table: str) -> str:
    """The table's folder for the run's dt (run=<run_id>)."""
    return layout.table_run_dir(args.output_root, table, args.date, args.run_id)
