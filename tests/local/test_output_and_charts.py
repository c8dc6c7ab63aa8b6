import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest

from wikilake.charts import ChartSpec, draw_chart, infer_chart, write_chart
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


JOINED = QueryResult(
    ("rank", "page_title", "views", "article", "via_redirect", "text_bytes", "links", "categories"),
    (
        (1, "Main_Page", 10_813_753, None, None, None, None, None),
        (2, "Arithmetic_mean", 327_023, "Arithmetic mean", False, 16_713, 97, 4),
        (3, "List_of_Governors_of_the_Commonwealth_of_Massachusetts_since_1780", 5_000, None, None, None, None, None),
        (4, "AfghanistanHistory", 4_000, "History of Afghanistan", True, 20, 1, 0),
    ),
)
JOINED_TITLE = (
    "most_viewed_articles_content · pageviews_dt=2024-03-15 project=en.wikipedia articles_dt=2016-05-01 "
    "wiki=enwiki top_n=10"
)


def test_a_ranking_with_a_title_column_is_labelled_by_the_title_alone():
    assert infer_chart(JOINED) == ChartSpec("bar", ("page_title",), ("views",))


def test_the_chart_title_and_row_labels_stay_inside_the_figure():
    figure = draw_chart(JOINED, JOINED_TITLE)
    renderer = figure.canvas.get_renderer()
    figure.canvas.draw()
    inside = figure.bbox
    texts = [*figure.texts, *figure.axes[0].get_yticklabels()]
    for text in texts:
        box = text.get_window_extent(renderer)
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, (
            text.get_text(),
            box,
        )
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels[:2] == ["Main_Page", "Arithmetic_mean"] and labels[2].endswith("…")
    assert "project=en.wikipedia" in figure.get_suptitle()
