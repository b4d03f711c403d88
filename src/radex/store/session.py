"""Short transactions on the store's engine: one session per public call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from radex.errors import UpstreamError
from radex.store.migrate import WRITE_OPTION


def new_id() -> str:
    """A fresh identifier: a uuid4 as 32 hex digits."""
    return uuid4().hex


class Repository:
    """Holds the session factories; the repositories of each table build on it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._single_connection = isinstance(engine.pool, StaticPool)
        self._reads = sessionmaker(engine, expire_on_commit=False)
        writer = engine.execution_options(**{WRITE_OPTION: True})
        self._writes = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A session in a read transaction, closed on exit."""
        with _translated(), self._reads() as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A session in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on exit."""
        with _translated(), self._writes() as session, session.begin():
            yield session


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise UpstreamError(
            f"the database failed: {exc.orig}",
            hint="check the database is reachable, writable and not locked by another program",
        ) from exc
