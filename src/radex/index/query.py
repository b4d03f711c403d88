"""SQL fragments for the SQLite index: a safe FTS5 expression, the Acl filter and filters.

The user's query never reaches FTS5 as syntax: each whitespace-separated token keeps only its
word characters and becomes one double-quoted phrase (``billing-api`` → ``"billing api"``),
and phrases are OR-ed so partial matches still rank. Common English stop words are dropped
when anything else is left (they match most chunks and only slow BM25 down).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from radex.errors import InputError
from radex.text import STOP_WORDS as COMMON_STOP_WORDS
from radex.types import SearchFilters

MAX_TERMS: Final = 32
_WORD: Final = re.compile(r"\w+")
STOP_WORDS: Final = COMMON_STOP_WORDS | {"if"}

Params = list[str | float | int]


def fts_phrases(query: str) -> list[str]:
    """The query's distinct phrases (word characters of each token), stop words dropped."""
    phrases: list[str] = []
    for token in query.split():
        phrase = " ".join(_WORD.findall(token.lower()))
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    content = [p for p in phrases if p not in STOP_WORDS]
    return (content or phrases)[:MAX_TERMS]


def quoted(phrase: str) -> str:
    """A phrase as an FTS5 string (it holds only word characters and spaces)."""
    return '"' + phrase.replace('"', "") + '"'


def fts_expression(query: str) -> str | None:
    """An FTS5 MATCH expression OR-ing the query's phrases (None when it has no words)."""
    return " OR ".join(map(quoted, fts_phrases(query))) or None


def acl_sql(doc: str, readers: Sequence[str]) -> tuple[str, Params]:
    """SQL true when the Acl of document column ``doc`` admits one of ``readers`` per clause."""
    marks = ", ".join("?" for _ in readers)
    sql = f"""EXISTS (SELECT 1 FROM acl_clause AS ac0 WHERE ac0.document_id = {doc})
    AND NOT EXISTS (
        SELECT 1 FROM acl_clause AS ac WHERE ac.document_id = {doc}
        AND NOT EXISTS (
            SELECT 1 FROM acl_member AS am
            WHERE am.document_id = ac.document_id AND am.clause_no = ac.clause_no
            AND am.principal IN ({marks})))"""  # noqa: S608 (placeholders only)
    return sql, list(readers)


def normal_folder(path: str) -> str:
    """A folder path without a trailing slash (``/`` stays ``/``)."""
    return path.rstrip("/") or "/"


def _strings(name: str, values: object) -> list[str]:
    """The filter's values, checked to be a tuple/list of non-empty strings."""
    if isinstance(values, str) or not isinstance(values, tuple | list):
        raise InputError(f"search filter {name} must be a tuple of strings, not {values!r}")
    bad = [v for v in values if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InputError(f"search filter {name} holds an empty or non-text value: {bad[0]!r}")
    return list(values)


def timestamp(when: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def filter_sql(d: str, filters: SearchFilters) -> tuple[str, Params]:
    """SQL (AND-ed conditions on the documents alias ``d``, or "1") and its parameters."""
    if not isinstance(filters, SearchFilters):
        raise InputError(f"search filters must be SearchFilters, not {type(filters).__name__}")
    parts: list[str] = []
    params: Params = []
    folders = _strings("folder_paths", filters.folder_paths)
    if folders:
        parts.append(_within_sql(d, folders, params))
    if filters.granted_folders is not None:  # the reader's grants: a second, AND-ed condition
        granted = _strings("granted_folders", filters.granted_folders)
        parts.append(_within_sql(d, granted, params) if granted else "0")
    for name, column in (("space_keys", "space_key"), ("author_ids", "author_id")):
        values = _strings(name, getattr(filters, name))
        if values:
            parts.append(f"{d}.{column} IN ({', '.join('?' for _ in values)})")
            params += values
    labels = _strings("labels", filters.labels)
    if labels:
        marks = ", ".join("?" for _ in labels)
        labelled = "SELECT 1 FROM doc_labels AS l WHERE l.document_id = {}.document_id"
        parts.append(f"EXISTS ({labelled.format(d)} AND l.label IN ({marks}))")
        params += labels
    if filters.updated_after is not None:
        if not isinstance(filters.updated_after, datetime):
            raise InputError(f"updated_after must be a datetime, not {filters.updated_after!r}")
        parts.append(f"{d}.updated_ts > ?")
        params.append(timestamp(filters.updated_after))
    return (" AND ".join(parts) or "1"), params


_VALID_FILTERS: Final[dict[SearchFilters, None]] = {}


def check_filters(filters: SearchFilters) -> None:
    """Refuse malformed filters as :func:`filter_sql` does (InputError); hashable filters that
    passed are remembered (at most 256), so a search repeats no checks."""
    try:
        if filters in _VALID_FILTERS:
            return
    except TypeError:  # a list where a tuple belongs: valid maybe, but not hashable
        filter_sql("d", filters)
        return
    filter_sql("d", filters)
    if len(_VALID_FILTERS) >= 256:
        _VALID_FILTERS.clear()
    _VALID_FILTERS[filters] = None


def _within_sql(d: str, folders: Sequence[str], params: Params) -> str:
    """SQL true when the document lies in one of ``folders`` or below; adds its parameters."""
    ors: list[str] = []
    mine: Params = []
    for raw in folders:
        if not raw.startswith("/"):
            raise InputError(f"folder path {raw!r} must start with '/', e.g. '/ENG/Ops'")
        path = normal_folder(raw)
        if path == "/":  # everything filed in a folder
            return f"({d}.folder_path IS NOT NULL)"
        ors.append(f"({d}.folder_path = ? OR substr({d}.folder_path, 1, ?) = ?)")
        mine += [path, len(path) + 1, path + "/"]
    params += mine
    return "(" + " OR ".join(ors) + ")"


def has_filters(filters: SearchFilters) -> bool:
    """True when any filter field is set."""
    return bool(
        filters.folder_paths
        or filters.space_keys
        or filters.labels
        or filters.author_ids
        or filters.updated_after is not None
        or filters.granted_folders is not None
    )
