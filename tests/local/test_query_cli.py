import csv
import io
import json

import pytest

from wikilake.cli import main


def query(capsys, *argv):
    code = main(["query", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_named_query_by_position_as_csv(capsys, tiny_lake):
    code, out, err = query(
        capsys, "top_channels", "--local", "--lake", str(tiny_lake), "-p", "2015-09-12", "-p", "2", "--format", "csv"
    )
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["rank"], r["channel"], r["edits"]) for r in rows] == [
        ("1", "#en.wikipedia", "7"),
        ("2", "#de.wikipedia", "5"),
    ]


def test_named_query_by_name_as_json_with_a_chart(capsys, tiny_lake, tmp_path, png_dimensions):
    chart = tmp_path / "hourly.png"
    code, out, err = query(
        capsys,
        "project_traffic_by_hour",
        "--local",
        "--lake",
        str(tiny_lake),
        "--param",
        "project=en.wikipedia",
        "--param",
        "dt=2015-09-12",
        "--format",
        "json",
        "--chart",
        str(chart),
    )
    assert code == 0
    assert json.loads(out) == [
        {"hour": 0, "views": 100, "desktop_views": 30, "mobile_views": 70},
        {"hour": 1, "views": 15, "desktop_views": 10, "mobile_views": 5},
    ]
    assert f"chart written to {chart}" in err
    assert png_dimensions(chart)[0] > 0


def test_table_output_names_the_query_and_its_parameters(capsys, tiny_lake):
    code, out, _ = query(
        capsys,
        "top_pages",
        "--local",
        "--lake",
        str(tiny_lake),
        "-p",
        "2015-09-12",
        "-p",
        "en.wikipedia",
        "-p",
        "access_site=mobile",
    )
    assert code == 0
    assert "top_pages" in out and "access_site=mobile" in out and "Apollo" in out
    assert "1 row · engine duckdb" in out


def test_ad_hoc_sql_with_parameters_and_show_sql(capsys, tiny_lake):
    code, out, err = query(
        capsys,
        "SELECT channel FROM edits_by_channel WHERE dt = ? AND edits > ? ORDER BY channel",
        "--local",
        "--lake",
        str(tiny_lake),
        "-p",
        "2015-09-12",
        "-p",
        "4",
        "--format",
        "csv",
        "--show-sql",
    )
    assert code == 0
    assert out.splitlines() == ["channel", "#de.wikipedia", "#en.wikipedia", "#fr.wikipedia"]
    assert "WHERE dt = '2015-09-12' AND edits > 4" in err and "-- DuckDB SQL" in err


def test_list_shows_every_named_query(capsys):
    code, out, _ = query(capsys, "--list")
    assert code == 0
    for name in ("top_channels", "us_human_edits_top_pages", "top_pages", "project_traffic_by_hour", "mobile_share"):
        assert name in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["top_pagez"], "unknown query 'top_pagez'; named queries: article_size_distribution, "),
        (["top_pages", "-p", "2015-09-12"], "missing parameter 'project' for top_pages"),
        (["top_pages", "-p", "=x"], "malformed --param '=x'"),
        (["top_pages", "-p", "dt=2015-09-12", "-p", "projct=en.wikipedia"], "unknown parameter 'projct'"),
        (["top_pages", "-p", "2015-09-32", "-p", "en.wikipedia"], "is not a date"),
        (["top_pages", "-p", "2015-09-13", "-p", "en.wikipedia"], "no data for dt=2015-09-13 in "),
        (["SELECT page FROM nowhere"], "unknown table nowhere"),
        (["top_channels", "-p", "2015-09-12", "--chart", "x.svg"], "charts are PNG files"),
        ([], "give a query name or SQL"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(capsys, tiny_lake, argv, message):
    code, out, err = query(capsys, *argv, "--local", "--lake", str(tiny_lake))
    assert code == 1 and out == ""
    assert err.startswith("wikilake: error: ") and message in err
    assert err.count("\n") == 1


def test_a_missing_lake_folder_is_an_error(capsys, tmp_path):
    code, _, err = query(capsys, "top_channels", "-p", "2015-09-12", "--local", "--lake", str(tmp_path / "nope"))
    assert code == 1 and "no lake at" in err and "wikilake demo" in err
