"""The result of one query, whichever engine ran it (DuckDB locally, Athena on AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    # Engine facts worth printing under the result, e.g. {"engine": "athena", "bytes_scanned": 123}.
    stats: dict = field(default_factory=dict)
