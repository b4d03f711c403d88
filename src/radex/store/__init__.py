"""The system of record: SQLAlchemy models, Alembic migrations and the Store repository."""

from radex.store.documents import SaveOutcome
from radex.store.records import (
    ImportItem,
    ImportKind,
    ImportRun,
    ImportStatus,
    ItemOutcome,
    SourceRecord,
)
from radex.store.store import Store

__all__ = [
    "ImportItem",
    "ImportKind",
    "ImportRun",
    "ImportStatus",
    "ItemOutcome",
    "SaveOutcome",
    "SourceRecord",
    "Store",
]
