"""The Store: RADEX's system of record, opened by URL and migrated to the newest schema."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine

from radex.store.documents import DocumentRepository
from radex.store.folders import FolderRepository
from radex.store.imports import ImportRepository
from radex.store.jobs import JobRepository
from radex.store.migrate import make_engine, parse_url, upgrade
from radex.store.people import PeopleRepository
from radex.store.sources import SourceRepository
from radex.store.worklist import WorklistRepository


class Store(
    SourceRepository,
    FolderRepository,
    DocumentRepository,
    ImportRepository,
    PeopleRepository,
    JobRepository,
    WorklistRepository,
):
    """Sources, folders, documents (with versions, chunks, vectors), import runs with their
    work lists, people (users, groups, folder grants, identity links, synced group
    memberships), background jobs and sync state.

    Every method runs in its own short transaction, so one Store may be shared by threads
    (and by asyncio code calling it synchronously).
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (creating if needed) the database at ``url`` and migrate it to the newest schema."""
        engine = make_engine(parse_url(url))
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for the index adapters that share the database)."""
        return self._engine

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._engine.url.render_as_string()})"
