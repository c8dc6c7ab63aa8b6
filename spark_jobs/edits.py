"""The edits job: one day of Wikipedia edit events (JSON lines) -> edits, edits_filtered,
edits_by_channel, with every unusable line kept in rejected/ under a reason.

    spark-submit spark_jobs/edits.py --date 2015-09-12 --input PATH|GLOB --output-root ROOT \
        [--country "United States"]

A line is rejected, with the first reason that applies, when:
  invalid JSON                 it does not parse as JSON (truncated, garbage, text after the value)
  not a JSON object            it is valid JSON but an array, string, number, ...
  wrong JSON type: <field>     a known field has another JSON type than its own (a string for an
                               integer or boolean, a number or boolean for a string, a non-integer
                               number for an integer, an object or array anywhere)
  missing or empty: <field>    time, channel or page is absent, null or blank
  unparsable time              time is not ISO-8601 (yyyy-MM-ddTHH:mm:ss[.fraction]<offset|Z>)
Blank lines are ignored. Unknown extra fields are allowed. JSON null counts as absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import extract, outputs
from spark_jobs.job import DatasetJob, Plan, TableOutput
from spark_jobs.storage import InputFile
from wikilake_core import datasets

DATASET = "edits"
TABLE_EDITS, TABLE_FILTERED, TABLE_BY_CHANNEL = datasets.get(DATASET).tables
BYTES_PER_OUTPUT_FILE = 256 * 1024 * 1024
INVALID_JSON = "invalid JSON"
NOT_AN_OBJECT = "not a JSON object"
WRONG_TYPE = "wrong JSON type: "
MISSING = "missing or empty: "
UNPARSABLE_TIME = "unparsable time"
REQUIRED_FIELDS = ("time", "channel", "page")
# ISO-8601 as the feed writes it (2015-09-12T00:46:58.771Z), any fraction length, Z or an offset.
TIME_PATTERN = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX"

# (JSON field, output column, JSON type) in the order of the edits table's columns.
FIELDS: tuple[tuple[str, str, T.DataType], ...] = (
    ("time", "event_time", T.StringType()),  # parsed into a timestamp below
    ("channel", "channel", T.StringType()),
    ("page", "page", T.StringType()),
    ("namespace", "namespace", T.StringType()),
    ("user", "user_name", T.StringType()),
    ("comment", "comment", T.StringType()),
    ("isAnonymous", "is_anonymous", T.BooleanType()),
    ("isMinor", "is_minor", T.BooleanType()),
    ("isNew", "is_new", T.BooleanType()),
    ("isRobot", "is_robot", T.BooleanType()),
    ("isUnpatrolled", "is_unpatrolled", T.BooleanType()),
    ("cityName", "city_name", T.StringType()),
    ("countryIsoCode", "country_iso_code", T.StringType()),
    ("countryName", "country_name", T.StringType()),
    ("regionIsoCode", "region_iso_code", T.StringType()),
    ("regionName", "region_name", T.StringType()),
    ("metroCode", "metro_code", T.LongType()),
    ("delta", "delta", T.LongType()),
    ("added", "added", T.LongType()),
    ("deleted", "deleted", T.LongType()),
)
EDITS_COLUMNS = tuple(column for _, column, _ in FIELDS)
STRING_FIELDS = tuple(name for name, _, kind in FIELDS if isinstance(kind, T.StringType))

# A field of the wrong JSON type fails the typed parse: Spark then keeps the line in this column
# (and, with partial results, the other fields), so only those lines need the slower diagnosis.
CORRUPT_RECORD = "_corrupt_record"
_TYPED_SCHEMA = T.StructType(
    [T.StructField(name, kind) for name, _, kind in FIELDS] + [T.StructField(CORRUPT_RECORD, T.StringType())]
)
# Parsed as {"v": <line>}: the wrapper parses only if the whole line is one JSON value, so text
# after the object (or a truncated object) is caught; v is a map only if that value is an object.
_TEXT_SCHEMA = T.StructType([T.StructField("v", T.MapType(T.StringType(), T.StringType()))])
# Spark's JSON reader turns any token into text for a StringType field (12 -> "12", {} -> "{}"),
# so a string field whose text could be another JSON type's is checked on the raw line: text that
# starts like a number, object or array, or is a boolean. The first character is tested by where
# the text sorts ("0" <= text < ":" for a digit): taking it out with substring counted every
# character of every field, 6% of the job's CPU.
_NON_STRING_FIRST_CHARACTERS = (("-", "-"), ("0", "9"), ("[", "["), ("{", "{"))  # ASCII ranges
_BOOLEANS = ("true", "false")


# ---- transform (pure functions of DataFrames) -------------------------------------------------


def _first_reason(checks: list[tuple[Column, str | Column]]) -> Column:
    """The reason of the first check that holds, else null (a valid record)."""
    return reduce(lambda acc, check: acc.when(check[0], check[1]), checks[1:], F.when(checks[0][0], checks[0][1]))


def _wrapped(line: Column) -> Column:
    return F.concat(F.lit('{"v":'), line, F.lit("}"))


def _is_json_value(line: Column) -> Column:
    """Whether the line is one valid JSON value of any kind (only evaluated for non-objects)."""
    return F.from_json(_wrapped(line), "v STRING").v.isNotNull() | (F.trim(line) == "null")


def _is_json_string(line: Column, name: str, text: Column) -> Column:
    """Whether string field ``name``, whose parsed text is ``text``, holds a JSON string. Only text
    that could be a number, boolean, object or array is looked up on the line: a JSON string there
    is ``"name"`` then ``:`` then an opening quote (inside a JSON string every quote is escaped,
    so this cannot match within a value; a key spelled with \\u escapes is not recognised)."""
    could_be_other_type = reduce(
        lambda acc, span: acc | ((text >= span[0]) & (text < chr(ord(span[1]) + 1))),
        _NON_STRING_FIRST_CHARACTERS,
        text.isin(*_BOOLEANS),
    )
    return ~could_be_other_type | line.contains(f'"{name}":"') | line.rlike(f'"{name}"\\s*:\\s*"')


def classify(lines: DataFrame, source_file: str = "source_file") -> DataFrame:
    """Raw lines (``value``) -> one row per non-blank line: the typed event columns and ``reason``
    (null for a valid event). ``line`` and ``source_file`` are kept for rejected rows only.

    Every line is parsed once, typed. Only a line the typed parse could not take whole (invalid
    JSON, not an object, a field of the wrong type, text after the object) is parsed again, as a
    map of texts, to tell which. A line that holds an object followed by more text ending in "}"
    (two objects on one line) is read as its first object. Each parse is its own column, computed
    once per line (Spark keeps a costly expression used several times in its own projection rather
    than inlining it).
    """
    line = F.col("value")
    text, typed = F.col("_text"), F.col("_typed")
    # The typed parse stops after the first value: text after the object needs the full check.
    suspect = typed.isNull() | typed[CORRUPT_RECORD].isNotNull() | ~F.rtrim(line).endswith("}")
    wrong_type = [
        (
            typed[name].isNotNull() & ~_is_json_string(line, name, typed[name])
            if name in STRING_FIELDS
            else text[name].isNotNull() & typed[name].isNull(),
            WRONG_TYPE + name,
        )
        for name, _, _ in FIELDS
    ]
    missing = [(F.coalesce(F.trim(typed[name]), F.lit("")) == "", MISSING + name) for name in REQUIRED_FIELDS]
    reason = _first_reason(
        [
            (text.isNull() & F.col("_suspect") & ~_is_json_value(line), F.lit(INVALID_JSON)),
            (text.isNull() & F.col("_suspect"), F.lit(NOT_AN_OBJECT)),
            *wrong_type,
            *missing,
            (F.col("_event_time").isNull(), F.lit(UNPARSABLE_TIME)),
        ]
    )
    rejected = F.col("reason").isNotNull()
    return (
        lines.where(extract.non_blank(line))
        .withColumn("_typed", F.from_json(line, _TYPED_SCHEMA))
        .withColumn("_suspect", suspect)
        .withColumn("_text", F.when(F.col("_suspect"), F.from_json(_wrapped(line), _TEXT_SCHEMA).v))
        .withColumn("_event_time", F.try_to_timestamp(typed["time"], F.lit(TIME_PATTERN)))
        .withColumn("reason", reason)
        .select(
            F.when(~rejected, F.col("_event_time")).alias("event_time"),
            *[typed[name].alias(column) for name, column, _ in FIELDS[1:]],
            "reason",
            F.when(rejected, F.col(source_file)).alias("source_file"),
            F.when(rejected, line).alias("line"),
        )
    )


def edits_table(classified: DataFrame) -> DataFrame:
    return classified.where(F.col("reason").isNull()).select(*EDITS_COLUMNS)


def filtered_table(edits: DataFrame, country: str) -> DataFrame:
    """Human edits (is_robot false, not null) from ``country``, as the original tutorial kept."""
    return edits.where((F.col("is_robot") == F.lit(False)) & (F.col("country_name") == country))


def by_channel_table(edits: DataFrame) -> DataFrame:
    def count_if(column: str) -> Column:
        return F.count(F.when(F.col(column), 1))

    return edits.groupBy("channel").agg(
        F.count(F.lit(1)).alias("edits"),
        count_if("is_robot").alias("robot_edits"),
        count_if("is_anonymous").alias("anonymous_edits"),
        count_if("is_minor").alias("minor_edits"),
        count_if("is_new").alias("new_pages"),
        F.sum("added").alias("added"),
        F.sum("deleted").alias("deleted"),
        F.sum("delta").alias("delta"),
        F.countDistinct("user_name").alias("distinct_users"),
        F.countDistinct("page").alias("distinct_pages"),
    )


# ---- the job ---------------------------------------------------------------------------------


def read(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> DataFrame:
    return classify(extract.read_lines(spark, inputs))


BY_TIME = ("channel", "event_time")


def main_table(spark: SparkSession, valid: DataFrame, inputs: Sequence[InputFile]) -> TableOutput:
    """The edits table, in as many files as tasks parse the input (it is written from the parse):
    at least one per input file while each gets MIN_INPUT_BYTES_PER_FILE, so the parse does not
    depend on how many executors had registered when the job planned (with dynamic allocation, as
    on EMR, Spark's default parallelism can still be 2 then)."""
    input_bytes = sum(f.size for f in inputs)
    by_cores = outputs.files_for_cores(input_bytes, BYTES_PER_OUTPUT_FILE, spark.sparkContext.defaultParallelism)
    by_inputs = min(len(inputs), outputs.files_for(input_bytes, outputs.MIN_INPUT_BYTES_PER_FILE))
    return TableOutput(TABLE_EDITS, edits_table(valid), BY_TIME, max(by_cores, by_inputs))


def plan(
    spark: SparkSession,
    events: DataFrame,
    tallied: Sequence[extract.TallyRow],
    inputs: Sequence[InputFile],
    args: argparse.Namespace,
) -> Plan:
    """The edits table as written -> the other two tables."""
    return Plan(
        tables=(
            TableOutput(TABLE_FILTERED, filtered_table(events, args.country), BY_TIME, 1),
            TableOutput(TABLE_BY_CHANNEL, by_channel_table(events), ("channel",), 1),
        ),
        details={"country": args.country},
    )


def tally_aggregates(args: argparse.Namespace) -> dict[str, Column]:
    return {"events_outside_dt": F.count(F.when(F.to_date("event_time") != F.lit(args.date), 1))}


def tally_details(valid: Sequence[extract.TallyRow]) -> dict:
    """Valid events whose time falls outside the batch's dt (one row: the tally is not grouped)."""
    return {"events_outside_dt": sum(row["events_outside_dt"] for row in valid)}


JOB = DatasetJob(
    DATASET,
    read=read,
    main_table=main_table,
    plan=plan,
    # Counted while the edits table is written.
    tally=extract.Tally((), tally_aggregates),
    tally_details=tally_details,
)

if __name__ == "__main__":
    sys.exit(JOB.main())
