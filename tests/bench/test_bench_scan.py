"""Scan-efficiency analysis on a small Parquet file whose row groups are known by construction."""

from __future__ import annotations

import duckdb
import pytest

from bench.scan import RowGroup, analyze, pick_selective_value, row_groups

ROWS_PER_GROUP = 2048  # DuckDB writes row groups in multiples of its 2048-row vectors
GROUPS = 8
# Sorted by project like pageviews_daily: 'aa' fills groups 0-3 and 100 rows of group 4, then
# 'bb' (500 rows, 3% of the file) lies inside group 4, then 'cc' fills the rest.
BB_START, BB_ROWS = 4 * ROWS_PER_GROUP + 100, 500


@pytest.fixture(scope="module")
def partition(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pageviews_daily") / "dt=2024-03-15"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(f"""
            COPY (
              SELECT CASE WHEN i < {BB_START} THEN 'aa'
                          WHEN i < {BB_START + BB_ROWS} THEN 'bb' ELSE 'cc' END AS project,
                     'Page_' || (i * 7919 % 100003) AS page_title,
                     (i * 31 % 1000)::BIGINT AS views
              FROM range({GROUPS * ROWS_PER_GROUP}) t(i) ORDER BY i
            ) TO '{folder}/part-00000.parquet'
            (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {ROWS_PER_GROUP})
        """)
    return folder


def test_row_groups_carry_the_project_statistics(partition):
    groups = row_groups(partition, "project")
    assert [g.rows for g in groups] == [ROWS_PER_GROUP] * GROUPS
    assert [(g.min_value, g.max_value) for g in groups] == ([("aa", "aa")] * 4 + [("aa", "cc")] + [("cc", "cc")] * 3)
    assert all(g.compressed_bytes > 0 for g in groups)


def test_a_rare_project_is_read_from_its_row_group_only(partition):
    file_bytes = (partition / "part-00000.parquet").stat().st_size
    result = analyze(partition, raw_gz_bytes=4 * file_bytes)

    assert result.value == "bb"  # the only project under 5% of the rows
    assert result.value_row_share == pytest.approx(BB_ROWS / (GROUPS * ROWS_PER_GROUP))
    assert (result.row_groups, result.matching_row_groups) == (GROUPS, 1)
    assert result.storage_ratio == pytest.approx(0.25)
    # eight row groups of the same shape: one of them is about an eighth of the bytes
    assert 0.5 / GROUPS < result.scan_share < 2 / GROUPS


def test_a_project_spread_over_the_file_must_be_read_everywhere_it_may_be(partition):
    result = analyze(partition, raw_gz_bytes=1, value="aa")
    assert result.matching_row_groups == 5
    assert result.scan_share > 0.5


def test_a_row_group_without_statistics_always_matches():
    group = RowGroup("f.parquet", 0, 10, 100, None, None)
    assert group.may_contain("anything")
    assert not RowGroup("f.parquet", 0, 10, 100, "b", "c").may_contain("a")


def test_the_largest_project_under_the_limit_is_picked():
    shares = {"en.wikipedia": 0.6, "de.wikipedia": 0.049, "fr.wikipedia": 0.03, None: 0.01, "www.wikidata": 0.311}
    assert pick_selective_value(shares) == "de.wikipedia"
    with pytest.raises(ValueError):
        pick_selective_value({"en.wikipedia": 1.0})
