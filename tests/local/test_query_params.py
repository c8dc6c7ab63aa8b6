import re

import pytest
import sqlglot
from sqlglot import exp

from wikilake.local.query import referenced_tables
from wikilake.query_params import (
    bind,
    describe,
    literal,
    literal_value,
    param_signature,
    placeholders,
    resolve,
    substitute,
)
from wikilake_core.datasets import DATASETS
from wikilake_core.ddl import PARAM_TYPES, QueryParam, load_queries, parse_query
from wikilake_core.errors import WikilakeError
from wikilake_core.run_history import HISTORY_TABLES


def check_placeholders(query) -> None:
    """The header declares exactly one parameter per `?` (they are matched by position): a check
    of the shipped queries' headers."""
    count = len(placeholders(query.sql))
    if count != len(query.parameters):
        raise WikilakeError(
            f"{query.name}: the SQL has {count} '?' but the header declares {len(query.parameters)} @param line(s)"
        )


QUERY = parse_query(
    "q",
    (
        "-- Answers a question.\n"
        "-- @param dt date: the day\n"
        "-- @param project: a project\n"
        "-- @param articles_only boolean = true: drop special pages\n"
        "-- @param top_n bigint = 10: how many\n"
        "SELECT 1 FROM t WHERE dt = ? AND project = ? AND ? AND rank <= ?"
    ),
)


def test_header_declares_types_and_defaults():
    assert [(p.name, p.type, p.default) for p in QUERY.parameters] == [
        ("dt", "date", None),
        ("project", "varchar", None),
        ("articles_only", "boolean", "true"),
        ("top_n", "bigint", "10"),
    ]
    assert QUERY.parameters[2].description == "drop special pages"


def test_header_refuses_unknown_types():
    with pytest.raises(WikilakeError, match="type 'money'"):
        parse_query("q", "-- @param price money: x\nSELECT ?")


@pytest.mark.parametrize(
    "param_type, value, expected",
    [
        ("date", "2015-09-12", "'2015-09-12'"),
        ("varchar", "en.wikipedia", "'en.wikipedia'"),
        ("varchar", "O'Brien", "'O''Brien'"),
        ("bigint", "25", "25"),
        ("bigint", "-3", "-3"),
        ("double", "2.5", "2.5"),
        ("boolean", "TRUE", "true"),
        ("boolean", "no", "false"),
        ("auto", "12", "12"),
        ("auto", "false", "false"),
        ("auto", "2015-09-12", "'2015-09-12'"),
    ],
)
def test_values_become_literals_of_their_type(param_type, value, expected):
    assert literal(QueryParam("p", "", param_type), value) == expected


@pytest.mark.parametrize(
    "param_type, value, message",
    [
        ("date", "2015-9-12x", "not a date"),
        ("date", "2015-02-30", "not a date"),
        ("bigint", "10; DROP TABLE x", "not a whole number"),
        ("double", "1e", "not a number"),
        ("boolean", "maybe", "not true or false"),
    ],
)
def test_bad_values_are_one_line_errors(param_type, value, message):
    with pytest.raises(WikilakeError, match=message) as err:
        literal(QueryParam("p", "", param_type), value)
    assert "\n" not in str(err.value)


def test_a_quote_cannot_escape_the_string_literal():
    sql = substitute("SELECT 1 FROM t WHERE p = ?", [literal(QueryParam("p", ""), "x' OR '1'='1")])
    where = sqlglot.parse_one(sql, read="athena").find(exp.Where)
    assert isinstance(where.this, exp.EQ) and where.this.expression.name == "x' OR '1'='1"


def test_bind_positional_named_and_defaults():
    assert bind(QUERY, ["2015-09-12", "en.wikipedia"]) == {
        "dt": "'2015-09-12'",
        "project": "'en.wikipedia'",
        "articles_only": "true",
        "top_n": "10",
    }
    assert bind(QUERY, ["top_n=3", "project=de.wikipedia", "2015-09-13"]) == {
        "dt": "'2015-09-13'",
        "project": "'de.wikipedia'",
        "articles_only": "true",
        "top_n": "3",
    }
    assert bind(QUERY, ["2015-09-12", "x", "false", "5"])["articles_only"] == "false"


def test_a_value_with_an_equals_sign_goes_by_name():
    assert bind(QUERY, ["2015-09-12", "project=a=b"])["project"] == "'a=b'"
    assert bind(QUERY, ["2015-09-12", "a b=c"])["project"] == "'a b=c'"
    with pytest.raises(WikilakeError, match="unknown parameter 'a'"):  # a typo'd name is caught
        bind(QUERY, ["2015-09-12", "a=b"])


@pytest.mark.parametrize(
    "raw, message",
    [
        ([], "missing parameter 'dt'"),
        (["2015-09-12"], "missing parameter 'project'"),
        (["dt=2015-09-12", "dt=2015-09-13", "p"], "given twice"),
        (["2015-09-12", "p", "true", "5", "extra"], "takes 4 parameter"),
        (["nope=1"], "unknown parameter 'nope'"),
        (["=5"], "malformed --param"),
    ],
)
def test_bind_errors(raw, message):
    with pytest.raises(WikilakeError, match=message):
        bind(QUERY, raw)


def test_placeholders_skip_strings_names_and_comments():
    sql = "-- what?\nSELECT '?' AS \"?\" FROM t /* ? */ WHERE a = ? AND b = ?"
    assert len(placeholders(sql)) == 2
    assert substitute(sql, ["1", "'x'"]).endswith("WHERE a = 1 AND b = 'x'")


def test_substitute_needs_one_value_per_placeholder():
    with pytest.raises(WikilakeError, match="2 '\\?' placeholders but 1 values"):
        substitute("SELECT 1 WHERE a = ? AND b = ?", ["1"])


def test_resolve_names_and_ad_hoc_sql():
    queries = {"top_pages": QUERY}
    assert resolve("top_pages", queries) is QUERY
    with pytest.raises(WikilakeError, match="unknown query 'top_pagez'; named queries: top_pages"):
        resolve("top_pagez", queries)
    ad_hoc = resolve("SELECT * FROM edits WHERE dt = ? AND added > ?", queries)
    assert [p.name for p in ad_hoc.parameters] == ["p1", "p2"]
    assert bind(ad_hoc, ["2015-09-12", "p2=100"]) == {"p1": "'2015-09-12'", "p2": "100"}


# --- the shipped named queries -------------------------------------------------------------

NAMED = load_queries()
REQUIRED = {"top_channels", "us_human_edits_top_pages", "top_pages", "project_traffic_by_hour", "mobile_share"}


def test_the_issue_queries_are_shipped():
    assert set(NAMED) >= REQUIRED


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_query_header_matches_its_sql(name):
    query = NAMED[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert len(query.description) > 30, "the header must say what the query answers"
    check_placeholders(query)
    assert all(p.type in PARAM_TYPES and p.description for p in query.parameters)
    # A query of one dataset takes its dt first; one of several names each <dataset>_dt; a query
    # of the run history (runs, quality) reads every dt.
    if not referenced_tables(sqlglot.parse_one(query.sql, read="athena")) <= set(HISTORY_TABLES):
        assert [p.name for p in query.parameters][0] in ("dt", *(f"{d}_dt" for d in DATASETS))


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_query_placeholders_sit_in_where_clauses(name):
    # Athena accepts execution parameters only in WHERE clauses (not in LIMIT or SELECT).
    tree = sqlglot.parse_one(NAMED[name].sql, read="athena")
    spots = list(tree.find_all(exp.Placeholder))
    assert len(spots) == len(NAMED[name].parameters)
    assert all(spot.find_ancestor(exp.Where) is not None for spot in spots)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_query_defaults_are_valid_values(name):
    for param in NAMED[name].parameters:
        if param.default is not None:
            literal(param, param.default)


# --- exact messages and edge cases ---------------------------------------------------------

SIGNATURE = "dt date, project varchar, articles_only boolean = true, top_n bigint = 10"


@pytest.mark.parametrize(
    "raw, message",
    [
        ([], f"missing parameter 'dt' for q ({SIGNATURE}); pass --param dt=VALUE"),
        (["2015-09-12", "p", "true", "5", "extra"], f"q takes 4 parameter(s) ({SIGNATURE}); got 5"),
        (["dt=2015-09-12", "dt=2015-09-13"], "parameter 'dt' given twice"),
        (["nope=1"], "unknown parameter 'nope'; expected one of: articles_only, dt, project, top_n"),
        (["=5"], "malformed --param '=5': use NAME=VALUE or a positional VALUE"),
        (["2015-09-12", "x", "maybe"], "parameter articles_only: 'maybe' is not true or false"),
    ],
)
def test_bind_error_messages(raw, message):
    with pytest.raises(WikilakeError) as caught:
        bind(QUERY, raw)
    assert str(caught.value) == message


def test_a_query_without_parameters():
    query = parse_query("plain", "-- Counts.\nSELECT count(*) FROM t")
    assert bind(query, []) == {}
    with pytest.raises(WikilakeError) as caught:
        bind(query, ["x=1"])
    assert str(caught.value) == "unknown parameter 'x'; expected one of: (none)"
    with pytest.raises(WikilakeError) as caught:
        bind(query, ["1"])
    assert str(caught.value) == "plain takes 0 parameter(s) (no parameters); got 1"


@pytest.mark.parametrize(
    "param_type, value, expected",
    [
        ("bigint", "+5", "5"),
        ("bigint", "007", "7"),
        ("double", ".5", ".5"),
        ("double", "-2.5E-3", "-2.5E-3"),
        ("double", "7", "7"),
        ("boolean", "1", "true"),
        ("boolean", "0", "false"),
        ("boolean", "Yes", "true"),
        ("boolean", "False", "false"),
        ("varchar", "", "''"),
        ("auto", "TRUE", "true"),
        ("auto", "False", "false"),
        ("auto", "-3.5", "-3.5"),
        ("auto", "1E3", "1e3"),
        ("auto", "yes", "'yes'"),
        ("auto", "O'Brien", "'O''Brien'"),
    ],
)
def test_more_literals(param_type, value, expected):
    assert literal(QueryParam("p", "", param_type), value) == expected


@pytest.mark.parametrize(
    "param_type, value, message",
    [
        ("date", "2015-9-12x", "parameter p: '2015-9-12x' is not a date (yyyy-MM-dd)"),
        ("bigint", "1.0", "parameter p: '1.0' is not a whole number"),
        ("bigint", "", "parameter p: '' is not a whole number"),
        ("double", "1e", "parameter p: '1e' is not a number"),
        ("double", "nan", "parameter p: 'nan' is not a number"),
        ("boolean", "", "parameter p: '' is not true or false"),
    ],
)
def test_bad_value_messages(param_type, value, message):
    with pytest.raises(WikilakeError) as caught:
        literal(QueryParam("p", "", param_type), value)
    assert str(caught.value) == message


def test_ad_hoc_parameters_are_typed_by_their_look():
    query = resolve("SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?", {})
    assert [(p.name, p.type, p.description) for p in query.parameters][:2] == [
        ("p1", "auto", "value of the 1. '?'"),
        ("p2", "auto", "value of the 2. '?'"),
    ]
    assert (query.name, query.description) == ("sql", "ad-hoc SQL")
    assert query.sql == "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?"
    assert bind(query, ["true", "yes", "1.5e3", "2015-09-12"]) == {
        "p1": "true",
        "p2": "'yes'",
        "p3": "1.5e3",
        "p4": "'2015-09-12'",
    }


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT 'abc WHERE x = ?", "cannot read the SQL: Error tokenizing 'SELECT 'abc WHERE x = '"),
        ('SELECT "abc', "cannot read the SQL: Error tokenizing 'SELECT \"ab'"),
    ],
)
def test_unterminated_strings_in_ad_hoc_sql_are_one_line_errors(sql, message):
    with pytest.raises(WikilakeError) as caught:
        resolve(sql, {})
    assert str(caught.value) == message


def test_a_header_that_does_not_match_its_sql():
    query = parse_query("q", "-- Answers.\n-- @param dt date: the day\nSELECT 1 WHERE a = ? AND b = ?")
    with pytest.raises(WikilakeError) as caught:
        check_placeholders(query)
    assert str(caught.value) == "q: the SQL has 2 '?' but the header declares 1 @param line(s)"
    check_placeholders(parse_query("q", "-- Answers.\nSELECT 1"))


def test_names_resolve_with_surrounding_space_and_unknown_names_list_none():
    assert resolve("  top_pages\n", {"top_pages": QUERY}) is QUERY
    with pytest.raises(WikilakeError) as caught:
        resolve("top_pages", {})
    assert str(caught.value) == "unknown query 'top_pages'; named queries: (none)"
    with pytest.raises(WikilakeError) as caught:
        resolve("top", {"top_pages": QUERY, "mobile_share": QUERY})
    assert str(caught.value) == "unknown query 'top'; named queries: mobile_share, top_pages"


def test_signatures_and_descriptions():
    assert [param_signature(p) for p in QUERY.parameters] == SIGNATURE.split(", ")
    assert describe({"dt": "'2015-09-12'", "top_n": "10", "who": "'O''Brien'", "on": "true"}) == (
        "dt=2015-09-12 top_n=10 who=O'Brien on=true"
    )
    assert literal_value("''") == ""


def test_substitute_keeps_the_text_around_each_placeholder():
    assert substitute("a=? AND b=?;", ["'x'", "2"]) == "a='x' AND b=2;"
    assert substitute("SELECT 1", []) == "SELECT 1"
    with pytest.raises(WikilakeError) as caught:
        substitute("SELECT ?", [])
    assert str(caught.value) == "the SQL has 1 '?' placeholders but 0 values"
