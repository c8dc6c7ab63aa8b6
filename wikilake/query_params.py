"""Binds `--param` values to a query's `?` placeholders as Athena/Trino SQL literals.

Athena execution parameters are literal SQL text (a string must arrive quoted: `'2015-09-12'`).
Users should not have to know that, so each named query declares its parameters' types in its
header (`-- @param dt date: ...`) and values are rendered by type: `date` and `varchar` become
quoted strings (quotes doubled), `bigint`/`double` are checked numbers, `boolean` is true/false.
The same literals go to Athena (ExecutionParameters) and into the SQL that DuckDB runs locally,
so both engines see the same query. Ad-hoc SQL has no header: its parameters are named p1, p2, ...
and typed by their look (numbers and true/false as is, anything else quoted).
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from wikilake_core.dates import DATE_FORMAT
from wikilake_core.ddl import NamedQuery, QueryParam
from wikilake_core.errors import WikilakeError

AUTO = "auto"  # the type of an ad-hoc query's parameters
_IDENTIFIER = re.compile(r"^\w+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOLEANS = {"true": "true", "false": "false", "yes": "true", "no": "false", "1": "true", "0": "false"}


def placeholders(sql: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every `?` placeholder of Athena SQL, in text order.

    Tokenizing (not a regex) skips `?` inside strings, quoted names and comments.
    """
    try:
        tokens = sqlglot.Dialect.get_or_raise("athena").tokenize(sql)
    except sqlglot.errors.TokenError as err:
        raise WikilakeError(f"cannot read the SQL: {str(err).splitlines()[0]}") from err
    return [(t.start, t.end + 1) for t in tokens if t.token_type == TokenType.PLACEHOLDER]


def substitute(sql: str, literals: list[str]) -> str:
    """The SQL with its `?` placeholders replaced, in order, by the given literals."""
    spots = placeholders(sql)
    if len(spots) != len(literals):
        raise WikilakeError(f"the SQL has {len(spots)} '?' placeholders but {len(literals)} values")
    for (start, end), literal in reversed(list(zip(spots, literals))):
        sql = sql[:start] + literal + sql[end:]
    return sql


def literal(param: QueryParam, value: str) -> str:
    """``value`` (as typed by a user) as an Athena/Trino literal of the parameter's type."""
    kind = param.type
    if kind == "date":
        try:
            day = datetime.strptime(value, DATE_FORMAT)
        except ValueError:
            raise WikilakeError(f"parameter {param.name}: {value!r} is not a date (yyyy-MM-dd)") from None
        return exp.Literal.string(day.strftime(DATE_FORMAT)).sql("athena")
    if kind == "bigint":
        if not _INTEGER.match(value):
            raise WikilakeError(f"parameter {param.name}: {value!r} is not a whole number")
        return str(int(value))
    if kind == "double":
        if not _NUMBER.match(value):
            raise WikilakeError(f"parameter {param.name}: {value!r} is not a number")
        return value
    if kind == "boolean":
        if value.lower() not in _BOOLEANS:
            raise WikilakeError(f"parameter {param.name}: {value!r} is not true or false")
        return _BOOLEANS[value.lower()]
    if kind == AUTO and (_NUMBER.match(value) or value.lower() in ("true", "false")):
        return value.lower()
    return exp.Literal.string(value).sql("athena")


def ad_hoc_query(sql: str) -> NamedQuery:
    """A NamedQuery for SQL typed on the command line: parameters p1..pN of type auto."""
    params = tuple(QueryParam(f"p{i}", f"value of the {i}. '?'", AUTO) for i in range(1, len(placeholders(sql)) + 1))
    return NamedQuery(name="sql", description="ad-hoc SQL", parameters=params, sql=sql)


def _split(raw: str, names: set[str]) -> tuple[str | None, str]:
    """`name=value` -> (name, value); a bare value -> (None, value)."""
    name, sep, value = raw.partition("=")
    if sep and _IDENTIFIER.match(name):
        if name not in names:
            raise WikilakeError(f"unknown parameter {name!r}; expected one of: {', '.join(sorted(names)) or '(none)'}")
        return name, value
    if sep and not name:
        raise WikilakeError(f"malformed --param {raw!r}: use NAME=VALUE or a positional VALUE")
    return None, raw


def bind(query: NamedQuery, raw_params: list[str]) -> dict[str, str]:
    """Parameter name -> literal, for every parameter of ``query`` in `?` order.

    Positional values fill the parameters not given by name, in header order; parameters with a
    default may be left out.
    """
    by_name: dict[str, str] = {}
    positional: list[str] = []
    names = {p.name for p in query.parameters}
    for raw in raw_params:
        name, value = _split(raw, names)
        if name is None:
            positional.append(value)
        elif name in by_name:
            raise WikilakeError(f"parameter {name!r} given twice")
        else:
            by_name[name] = value
    open_params = [p for p in query.parameters if p.name not in by_name]
    if len(positional) > len(open_params):
        raise WikilakeError(
            f"{query.name} takes {len(query.parameters)} parameter(s) ({_signature(query)}); got {len(raw_params)}"
        )
    by_name.update({p.name: v for p, v in zip(open_params, positional)})
    bound = {}
    for param in query.parameters:
        given = by_name.get(param.name, param.default)
        if given is None:
            raise WikilakeError(
                f"missing parameter {param.name!r} for {query.name} ({_signature(query)}); "
                f"pass --param {param.name}=VALUE"
            )
        bound[param.name] = literal(param, given)
    return bound


def param_signature(param: QueryParam) -> str:
    """E.g. `top_n bigint = 10`."""
    return f"{param.name} {param.type}" + (f" = {param.default}" if param.default is not None else "")


def _signature(query: NamedQuery) -> str:
    return ", ".join(map(param_signature, query.parameters)) or "no parameters"


def load_named(name: str, queries: dict[str, NamedQuery]) -> NamedQuery:
    """The named query ``name``, or a one-line error listing the known names."""
    if name not in queries:
        raise WikilakeError(f"unknown query {name!r}; named queries: {', '.join(sorted(queries)) or '(none)'}")
    return queries[name]


def resolve(name_or_sql: str, queries: dict[str, NamedQuery]) -> NamedQuery:
    """A named query by its name, or ad-hoc SQL (anything that is not a single identifier)."""
    text = name_or_sql.strip()
    if _IDENTIFIER.match(text):
        return load_named(text, queries)
    return ad_hoc_query(text)


def describe(literals: dict[str, str]) -> str:
    """Bound parameters as a user would type them, e.g. `dt=2015-09-12 top_n=10`."""
    return " ".join(f"{name}={literal_value(text)}" for name, text in literals.items())


def literal_value(literal_text: str) -> str:
    """The value a literal stands for, as text ("'2015-09-12'" -> "2015-09-12")."""
    if literal_text.startswith("'"):
        return sqlglot.parse_one(literal_text, read="athena").name
    return literal_text
