"""Engine set-up and Alembic migrations run from code (no alembic.ini on disk).

SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for write transactions
(so concurrent writers wait instead of failing); every SQLite-specific step sits behind a
dialect check, so PostgreSQL URLs use the same models and migrations untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from radex.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "radex_write"  # execution option: this transaction will write


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL ``url`` names, or a ConfigError saying how to write one."""
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"'{url}' is not a usable database URL",
            hint="write e.g. sqlite:///var/lib/radex/radex.db or postgresql+psycopg://host/radex",
        ) from exc
    return parsed


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created first."""
    kwargs: dict[str, Any] = {}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        if _is_memory(url):
            kwargs["poolclass"] = StaticPool
        elif url.database:
            Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"cannot use database {url.render_as_string()}: {exc}") from exc
    if sqlite:
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    memory = _is_memory(engine.url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun by _on_begin
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def alembic_config(url: URL | None = None) -> Config:
    """An Alembic Config built in code, pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False))
    return cfg


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The schema revisions the database is at (empty for a fresh database)."""
    return tuple(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest schema; does nothing when it is there already."""
    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    try:
        with engine.connect() as conn:
            at = current_revisions(conn)
        for rev in at:
            try:
                script.get_revision(rev)
            except (CommandError, RevisionError) as exc:
                raise ConfigError(
                    f"the database is at schema revision {rev}, which this RADEX does not know",
                    hint="it was written by a newer RADEX: upgrade RADEX, or point at another db",
                ) from exc
        if set(at) == set(script.get_heads()):
            return
        # BEGIN IMMEDIATE on SQLite: two processes opening a fresh file migrate one at a time,
        # and the second finds the schema at head (alembic re-reads it inside the transaction).
        with engine.connect() as conn, conn.execution_options(**{WRITE_OPTION: True}).begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot open database {engine.url.render_as_string()}: "
            f"{getattr(exc, 'orig', None) or exc.__class__.__name__}",
            hint="check the path or server is reachable and writable",
        ) from exc
