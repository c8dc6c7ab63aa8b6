import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest

from wikilake.charts import ChartSpec, infer_chart, write_chart
from wikilake.output import render, to_csv, to_json
from wikilake.query_result import QueryResult
from wikilake_core.errors import WikilakeError

RESULT = QueryResult(
    columns=("rank", "page", "views", "share", "seen", "flag"),
    rows=(
        (1, 'Ä, "quoted"', 1234567, Decimal("12.50"), datetime(2015, 9, 12, 1, 2, 3), True),
        (2, None, 5, 0.5, None, False),
    ),
    stats={"engine": "duckdb", "rows": 2, "seconds": 0.01},
)


def test_csv_is_parseable_with_a_header_and_empty_nulls():
    rows = list(csv.reader(io.StringIO(to_csv(RESULT))))
    assert rows == [
        ["rank", "page", "views", "share", "seen", "flag"],
        ["1", 'Ä, "quoted"', "1234567", "12.5", "2015-09-12T01:02:03", "true"],
        ["2", "", "5", "0.5", "", "false"],
    ]


def test_json_is_an_array_of_objects_with_plain_values():
    assert json.loads(to_json(RESULT)) == [
        {
            "rank": 1,
            "page": 'Ä, "quoted"',
            "views": 1234567,
            "share": 12.5,
            "seen": "2015-09-12T01:02:03",
            "flag": True,
        },
        {"rank": 2, "page": None, "views": 5, "share": 0.5, "seen": None, "flag": False},
    ]


def test_table_shows_thousands_separators_nulls_and_engine_facts():
    out = io.StringIO()
    render(RESULT, "table", out, title="top pages")
    text = out.getvalue()
    assert "top pages" in text and "1,234,567" in text and "NULL" in text
    assert "2 rows · engine duckdb · 0.01 s" in text


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        render(RESULT, "xml", io.StringIO())


RANKING = QueryResult(
    ("rank", "page", "channel", "edits", "editors"),
    tuple((i, f"Page {i}", "#en.wikipedia", 100 - i, 1) for i in range(1, 31)),
)
HOURLY = QueryResult(("hour", "views", "mobile_views"), tuple((h, 1000 + h, 500) for h in range(24)))


def test_rankings_are_bars_of_the_first_metric_labelled_by_text_columns():
    assert infer_chart(RANKING) == ChartSpec("bar", ("page", "channel"), ("edits",))


def test_time_series_are_lines_of_every_metric():
    assert infer_chart(HOURLY) == ChartSpec("line", ("hour",), ("views", "mobile_views"))


@pytest.mark.parametrize(
    "result, message",
    [
        (QueryResult(("page", "views"), ()), "returned no rows"),
        (QueryResult(("page", "title"), (("a", "b"),)), "needs a label column and a numeric column"),
        (QueryResult(("rank", "views"), ((1, 2),)), "needs a label column"),
    ],
)
def test_results_that_cannot_be_charted(result, message):
    with pytest.raises(WikilakeError, match=message):
        infer_chart(result)


@pytest.mark.parametrize("result", [RANKING, HOURLY], ids=["bar", "line"])
def test_charts_are_png_images(tmp_path, png_dimensions, result):
    path = write_chart(result, tmp_path / "sub" / "chart.png", "title · メインページ")
    width, height = png_dimensions(path)
    assert width > 400 and height > 200
    assert path.stat().st_size > 5000


def test_a_ranking_chart_grows_with_its_rows_up_to_a_cap(tmp_path, png_dimensions):
    few = QueryResult(RANKING.columns, RANKING.rows[:3])
    _, short = png_dimensions(write_chart(few, tmp_path / "few.png", "few"))
    _, tall = png_dimensions(write_chart(RANKING, tmp_path / "many.png", "many"))
    _, capped = png_dimensions(
        write_chart(QueryResult(RANKING.columns, RANKING.rows * 3), tmp_path / "capped.png", "capped")
    )
    assert short < tall == capped


def test_the_same_result_gives_the_same_png_bytes(tmp_path):
    first = write_chart(HOURLY, tmp_path / "a.png", "t").read_bytes()
    assert write_chart(HOURLY, tmp_path / "b.png", "t").read_bytes() == first


def test_chart_files_must_be_png(tmp_path):
    with pytest.raises(WikilakeError, match="name it \\*.png"):
        write_chart(HOURLY, tmp_path / "chart.jpg", "t")
