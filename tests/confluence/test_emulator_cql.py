"""CQL parser and evaluator of the emulator, without HTTP: syntax, errors, semantics, dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radex.confluence.emulator.cql import (
    And,
    Clause,
    DateValue,
    Function,
    Not,
    Or,
    TextValue,
    Value,
    parse,
    tokenize,
)
from radex.confluence.emulator.cql_eval import (
    CqlContext,
    DateParts,
    SortKey,
    TextIndex,
    TextQuery,
    date_function,
)
from radex.errors import CqlError

UTC_NOW = datetime(2025, 3, 12, 15, 47, 30, tzinfo=UTC)  # a Wednesday


@dataclass(frozen=True)
class Rec:
    """A CqlRecord for tests."""

    id: str
    type: str = "page"
    space_key: str = "ENG"
    title: str = ""
    body: str = ""
    labels: frozenset[str] = frozenset()
    creators: frozenset[str] = frozenset({"alice"})
    contributors: frozenset[str] = frozenset({"alice"})
    created: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    lastmodified: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    ancestor_ids: frozenset[str] = frozenset()
    parent_id: str | None = None
    container_id: str | None = None
    text: TextIndex = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", TextIndex.of(f"{self.title} {self.body}"))


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


RECORDS = [
    Rec("10", title="Engineering Home", body="Welcome to engineering.", labels=frozenset({"home"})),
    Rec(
        "11",
        title="Deployment guide",
        body="Run make deploy after review. Freeze on Fridays.",
        labels=frozenset({"deploy", "runbook"}),
        contributors=frozenset({"alice", "dave"}),
        created=t("2025-02-01T10:00"),
        lastmodified=t("2025-03-05T12:30"),
        ancestor_ids=frozenset({"10"}),
        parent_id="10",
    ),
    Rec(
        "12",
        title="Rollback",
        body="Use make rollback.",
        creators=frozenset({"dave"}),
        contributors=frozenset({"dave"}),
        created=t("2025-02-20T10:00"),
        lastmodified=t("2025-03-01T10:15"),
        ancestor_ids=frozenset({"10", "11"}),
        parent_id="11",
    ),
    Rec(
        "13",
        type="blogpost",
        title="Release 1.0 shipped",
        body="We shipped the release.",
        labels=frozenset({"release"}),
        created=t("2025-03-01T10:14"),
        lastmodified=t("2025-03-01T10:14:59"),
    ),
    Rec("14", space_key="PUB", title="Public Home", body="Hello world.", creators=frozenset()),
    Rec(
        "15", type="comment", title="Re: Deployment guide", body="Rollback step?", container_id="11"
    ),
]
CTX = CqlContext(now=UTC_NOW, user_ids=frozenset({"dave"}))


def ids(cql: str, ctx: CqlContext = CTX) -> list[str]:
    q = parse(cql)
    return [r.id for r in q.sort(q.filter(RECORDS, ctx))]


# ---- tokens and syntax ----------------------------------------------------------------------


def test_tokenizer_splits_operators_words_strings_and_punctuation() -> None:
    toks = tokenize("a!=b and c>=\"x y\" or d !~ 'q' (e,f) g<h i<=j k>l m~n")
    assert [(tk.kind, tk.text) for tk in toks[:6]] == [
        ("word", "a"),
        ("op", "!="),
        ("word", "b"),
        ("word", "and"),
        ("word", "c"),
        ("op", ">="),
    ]
    ops = [tk.text for tk in toks if tk.kind == "op"]
    assert ops == ["!=", ">=", "!~", "<", "<=", ">", "~"]
    assert toks[-1].kind == "end"


def test_every_operator_parses() -> None:
    for op in ("=", "!=", ">", ">=", "<", "<="):
        clause = parse(f'created {op} "2025-01-02"').where
        assert isinstance(clause, Clause)
        assert clause.op == op
    for op in ("~", "!~"):
        clause = parse(f"text {op} deploy").where
        assert isinstance(clause, Clause)
        assert clause.op == op
    assert parse("label in (a, b)").where == Clause("label", "in", (Value("a"), Value("b")))
    assert parse("label not in (a)").where == Clause("label", "not in", (Value("a"),))


def test_precedence_not_over_and_over_or() -> None:
    q = parse("label = a or not label = b and label = c")
    a, b, c = (Clause("label", "=", (Value(x),)) for x in "abc")
    assert q.where == Or((a, And((Not(b), c))))


def test_parentheses_override_precedence() -> None:
    q = parse("(label = a or label = b) and not (label = c or label = d)")
    a, b, c, d = (Clause("label", "=", (Value(x),)) for x in "abcd")
    assert q.where == And((Or((a, b)), Not(Or((c, d)))))


def test_keywords_and_fields_are_case_insensitive() -> None:
    q = parse(
        'TYPE IN (page) AnD Space.Key = "ENG" Or LastModified > 2025-01-01 ORDER BY Title DESC'
    )
    assert isinstance(q.where, Or)
    assert q.order_by == (SortKey("title", True),)
    assert parse("Title ~ X").where == parse("title ~ X").where


def test_quoting_and_escapes() -> None:
    q = parse(r'title = "say \"hi\" \\ now" or title = ' + "'it\\'s'")
    assert isinstance(q.where, Or)
    first, second = q.where.operands
    assert isinstance(first, Clause)
    assert first.values == (Value('say "hi" \\ now', True),)
    assert isinstance(second, Clause)
    assert second.values == (Value("it's", True),)
    assert parse('label = "and"').where == Clause("label", "=", (Value("and", True),))


def test_lists_of_mixed_values_and_numbers() -> None:
    q = parse('ancestor in (123, "456", 789)')
    assert q.where == Clause("ancestor", "in", (Value("123"), Value("456", True), Value("789")))


def test_order_by_several_fields() -> None:
    q = parse("type = page order by space asc, lastmodified desc, title")
    assert q.order_by == (
        SortKey("space"),
        SortKey("lastmodified", True),
        SortKey("title"),
    )


def test_functions_parse_with_and_without_arguments() -> None:
    q = parse('creator = currentUser() and created > now("-1d") and lastmodified < endOfMonth()')
    assert isinstance(q.where, And)
    assert [c.values[0] for c in q.where.operands if isinstance(c, Clause)] == [
        Function("currentUser"),
        Function("now", ("-1d",)),
        Function("endOfMonth"),
    ]
    assert parse("created >= startOfWeek(-1w)").where == Clause(
        "created", ">=", (Function("startOfWeek", ("-1w",)),)
    )


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("2025/03/01 10:15", DateParts(2025, 3, 1, 10, 15)),
        ("2025-03-01 10:15", DateParts(2025, 3, 1, 10, 15)),
        ("2025/03/01", DateParts(2025, 3, 1)),
        ("2025-03-01", DateParts(2025, 3, 1)),
    ],
)
def test_all_four_date_formats(text: str, parts: DateParts) -> None:
    assert parse(f'created >= "{text}"').where == Clause("created", ">=", (DateValue(text, parts),))


def test_text_values_compile_to_text_queries() -> None:
    clause = parse('text ~ "deploy \\"make rollback\\" fri*"').where
    assert isinstance(clause, Clause)
    value = clause.values[0]
    assert isinstance(value, TextValue)
    assert [term.words for term in value.query.terms] == [
        ("deploy",),
        ("make", "rollback"),
        ("fri*",),
    ]


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cql", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("bogus = 1", "Unknown field 'bogus'"),
        ("user.fullname ~ alice", "Unknown field 'user.fullname'"),
        ("space ~ ENG", "Field 'space' does not support '~'"),
        ("text = deploy", "Field 'text' does not support '='"),
        ("created in (2025-01-01)", "does not support 'in'"),
        ('title = "open', "Unterminated string"),
        ("space = ENG and", "Expected a field name but found the end"),
        ("space = ENG space = PUB", "missing 'and' or 'or'"),
        ("(space = ENG", "')' to close"),
        ("space = ENG)", "Unexpected ')'"),
        ("space", "Expected an operator"),
        ("space =", "Expected a value"),
        ("label in ()", "Expected a value"),
        ("label in (a b)", "',' or ')'"),
        ("label not (a)", "Expected 'in' after 'not'"),
        ("ancestor = abc", "not a content id"),
        ("type = wiki", "Unknown content type 'wiki'"),
        ('created > "2025-13-01"', "not a valid calendar date"),
        ('created > "yesterday"', "is not a date"),
        ('created > "2025-01-01 25:00"', "invalid time"),
        ('created > now("-1x")', "not a date offset"),
        ('created > now("-1")', "needs a unit"),
        ("created > now(-1d, +1d)", "at most one argument"),
        ("created > tomorrow()", "Unknown function 'tomorrow()'"),
        ("creator = now()", "cannot be used with field 'creator'"),
        ("creator = currentUser(x)", "takes no arguments"),
        ("order by title", "before 'order by'"),
        ("type = page order title", "Expected 'by'"),
        ("type = page order by body", "Cannot order by 'body'"),
        ("label = a ! b", "Unexpected '!'"),
        ('text ~ "***"', "wildcard needs at least one letter"),
        ('text ~ "  ,; "', "has no words"),
    ],
)
def test_malformed_queries_raise_cql_error_naming_the_problem(cql: str, message: str) -> None:
    with pytest.raises(CqlError) as info:
        parse(cql)
    assert message in str(info.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_never_crashes_the_parser(cql: str) -> None:
    ctx = CqlContext(now=UTC_NOW, space_key="ENG", content_id="11")
    try:
        q = parse(cql)
        q.sort(q.filter(RECORDS, ctx), by_relevance=True)
    except CqlError:
        return


_FRAGMENTS = st.sampled_from(
    [
        "type",
        "space",
        "title",
        "text",
        "label",
        "created",
        "=",
        "!=",
        "~",
        ">=",
        "in",
        "not",
        "and",
        "or",
        "(",
        ")",
        ",",
        '"x"',
        "'y'",
        "page",
        "now()",
        'now("-1d")',
        'now("+99999999y")',
        '"9999-12-31"',
        "startOfWeek(-2)",
        "2025-01-01",
        "order by",
        "desc",
        "12",
        "\\",
        '"',
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12))
def test_random_token_soup_only_ever_raises_cql_error(parts: list[str]) -> None:
    ctx = CqlContext(now=UTC_NOW, space_key="ENG", content_id="11")
    try:
        q = parse(" ".join(parts))
        q.sort(q.filter(RECORDS, ctx), by_relevance=True)
    except CqlError:
        return


@pytest.mark.parametrize(
    "cql",
    [
        'created = "9999-12-31"',
        'created > now("+99999999y")',
        'created > now("-999999999999d")',
        'created > endOfYear("+7974y")',
    ],
)
def test_dates_out_of_range_are_cql_errors(cql: str) -> None:
    with pytest.raises(CqlError, match="range"):
        parse(cql).filter(RECORDS, CTX)


def test_context_functions_without_context_are_errors_at_evaluation() -> None:
    q = parse("space = currentSpace()")
    with pytest.raises(CqlError, match="cqlcontext"):
        q.matches(RECORDS[0], CTX)
    assert q.matches(RECORDS[0], CqlContext(now=UTC_NOW, space_key="eng"))
    q2 = parse("ancestor = currentContent()")
    with pytest.raises(CqlError, match="contentId"):
        q2.matches(RECORDS[0], CTX)


# ---- evaluation -----------------------------------------------------------------------------


def test_type_space_and_id_fields() -> None:
    assert ids("type = blogpost") == ["13"]
    assert ids("type in (page, blogpost) and space = eng") == ["10", "11", "12", "13"]
    assert ids("space.key != ENG") == ["14"]
    assert ids("space not in (ENG)") == ["14"]
    assert ids("id = 12 or content in (13, 14)") == ["12", "13", "14"]
    assert ids("type = page and id != 10 and space = ENG") == ["11", "12"]


def test_ancestor_parent_and_container() -> None:
    assert ids("ancestor = 10") == ["11", "12"]
    assert ids("ancestor = 11") == ["12"]
    assert ids("parent = 10") == ["11"]
    assert ids("parent in (10, 11)") == ["11", "12"]
    assert ids("container = 11") == ["15"]
    assert ids("type = page and ancestor != 10") == ["10", "14"]


def test_labels_are_case_insensitive_and_multi_valued() -> None:
    assert ids("label = RUNBOOK") == ["11"]
    assert ids("label in (home, release)") == ["10", "13"]
    assert ids("type = page and label != deploy") == ["10", "12", "14"]
    assert ids("label = deploy and label = runbook") == ["11"]
    assert ids("label not in (home, deploy, release)") == ["12", "14", "15"]


def test_title_equality_and_contains() -> None:
    assert ids('title = "rollback"') == ["12"]
    assert ids('title = "\\"Deployment guide\\""') == ["11"]
    assert ids("title in (Rollback, 'Public Home')") == ["12", "14"]
    assert ids('title ~ "deploy*"') == ["11", "15"]
    assert ids('title ~ "ro?lback"') == ["12"]
    assert ids('title !~ "home" and type = page') == ["11", "12"]


def test_text_contains_words_phrases_and_wildcards() -> None:
    assert ids("text ~ deploy") == ["11"]
    assert ids('text ~ "ROLLBACK"') == ["12", "15"]
    assert ids('text ~ "make rollback"') == ["12"]
    assert ids('text ~ "rollback make"') == ["12"]  # all words, any order
    assert ids('text ~ "\\"rollback make\\""') == []  # phrase: in order
    assert ids('text ~ "\\"make deploy\\""') == ["11"]
    assert ids("text ~ 'ship*'") == ["13"]
    assert ids('text ~ "Deployment"') == ["11", "15"]  # the title is part of the text
    assert ids("type = page and text !~ make") == ["10", "14"]


def test_creator_and_contributor_with_current_user() -> None:
    assert ids("creator = dave") == ["12"]
    assert ids("creator = currentUser()") == ["12"]
    assert ids("contributor = currentUser()") == ["11", "12"]
    assert ids("contributor in (alice, bob) and type = page") == ["10", "11", "14"]
    anonymous = CqlContext(now=UTC_NOW)
    assert ids("creator = currentUser()", anonymous) == []


def test_date_comparisons_have_minute_and_day_resolution() -> None:
    assert ids('lastmodified >= "2025-03-01 10:15"') == ["11", "12"]
    assert ids('lastmodified > "2025-03-01 10:14"') == ["11", "12"]
    assert ids('lastmodified = "2025/03/01 10:14"') == ["13"]
    assert ids('lastmodified = "2025-03-01"') == ["12", "13"]
    assert ids('lastmodified <= "2025/03/01"') == ["10", "12", "13", "14", "15"]
    assert ids('lastmodified < "2025-03-01"') == ["10", "14", "15"]
    assert ids('created != "2025-01-01" and type = page') == ["11", "12"]
    assert ids("created > 2025-02-01") == ["12", "13"]


def test_dates_are_read_in_the_context_time_zone() -> None:
    plus2 = CqlContext(now=UTC_NOW, tz=timezone(timedelta(hours=2)))
    # 12:15 at UTC+2 is 10:15 UTC
    assert ids('lastmodified >= "2025-03-01 12:15"', plus2) == ["11", "12"]
    assert ids('lastmodified >= "2025-03-01 12:16"', plus2) == ["11"]


def test_date_functions_relative_to_now() -> None:
    def span(expr: str, ctx: CqlContext = CTX) -> tuple[datetime, datetime]:
        clause = parse(f"created >= {expr}").where
        assert isinstance(clause, Clause)
        assert isinstance(clause.values[0], Function)
        s = date_function(clause.values[0].name, clause.values[0].args, ctx)
        return s.start, s.end

    minute = timedelta(minutes=1)
    assert span("now()") == (t("2025-03-12T15:47"), t("2025-03-12T15:48"))
    assert span('now("-1d")')[0] == t("2025-03-11T15:47")
    assert span('now("-4w")')[0] == t("2025-02-12T15:47")
    assert span('now("+2h")')[0] == t("2025-03-12T17:47")
    assert span('now("-30m")')[0] == t("2025-03-12T15:17")
    assert span('now("-1y")')[0] == t("2024-03-12T15:47")
    assert span('now("-1M")')[0] == t("2025-02-12T15:47")
    assert span("startOfDay()")[0] == t("2025-03-12T00:00")
    assert span('startOfDay("-1")')[0] == t("2025-03-11T00:00")
    assert span("endOfDay()") == (t("2025-03-12T23:59"), t("2025-03-13T00:00"))
    assert span("startOfWeek()")[0] == t("2025-03-09T00:00")  # Sunday
    assert span("endOfWeek()")[0] == t("2025-03-15T23:59")
    monday = CqlContext(now=UTC_NOW, week_start=0)
    assert span("startOfWeek()", monday)[0] == t("2025-03-10T00:00")
    assert span("startOfMonth()")[0] == t("2025-03-01T00:00")
    assert span('startOfMonth("-1")')[0] == t("2025-02-01T00:00")
    assert span('startOfMonth("+14d")')[0] == t("2025-03-15T00:00")
    assert span("endOfMonth()")[0] == t("2025-03-31T23:59")
    assert span('endOfMonth("-1M")')[0] == t("2025-02-28T23:59")
    assert span("startOfYear()")[0] == t("2025-01-01T00:00")
    assert span('endOfYear("-1y")') == (t("2024-12-31T23:59"), t("2024-12-31T23:59") + minute)


def test_date_functions_in_queries() -> None:
    now = CqlContext(now=t("2025-03-05T13:00"))
    assert ids('lastmodified >= now("-1d")', now) == ["11"]
    assert ids("lastmodified >= startOfMonth()", now) == ["11", "12", "13"]
    assert ids('created < startOfYear("+1")', now) == [r.id for r in RECORDS]
    assert ids("lastmodified > endOfDay()", now) == []


def test_boolean_structure_evaluates() -> None:
    assert ids("type = page and (label = home or creator = dave)") == ["10", "12"]
    assert ids("not type = page") == ["13", "15"]
    assert ids("not (type = page or type = comment)") == ["13"]
    assert ids("type = blogpost or space = PUB and type = page") == ["13", "14"]


def test_order_by_fields_and_directions() -> None:
    assert ids("space = ENG and type in (page, blogpost) order by lastmodified asc") == [
        "10",
        "13",
        "12",
        "11",
    ]
    assert ids("type in (page, blogpost) order by created desc, title asc") == [
        "13",
        "12",
        "11",
        "10",
        "14",
    ]
    assert ids("type = page order by title") == ["11", "10", "14", "12"]
    assert ids("type = page order by space desc, id desc") == ["14", "12", "11", "10"]


def test_relevance_orders_unsorted_text_searches() -> None:
    q = parse("text ~ rollback")
    hits = q.filter(RECORDS, CTX)
    assert [r.id for r in q.sort(hits, by_relevance=True)] == ["12", "15"]  # title hit first
    assert [r.id for r in q.sort(reversed(hits))] == ["12", "15"]  # without relevance: by id
    assert q.score(hits[0]) > q.score(hits[1])
    assert q.text_queries()[0][0] == "text"
    assert parse("not text ~ x").text_queries() == ()


def test_types_named_positively() -> None:
    assert parse("type in (page, Space) and label = x").types() == {"page", "space"}
    assert parse("not type = space").types() == frozenset()


def test_text_query_semantics_directly() -> None:
    index = TextIndex.of("The quick-brown fox; jumps over 42 lazy dogs")
    assert TextQuery.parse("quick brown").matches(index)
    assert TextQuery.parse('"quick brown"').matches(index)
    assert TextQuery.parse("quick-brown").matches(index)  # split like the text: a phrase
    assert not TextQuery.parse('"brown quick"').matches(index)
    assert TextQuery.parse("d?gs 4*").matches(index)
    assert not TextQuery.parse("cat").matches(index)
    assert TextQuery.parse("fox").score(TextIndex.of("fox fox Fox")) == 3


def test_large_record_sets_evaluate() -> None:
    many = [
        Rec(str(i), title=f"Page {i}", body=f"body text number {i} " + "filler words " * 50)
        for i in range(2000)
    ]
    q = parse('text ~ "number 1999" and type = page')
    assert [r.id for r in q.filter(many, CTX)] == ["1999"]
