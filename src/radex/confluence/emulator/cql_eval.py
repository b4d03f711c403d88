"""CQL semantics needing no syntax tree: records, context, dates, date functions, text, order."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from typing import Any, Literal, Protocol, TypeVar

from radex.errors import CqlError

R = TypeVar("R", bound="CqlRecord")
Period = Literal["day", "week", "month", "year"]
ONE_MINUTE = timedelta(minutes=1)
EPSILON = timedelta(microseconds=1)


# ---- what a search runs against -------------------------------------------------------------


@dataclass(frozen=True)
class TextIndex:
    """Searchable text of one record: the plain text and its case-folded form."""

    plain: str
    folded: str

    @classmethod
    def of(cls, text: str) -> TextIndex:
        """Prepare plain text for case-insensitive word and phrase matching."""
        return cls(text, text.casefold())


class CqlRecord(Protocol):
    """What CQL can see of one searchable item (content, or a space for ``type = space``)."""

    @property
    def id(self) -> str:
        """Content id (space id for spaces)."""

    @property
    def type(self) -> str:
        """page, blogpost, comment, attachment, folder or space."""

    @property
    def space_key(self) -> str:
        """Key of the space it lives in."""

    @property
    def title(self) -> str:
        """Current title."""

    @property
    def text(self) -> TextIndex:
        """Title plus the plain text of the body, analysed."""

    @property
    def labels(self) -> frozenset[str]:
        """Label names, lower-cased."""

    @property
    def creators(self) -> frozenset[str]:
        """Identifiers of the creator that CQL accepts (accountId on Cloud; username, key on DC)."""

    @property
    def contributors(self) -> frozenset[str]:
        """Identifiers of everyone who authored a version."""

    @property
    def created(self) -> datetime:
        """Creation time (aware)."""

    @property
    def lastmodified(self) -> datetime:
        """Time of the current version (aware)."""

    @property
    def ancestor_ids(self) -> frozenset[str]:
        """Ids of every page/folder above it."""

    @property
    def parent_id(self) -> str | None:
        """Id of the direct parent page/folder, if any."""

    @property
    def container_id(self) -> str | None:
        """Id of the containing content, for comments and attachments."""


@dataclass(frozen=True)
class CqlContext:
    """Who searches, and when: the values functions such as ``now()`` and ``currentUser()`` use."""

    now: datetime
    user_ids: frozenset[str] = frozenset()  # the caller's identifiers; empty for anonymous
    tz: tzinfo = UTC  # dates without a zone are read in this zone
    space_key: str | None = None  # cqlcontext spaceKey, for currentSpace()
    content_id: str | None = None  # cqlcontext contentId, for currentContent()
    week_start: int = 6  # weekday that starts a week (Monday 0 … Sunday 6), as in en-US


# ---- text -----------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_PATTERN_WORD = re.compile(r"[\w*?]+")
_PHRASE = re.compile(r'"([^"]*)"|\'([^\']*)\'|(\S+)')


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of a text."""
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=65536)
def title_index(title: str) -> TextIndex:
    """The analysed form of a title (cached: titles repeat across queries)."""
    return TextIndex.of(title)


@dataclass(frozen=True)
class TextTerm:
    """One word (``*``/``?`` wildcards allowed) or a phrase whose words must appear in order."""

    words: tuple[str, ...]
    wildcard: bool = False

    @cached_property
    def _pieces(self) -> tuple[str, ...]:
        """Literal substrings any match must contain: a cheap test before the regex."""
        if not self.wildcard:
            return (max(self.words, key=len),)
        return tuple(p for p in re.split(r"[*?]+", self.words[0]) if p)

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        if self.wildcard:
            body = _wildcard_body(self.words[0])
        else:
            body = r"\W+".join(re.escape(w) for w in self.words)
        return re.compile(rf"(?<!\w){body}(?!\w)")

    def matches(self, index: TextIndex) -> bool:
        """True when the term occurs as whole words in the text."""
        folded = index.folded
        if not all(p in folded for p in self._pieces):
            return False
        return self._regex.search(folded) is not None

    def count(self, index: TextIndex) -> int:
        """About how often the term occurs (its rarest literal part, counted): for relevance."""
        return min(index.folded.count(p) for p in self._pieces) if self._pieces else 0

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the term's occurrences in raw text (for excerpt highlighting)."""
        rx = re.compile(self._regex.pattern, re.IGNORECASE)
        return [m.span() for m in rx.finditer(text)]


def _wildcard_body(word: str) -> str:
    return "".join(r"\w*" if ch == "*" else r"\w" if ch == "?" else re.escape(ch) for ch in word)


@dataclass(frozen=True)
class TextQuery:
    """The value of a ``~`` clause: every term (word or quoted phrase) must occur."""

    source: str
    terms: tuple[TextTerm, ...]

    @classmethod
    def parse(cls, value: str) -> TextQuery:
        """Split a ``~`` value into terms; quoted parts are phrases, ``*``/``?`` are wildcards."""
        terms: list[TextTerm] = []
        for m in _PHRASE.finditer(value):
            quoted = m.group(1) if m.group(1) is not None else m.group(2)
            if quoted is not None:
                words = tuple(tokenize(quoted))
                if words:
                    terms.append(TextTerm(words))
                continue
            chunk = _PATTERN_WORD.findall(m.group(3).casefold())
            if len(chunk) == 1 and ("*" in chunk[0] or "?" in chunk[0]):
                if not chunk[0].strip("*?"):
                    raise CqlError(f"A wildcard needs at least one letter or digit: '{value}'")
                terms.append(TextTerm((chunk[0],), wildcard=True))
            else:
                words = tuple(w for c in chunk for w in tokenize(c))
                if words:
                    terms.append(TextTerm(words))
        if not terms:
            raise CqlError(f"The text to search for has no words: '{value}'")
        return cls(value, tuple(terms))

    def matches(self, index: TextIndex) -> bool:
        """True when every term occurs."""
        return all(t.matches(index) for t in self.terms)

    def score(self, index: TextIndex) -> int:
        """Total occurrences of the terms."""
        return sum(t.count(index) for t in self.terms)


# ---- dates ----------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_OFFSET = re.compile(r"^([+-]?)(\d+)([yMwdhm]?)$")
DATE_FUNCTIONS: Mapping[str, tuple[str, Period | None]] = {
    "now": ("now", None),
    "startofday": ("start", "day"),
    "endofday": ("end", "day"),
    "startofweek": ("start", "week"),
    "endofweek": ("end", "week"),
    "startofmonth": ("start", "month"),
    "endofmonth": ("end", "month"),
    "startofyear": ("start", "year"),
    "endofyear": ("end", "year"),
}
_PERIOD_UNIT: Mapping[Period, str] = {"day": "d", "week": "w", "month": "M", "year": "y"}


@dataclass(frozen=True)
class TimeSpan:
    """The instants a date value names: a whole day, or one minute (CQL's resolution)."""

    start: datetime
    end: datetime  # exclusive

    def compare(self, op: str, t: datetime) -> bool:
        """``t op value``: inside the span is equal; after it is greater; before it is less."""
        if op == "=":
            return self.start <= t < self.end
        if op == "!=":
            return not self.start <= t < self.end
        if op == ">":
            return t >= self.end
        if op == ">=":
            return t >= self.start
        if op == "<":
            return t < self.start
        if op == "<=":
            return t < self.end
        raise CqlError(f"Operator '{op}' cannot compare dates")


@dataclass(frozen=True)
class DateParts:
    """A date literal as written: a day, or a day and a minute."""

    year: int
    month: int
    day: int
    hour: int | None = None
    minute: int | None = None

    def span(self, tz: tzinfo) -> TimeSpan:
        """The span this literal names in the caller's time zone."""
        start = datetime(self.year, self.month, self.day, self.hour or 0, self.minute or 0)
        start = start.replace(tzinfo=tz)
        width = timedelta(days=1) if self.hour is None else ONE_MINUTE
        try:
            return TimeSpan(start, start + width)
        except OverflowError:
            raise CqlError(f"The date {start:%Y-%m-%d} is out of range") from None


def parse_date(text: str) -> DateParts:
    """A date in ``yyyy/MM/dd HH:mm``, ``yyyy-MM-dd HH:mm``, ``yyyy/MM/dd`` or ``yyyy-MM-dd``."""
    m = _DATE.match(text.strip())
    if m is None:
        raise CqlError(
            f"'{text}' is not a date: use yyyy/MM/dd HH:mm, yyyy-MM-dd HH:mm, yyyy/MM/dd "
            "or yyyy-MM-dd"
        )
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4)) if m.group(4) is not None else None
    mi = int(m.group(5)) if m.group(5) is not None else None
    try:
        date(y, mo, d)
    except ValueError:
        raise CqlError(f"'{text}' is not a valid calendar date") from None
    if hh is not None and (hh > 23 or (mi or 0) > 59):
        raise CqlError(f"'{text}' has an invalid time of day")
    return DateParts(y, mo, d, hh, mi)


@dataclass(frozen=True)
class Offset:
    """A signed amount of one unit: y, M (months), w, d, h, m (minutes)."""

    amount: int
    unit: str


def parse_offset(text: str, default_unit: str | None) -> Offset:
    """``-4w``, ``+2h``, ``30m``, ``-1M`` (unit optional where the function has a period)."""
    m = _OFFSET.match(text.strip())
    if m is None:
        raise CqlError(
            f"'{text}' is not a date offset: use (+/-)n followed by y, M, w, d, h or m, e.g. '-1d'"
        )
    unit = m.group(3) or default_unit
    if unit is None:
        raise CqlError(f"The offset '{text}' needs a unit: y, M, w, d, h or m")
    amount = int(m.group(2))
    return Offset(-amount if m.group(1) == "-" else amount, unit)


def function_offset(name: str, args: Sequence[str]) -> Offset | None:
    """Validate a date function's arguments and return its offset, else CqlError."""
    period = DATE_FUNCTIONS[name.casefold()][1]
    if len(args) > 1:
        raise CqlError(f"{name}() takes at most one argument, got {len(args)}")
    if not args or not args[0].strip():
        return None
    return parse_offset(args[0], _PERIOD_UNIT[period] if period else None)


def add_offset(dt: datetime, offset: Offset | None) -> datetime:
    """``dt`` moved by the offset (months and years clamp the day to the month's end)."""
    if offset is None:
        return dt
    n, unit = offset.amount, offset.unit
    if unit in ("y", "M"):
        months = dt.month - 1 + (n * 12 if unit == "y" else n)
        year, month = dt.year + months // 12, months % 12 + 1
        day = min(dt.day, calendar.monthrange(year, month)[1])
        return dt.replace(year=year, month=month, day=day)
    seconds = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}[unit]
    return dt + timedelta(seconds=n * seconds)


def _start_of(period: Period, local: datetime, week_start: int) -> datetime:
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return midnight
    if period == "week":
        return midnight - timedelta(days=(local.weekday() - week_start) % 7)
    if period == "month":
        return midnight.replace(day=1)
    return midnight.replace(month=1, day=1)


def _one(period: Period) -> Offset:
    return Offset(1, _PERIOD_UNIT[period])


def date_function(name: str, args: Sequence[str], ctx: CqlContext) -> TimeSpan:
    """The minute a date function names: ``startOfMonth("-1M")`` is last month's first minute."""
    try:
        return _date_function(name, args, ctx)
    except (OverflowError, ValueError):
        raise CqlError(f"{name}({', '.join(args)}) is out of the supported date range") from None


def _date_function(name: str, args: Sequence[str], ctx: CqlContext) -> TimeSpan:
    kind, period = DATE_FUNCTIONS[name.casefold()]
    offset = function_offset(name, args)
    local = ctx.now.astimezone(ctx.tz)
    if period is None:
        instant = add_offset(local, offset)
    else:
        start = _start_of(period, local, ctx.week_start)
        if kind == "start":
            instant = add_offset(start, offset)
        else:
            instant = add_offset(add_offset(start, _one(period)), offset) - EPSILON
    floor = instant.replace(second=0, microsecond=0)
    return TimeSpan(floor, floor + ONE_MINUTE)


# ---- ordering -------------------------------------------------------------------------------

SORT_FIELDS: Mapping[str, str] = {
    "id": "id",
    "content": "id",
    "title": "title",
    "created": "created",
    "lastmodified": "lastmodified",
    "type": "type",
    "space": "space",
    "space.key": "space",
}


@dataclass(frozen=True)
class SortKey:
    """One ``order by`` term."""

    field: str  # canonical: id, title, created, lastmodified, type, space
    descending: bool = False


def content_number(content_id: str) -> str:
    """The numeric part of a content id (attachment ids read ``att123`` in v1)."""
    return content_id.removeprefix("att")


def _id_key(record: CqlRecord) -> tuple[int, str]:
    rid = content_number(record.id)
    return (int(rid), "") if rid.isdigit() else (1 << 62, rid)


def _key(name: str) -> Callable[[CqlRecord], Any]:
    if name == "id":
        return _id_key
    if name == "title":
        return lambda r: (r.title.casefold(), r.title)
    if name == "created":
        return lambda r: r.created
    if name == "lastmodified":
        return lambda r: r.lastmodified
    if name == "type":
        return lambda r: r.type
    return lambda r: r.space_key.casefold()


def sort_records(
    records: Iterable[R], keys: Sequence[SortKey], score: Callable[[R], float] | None = None
) -> list[R]:
    """Order records by the ``order by`` keys, else by ``score`` (relevance); ties: lower id."""
    out = sorted(records, key=_id_key)
    if not keys:
        if score is not None:
            out.sort(key=score, reverse=True)
        return out
    for key in reversed(keys):
        out.sort(key=_key(key.field), reverse=key.descending)
    return out
