"""What Athena reads from a ``pageviews_daily`` partition, judged from the Parquet footers alone.

Two figures, both from DuckDB's ``parquet_metadata()`` (no data pages are read for them):
- **storage**: the partition's Parquet bytes against the raw gzip bytes of the day it came from
  (a full scan of the table costs this much less than scanning the dumps);
- **row-group pruning**: for a query filtering ``project = P`` (``top_pages``), the share of the
  partition's bytes in row groups whose min/max statistics on ``project`` admit P. Athena (like
  any Parquet reader) skips the other row groups, so this share is what it must read at most.
  A row group without statistics on the column always counts as a match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

DEFAULT_MAX_PROJECT_SHARE = 0.05


@dataclass(frozen=True)
class RowGroup:
    file: str
    index: int
    rows: int
    compressed_bytes: int  # all column chunks of the row group
    min_value: str | None  # statistics of the filter column (None: not written)
    max_value: str | None

    def may_contain(self, value: str) -> bool:
        if self.min_value is None or self.max_value is None:
            return True
        return self.min_value <= value <= self.max_value


@dataclass(frozen=True)
class ScanEfficiency:
    parquet_files: int
    parquet_bytes: int
    raw_gz_bytes: int
    column: str
    value: str
    value_row_share: float  # the value's share of the partition's rows
    row_groups: int
    matching_row_groups: int
    matching_bytes: int
    row_group_bytes: int

    @property
    def storage_ratio(self) -> float:
        """Parquet bytes / raw gzip bytes."""
        return self.parquet_bytes / self.raw_gz_bytes

    @property
    def scan_share(self) -> float:
        """Share of the partition's row-group bytes a ``column = value`` query must read."""
        return self.matching_bytes / self.row_group_bytes

    def to_json(self) -> dict:
        return {**asdict(self), "storage_ratio": self.storage_ratio, "scan_share": self.scan_share}


def _parquet_files(partition_dir: Path) -> list[str]:
    files = sorted(str(p) for p in Path(partition_dir).glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no Parquet files in {partition_dir}")
    return files


def row_groups(partition_dir: Path, column: str) -> list[RowGroup]:
    """Every row group of the partition with its size and ``column``'s min/max statistics."""
    sql = """
        SELECT file_name, row_group_id, any_value(row_group_num_rows),
               sum(total_compressed_size),
               any_value(coalesce(stats_min_value, stats_min)) FILTER (WHERE path_in_schema = $column),
               any_value(coalesce(stats_max_value, stats_max)) FILTER (WHERE path_in_schema = $column)
        FROM parquet_metadata($files)
        GROUP BY file_name, row_group_id
        ORDER BY file_name, row_group_id
    """
    with duckdb.connect() as con:
        rows = con.execute(sql, {"files": _parquet_files(partition_dir), "column": column}).fetchall()
    return [RowGroup(*row) for row in rows]


def value_shares(partition_dir: Path, column: str) -> dict[str, float]:
    """Each value of ``column`` -> its share of the partition's rows."""
    sql = f"""
        SELECT "{column}", count(*) / sum(count(*)) OVER ()
        FROM read_parquet($files) GROUP BY ALL
    """
    with duckdb.connect() as con:
        return dict(con.execute(sql, {"files": _parquet_files(partition_dir)}).fetchall())


def pick_selective_value(shares: dict[str, float], max_share: float = DEFAULT_MAX_PROJECT_SHARE) -> str:
    """The largest value holding less than ``max_share`` of the rows (a realistic mid-size project)."""
    candidates = {value: share for value, share in shares.items() if value is not None and share < max_share}
    if not candidates:
        raise ValueError(f"no value holds less than {max_share:.0%} of the rows")
    return max(candidates, key=lambda value: (candidates[value], value))


def analyze(
    partition_dir: Path,
    raw_gz_bytes: int,
    *,
    column: str = "project",
    value: str | None = None,
    max_share: float = DEFAULT_MAX_PROJECT_SHARE,
) -> ScanEfficiency:
    """Storage ratio and row-group pruning for ``column = value`` (picked if not given)."""
    shares = value_shares(partition_dir, column)
    value = value if value is not None else pick_selective_value(shares, max_share)
    groups = row_groups(partition_dir, column)
    matching = [group for group in groups if group.may_contain(value)]
    return ScanEfficiency(
        parquet_files=len(_parquet_files(partition_dir)),
        parquet_bytes=sum(Path(f).stat().st_size for f in _parquet_files(partition_dir)),
        raw_gz_bytes=raw_gz_bytes,
        column=column,
        value=value,
        value_row_share=shares.get(value, 0.0),
        row_groups=len(groups),
        matching_row_groups=len(matching),
        matching_bytes=sum(group.compressed_bytes for group in matching),
        row_group_bytes=sum(group.compressed_bytes for group in groups),
    )
