"""Confluence Query Language: tokenizer, syntax tree of frozen dataclasses, parser and matcher.

``parse(cql)`` turns a query into a :class:`CqlQuery`; ``query.matches(record, ctx)`` tests one
:class:`~radex.confluence.emulator.cql_eval.CqlRecord`; ``query.sort(records)`` applies
``order by``. Malformed input raises :class:`radex.errors.CqlError` naming the problem.
Precedence: ``not`` binds tighter than ``and``, which binds tighter than ``or``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from radex.confluence.emulator.cql_eval import (
    DATE_FUNCTIONS,
    SORT_FIELDS,
    CqlContext,
    CqlRecord,
    DateParts,
    SortKey,
    TextQuery,
    content_number,
    date_function,
    function_offset,
    parse_date,
    sort_records,
    title_index,
)
from radex.errors import CqlError

R = TypeVar("R", bound=CqlRecord)
Predicate = Callable[[CqlRecord], bool]

# ---- tokens ---------------------------------------------------------------------------------

TokenKind = Literal["(", ")", ",", "op", "word", "string", "end"]
_SPECIAL = frozenset("()=,!<>~\"'")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_PUNCT: Mapping[str, TokenKind] = {"(": "(", ")": ")", ",": ","}
KEYWORDS = frozenset({"and", "or", "not", "in", "order", "by", "asc", "desc"})


@dataclass(frozen=True)
class Token:
    """One lexical token; ``pos`` is its 1-based column in the query."""

    kind: TokenKind
    text: str
    pos: int

    def keyword(self) -> str | None:
        """The lower-cased keyword this bare word spells, if any."""
        low = self.text.casefold()
        return low if self.kind == "word" and low in KEYWORDS else None

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind == "end":
            return "the end of the query"
        shown = repr(self.text) if self.kind == "string" else f"'{self.text}'"
        return f"{shown} at column {self.pos}"


def tokenize(cql: str) -> list[Token]:
    """Split a query into tokens (quoted strings unescaped), else CqlError."""
    tokens: list[Token] = []
    i, n = 0, len(cql)
    while i < n:
        c = cql[i]
        if c.isspace():
            i += 1
        elif c in _PUNCT:
            tokens.append(Token(_PUNCT[c], c, i + 1))
            i += 1
        elif c in "=~":
            tokens.append(Token("op", c, i + 1))
            i += 1
        elif c == "!":
            if i + 1 < n and cql[i + 1] in "=~":
                tokens.append(Token("op", cql[i : i + 2], i + 1))
                i += 2
            else:
                raise CqlError(f"Unexpected '!' at column {i + 1}: use != or !~")
        elif c in "<>":
            width = 2 if i + 1 < n and cql[i + 1] == "=" else 1
            tokens.append(Token("op", cql[i : i + width], i + 1))
            i += width
        elif c in "\"'":
            text, i = _string(cql, i)
            tokens.append(Token("string", text, i))
        else:
            start = i
            while i < n and not cql[i].isspace() and cql[i] not in _SPECIAL:
                i += 1
            tokens.append(Token("word", cql[start:i], start + 1))
    tokens.append(Token("end", "", n + 1))
    return tokens


def _string(cql: str, start: int) -> tuple[str, int]:
    quote, out, i = cql[start], [], start + 1
    while i < len(cql):
        c = cql[i]
        if c == "\\":
            if i + 1 >= len(cql):
                break
            nxt = cql[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif c == quote:
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise CqlError(f"Unterminated string starting at column {start + 1}: add the closing {quote}")


# ---- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A plain value: a bare word or number, or a quoted string."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Function:
    """A function call such as ``now("-1d")`` or ``currentUser()``."""

    name: str  # as written
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateValue:
    """A date literal, checked at parse time."""

    text: str
    parts: DateParts


@dataclass(frozen=True)
class TextValue:
    """The right side of ``~``/``!~``: words, quoted phrases, wildcards."""

    text: str
    query: TextQuery


Operand = Value | Function | DateValue | TextValue
Op = Literal["=", "!=", ">", ">=", "<", "<=", "~", "!~", "in", "not in"]


@dataclass(frozen=True)
class Clause:
    """``field op value`` or ``field [not] in (values)``; ``field`` is canonical."""

    field: str
    op: Op
    values: tuple[Operand, ...]


@dataclass(frozen=True)
class Not:
    """``not expr``."""

    operand: Expr


@dataclass(frozen=True)
class And:
    """``a and b and …``."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """``a or b or …``."""

    operands: tuple[Expr, ...]


Expr = Clause | Not | And | Or

# ---- fields ---------------------------------------------------------------------------------

FieldKind = Literal["type", "space", "content", "label", "title", "text", "user", "date"]
_EQ: frozenset[str] = frozenset({"=", "!=", "in", "not in"})
_TEXT: frozenset[str] = frozenset({"~", "!~"})
_RANGE: frozenset[str] = frozenset({"=", "!=", ">", ">=", "<", "<="})
CONTENT_TYPES = frozenset(
    {"page", "blogpost", "comment", "attachment", "folder", "space"}
    | {"whiteboard", "database", "embed"}
)


@dataclass(frozen=True)
class FieldSpec:
    """A CQL field: its canonical name, value kind, operators and functions."""

    name: str
    kind: FieldKind
    ops: frozenset[str]
    functions: frozenset[str] = frozenset()


_DATE_FNS = frozenset(DATE_FUNCTIONS)
_FIELD_LIST = (
    FieldSpec("type", "type", _EQ),
    FieldSpec("space", "space", _EQ, frozenset({"currentspace"})),
    FieldSpec("id", "content", _EQ, frozenset({"currentcontent"})),
    FieldSpec("ancestor", "content", _EQ, frozenset({"currentcontent"})),
    FieldSpec("parent", "content", _EQ, frozenset({"currentcontent"})),
    FieldSpec("container", "content", _EQ, frozenset({"currentcontent"})),
    FieldSpec("label", "label", _EQ),
    FieldSpec("title", "title", _EQ | _TEXT),
    FieldSpec("text", "text", _TEXT),
    FieldSpec("creator", "user", _EQ, frozenset({"currentuser"})),
    FieldSpec("contributor", "user", _EQ, frozenset({"currentuser"})),
    FieldSpec("created", "date", _RANGE, _DATE_FNS),
    FieldSpec("lastmodified", "date", _RANGE, _DATE_FNS),
)
FIELDS: Mapping[str, FieldSpec] = {
    **{f.name: f for f in _FIELD_LIST},
    "space.key": next(f for f in _FIELD_LIST if f.name == "space"),
    "content": next(f for f in _FIELD_LIST if f.name == "id"),
}
FUNCTIONS = _DATE_FNS | {"currentuser", "currentspace", "currentcontent"}


# ---- parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, cql: str) -> None:
        self.tokens = tokenize(cql)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: TokenKind, what: str) -> Token:
        if self.tok.kind != kind:
            raise CqlError(f"Expected {what} but found {self.tok.describe()}")
        return self.take()

    def query(self) -> tuple[Expr, tuple[SortKey, ...]]:
        if self.tok.kind == "end":
            raise CqlError("The CQL query is empty")
        if self.tok.keyword() == "order":
            raise CqlError("A CQL query needs at least one clause before 'order by'")
        expr = self.or_()
        order: tuple[SortKey, ...] = ()
        if self.tok.keyword() == "order":
            order = self.order_by()
        rest = self.tokens[self.i]
        if rest.kind != "end":
            hint = " (a missing 'and' or 'or'?)" if rest.kind in ("word", "string") else ""
            raise CqlError(f"Unexpected {rest.describe()}{hint}")
        return expr, order

    def or_(self) -> Expr:
        parts = [self.and_()]
        while self.tok.keyword() == "or":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Expr:
        parts = [self.not_()]
        while self.tok.keyword() == "and":
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_(self) -> Expr:
        if self.tok.keyword() == "not":
            self.take()
            return Not(self.not_())
        if self.tok.kind == "(":
            self.take()
            inner = self.or_()
            self.expect(")", "')' to close the parenthesis")
            return inner
        return self.clause()

    def clause(self) -> Clause:
        tok = self.tok
        if tok.kind != "word" or tok.keyword() is not None:
            raise CqlError(f"Expected a field name but found {tok.describe()}")
        self.take()
        spec = FIELDS.get(tok.text.casefold())
        if spec is None:
            raise CqlError(f"Unknown field '{tok.text}' at column {tok.pos}")
        op = self.operator(spec, tok.text)
        if op in ("in", "not in"):
            self.expect("(", f"'(' to start the list after '{op}'")
            values = [self.operand(spec, op)]
            while self.tok.kind == ",":
                self.take()
                values.append(self.operand(spec, op))
            self.expect(")", "',' or ')' in the value list")
            return Clause(spec.name, op, tuple(values))
        return Clause(spec.name, op, (self.operand(spec, op),))

    def operator(self, spec: FieldSpec, written: str) -> Op:
        tok = self.take()
        op: str
        if tok.kind == "op":
            op = tok.text
        elif tok.keyword() == "in":
            op = "in"
        elif tok.keyword() == "not":
            if self.tok.keyword() != "in":
                raise CqlError(f"Expected 'in' after 'not' at column {tok.pos}")
            self.take()
            op = "not in"
        else:
            raise CqlError(f"Expected an operator after '{written}' but found {tok.describe()}")
        if op not in spec.ops:
            allowed = ", ".join(sorted(spec.ops))
            raise CqlError(f"Field '{written}' does not support '{op}'; it supports {allowed}")
        return op  # type: ignore[return-value]

    def operand(self, spec: FieldSpec, op: str) -> Operand:
        tok = self.tok
        if tok.kind not in ("word", "string") or tok.keyword() is not None:
            raise CqlError(f"Expected a value after '{op}' but found {tok.describe()}")
        self.take()
        if tok.kind == "word" and self.tok.kind == "(":
            return self.function(tok, spec)
        return _typed_value(spec, op, tok)

    def function(self, name: Token, spec: FieldSpec) -> Function:
        self.take()
        args: list[str] = []
        while self.tok.kind != ")":
            if args:
                self.expect(",", f"',' or ')' in the arguments of {name.text}()")
            arg = self.tok
            if arg.kind not in ("word", "string"):
                raise CqlError(f"Expected an argument of {name.text}() but found {arg.describe()}")
            args.append(self.take().text)
        self.take()
        low = name.text.casefold()
        if low not in FUNCTIONS:
            raise CqlError(f"Unknown function '{name.text}()' at column {name.pos}")
        if low not in spec.functions:
            raise CqlError(f"Function '{name.text}()' cannot be used with field '{spec.name}'")
        if low in DATE_FUNCTIONS:
            function_offset(name.text, args)
        elif args:
            raise CqlError(f"{name.text}() takes no arguments")
        return Function(name.text, tuple(args))

    def order_by(self) -> tuple[SortKey, ...]:
        self.take()
        if self.tok.keyword() != "by":
            raise CqlError(f"Expected 'by' after 'order' but found {self.tok.describe()}")
        self.take()
        keys = [self.sort_key()]
        while self.tok.kind == ",":
            self.take()
            keys.append(self.sort_key())
        return tuple(keys)

    def sort_key(self) -> SortKey:
        tok = self.tok
        if tok.kind != "word" or tok.keyword() is not None:
            raise CqlError(f"Expected a field to order by but found {tok.describe()}")
        self.take()
        name = SORT_FIELDS.get(tok.text.casefold())
        if name is None:
            allowed = ", ".join(sorted(set(SORT_FIELDS)))
            raise CqlError(f"Cannot order by '{tok.text}'; use one of {allowed}")
        direction = self.tok.keyword()
        if direction in ("asc", "desc"):
            self.take()
        return SortKey(name, direction == "desc")


def _typed_value(spec: FieldSpec, op: str, tok: Token) -> Operand:
    text = tok.text
    if spec.kind == "date":
        return DateValue(text, parse_date(text))
    if op in ("~", "!~"):
        return TextValue(text, TextQuery.parse(text))
    if spec.kind == "content" and not content_number(text.strip()).isdigit():
        raise CqlError(f"'{text}' is not a content id (field '{spec.name}' takes numbers)")
    if spec.kind == "type" and text.casefold() not in CONTENT_TYPES:
        allowed = ", ".join(sorted(CONTENT_TYPES))
        raise CqlError(f"Unknown content type '{text}'; use one of {allowed}")
    if not text.strip():
        raise CqlError(f"Empty value for field '{spec.name}' at column {tok.pos}")
    return Value(text, tok.kind == "string")


def parse(cql: str) -> CqlQuery:
    """Parse a CQL query, else CqlError naming what is wrong and where."""
    where, order = _Parser(cql).query()
    return CqlQuery(where, order, cql)


# ---- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CqlQuery:
    """A parsed query: a condition and the ``order by`` keys."""

    where: Expr
    order_by: tuple[SortKey, ...]
    source: str

    def predicate(self, ctx: CqlContext) -> Predicate:
        """The condition bound to a context (functions resolved once), else CqlError."""
        return _compile(self.where, ctx)

    def matches(self, record: CqlRecord, ctx: CqlContext) -> bool:
        """True when the record satisfies the condition."""
        return self.predicate(ctx)(record)

    def filter(self, records: Iterable[R], ctx: CqlContext) -> list[R]:
        """The records that satisfy the condition, in the given order."""
        pred = self.predicate(ctx)
        return [r for r in records if pred(r)]

    def text_queries(self) -> tuple[tuple[str, TextQuery], ...]:
        """(field, query) of every positive ``~`` clause: what relevance and excerpts use."""
        return tuple(
            (c.field, v.query)
            for c in _positive(self.where)
            if c.op == "~"
            for v in c.values
            if isinstance(v, TextValue)
        )

    def score(self, record: CqlRecord) -> float:
        """Relevance: occurrences of the searched words, title hits weighing triple."""
        total = 1.0
        for field, q in self.text_queries():
            title_hits = q.score(title_index(record.title))
            total += 3 * title_hits + (q.score(record.text) if field == "text" else 0)
        return total

    def sort(self, records: Iterable[R], *, by_relevance: bool = False) -> list[R]:
        """Records in ``order by`` order, else by relevance (when asked) and then id."""
        return sort_records(records, self.order_by, self.score if by_relevance else None)

    def types(self) -> frozenset[str]:
        """Content types named by positive ``type =``/``type in`` clauses."""
        return frozenset(
            v.text.casefold()
            for c in _positive(self.where)
            if c.field == "type" and c.op in ("=", "in")
            for v in c.values
            if isinstance(v, Value)
        )


def _positive(expr: Expr, negated: bool = False) -> Iterable[Clause]:
    """Clauses not under an odd number of ``not``s (``!=``-style operators excluded later)."""
    if isinstance(expr, Clause):
        if not negated:
            yield expr
    elif isinstance(expr, Not):
        yield from _positive(expr.operand, not negated)
    else:
        for part in expr.operands:
            yield from _positive(part, negated)


def _compile(expr: Expr, ctx: CqlContext) -> Predicate:
    if isinstance(expr, Not):
        inner = _compile(expr.operand, ctx)
        return lambda r: not inner(r)
    if isinstance(expr, And):
        parts = [_compile(p, ctx) for p in expr.operands]
        return lambda r: all(p(r) for p in parts)
    if isinstance(expr, Or):
        parts = [_compile(p, ctx) for p in expr.operands]
        return lambda r: any(p(r) for p in parts)
    positive = _clause(expr, ctx)
    if expr.op in ("!=", "not in", "!~"):
        return lambda r: not positive(r)
    return positive


def _clause(c: Clause, ctx: CqlContext) -> Predicate:
    kind = FIELDS[c.field].kind
    if kind == "date":
        return _date_clause(c, ctx)
    if c.op in ("~", "!~"):
        queries = [v.query for v in c.values if isinstance(v, TextValue)]
        if c.field == "text":
            return lambda r: all(q.matches(r.text) for q in queries)
        return lambda r: all(q.matches(title_index(r.title)) for q in queries)
    wanted = frozenset(w for v in c.values for w in _resolve(v, c.field, ctx))
    getter = _GETTERS[c.field]
    return lambda r: not wanted.isdisjoint(getter(r))


def _date_clause(c: Clause, ctx: CqlContext) -> Predicate:
    value = c.values[0]
    if isinstance(value, DateValue):
        span = value.parts.span(ctx.tz)
    elif isinstance(value, Function):
        span = date_function(value.name, value.args, ctx)
    else:  # pragma: no cover - the parser only builds the two above for dates
        raise CqlError(f"'{c.field}' needs a date")
    op = "=" if c.op == "!=" else c.op  # negation is applied by the caller
    if c.field == "created":
        return lambda r: span.compare(op, r.created)
    return lambda r: span.compare(op, r.lastmodified)


def _resolve(value: Operand, field: str, ctx: CqlContext) -> Iterable[str]:
    if isinstance(value, Function):
        low = value.name.casefold()
        if low == "currentuser":
            return ctx.user_ids
        if low == "currentspace":
            if ctx.space_key is None:
                raise CqlError("currentSpace() needs a cqlcontext with a spaceKey")
            return (ctx.space_key.casefold(),)
        if ctx.content_id is None:
            raise CqlError("currentContent() needs a cqlcontext with a contentId")
        return (content_number(ctx.content_id),)
    text = value.text.strip()
    if FIELDS[field].kind == "content":
        return (content_number(text),)
    if field in ("type", "space", "label"):
        return (text.casefold(),)
    if field == "title":
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]  # title = "\"Exact Title\"" as Cloud documents it
        return (text.casefold(),)
    return (text,)


_GETTERS: Mapping[str, Callable[[CqlRecord], Iterable[str | None]]] = {
    "type": lambda r: (r.type,),
    "space": lambda r: (r.space_key.casefold(),),
    "id": lambda r: (content_number(r.id),),
    "ancestor": lambda r: r.ancestor_ids,
    "parent": lambda r: (r.parent_id,),
    "container": lambda r: (r.container_id,),
    "label": lambda r: r.labels,
    "title": lambda r: (r.title.casefold(),),
    "creator": lambda r: r.creators,
    "contributor": lambda r: r.contributors,
}
