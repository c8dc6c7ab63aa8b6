"""Names vulture (`make lint`) reports as unused that are used where it cannot see: one per line, each saying why."""

from rich.table import Table  # rich's Table: the bench sets its caption, rich prints it

from bench.markdown import newest_run  # the performance doc test reads it
from bench.report import SummaryRow  # the bench's results rows (dataclass, asdict into the results JSON)
from bench.scan import ScanEfficiency  # the Athena scan figures (dataclass, asdict into the results JSON)
from bench.sizing import RealDay, SizingOption  # the sizing's rows (dataclasses, asdict into the results JSON)
from stacks.log_groups import ProviderLogGroups  # a CDK aspect (Aspects.of(scope).add)
from wikilake_core.release_labels import DEFAULT_RELEASE_LABEL, EmrRelease  # read by the Makefile's SPARK_LINES
from wikilake_functions import day_lease, ingest_file, plan, reap, record  # Lambda handlers (stacks/pipeline.py)

_ = (  # read by nothing: a whitelist only names what vulture cannot see used
    newest_run,  # which results performance.md shows: tests/bench/test_performance_doc.py (make docs-tables)
    Table.caption,  # set in bench/report.py, printed by rich under the table
    SummaryRow.wall_all_s,  # asdict: every repetition's wall time, kept in the results JSON for its readers
    ScanEfficiency.parquet_files,  # asdict: the results JSON, printed by bench/report.py scan_table
    ScanEfficiency.value_row_share,  # asdict: the results JSON, printed by bench/report.py scan_table
    ScanEfficiency.matching_row_groups,  # asdict: the results JSON, printed by bench/report.py scan_table
    RealDay.amount_range,  # asdict: the results JSON's sizing (the real day's plausible range)
    SizingOption.day_wall_s,  # asdict: the results JSON, printed by bench/report.py sizing_table
    SizingOption.day_cost_usd,  # asdict: the results JSON, printed by bench/report.py sizing_table
    SizingOption.month_wall_s,  # asdict: the results JSON, printed by bench/report.py sizing_table
    SizingOption.month_cost_usd,  # asdict: the results JSON, printed by bench/report.py sizing_table
    ProviderLogGroups.visit,  # IAspect.visit: CDK calls it on every construct at synth
    EmrRelease.spark_version,  # the Makefile's SPARK_LINES (one test venv per Spark line) reads it
    DEFAULT_RELEASE_LABEL,  # the Makefile's SPARK_LINES reads it (the default line comes first)
    day_lease.handler,  # Lambda entry point: the function's handler setting (stacks/pipeline.py)
    ingest_file.handler,  # Lambda entry point: the function's handler setting (stacks/pipeline.py)
    plan.handler,  # Lambda entry point: the function's handler setting (stacks/pipeline.py)
    reap.handler,  # Lambda entry point: the function's handler setting (stacks/pipeline.py)
    record.handler,  # Lambda entry point: the function's handler setting (stacks/pipeline.py)
)
