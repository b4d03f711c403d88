"""Alembic environment: migrates the connection handed over in ``config.attributes``.

``radex.store.migrate.upgrade`` passes a connection already inside a transaction. Without
one (e.g. ``command.revision(alembic_config(url), autogenerate=True)`` from a shell), an
engine is made from the ``sqlalchemy.url`` option.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine

from radex.store.models import Base, UtcDateTime


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UtcDateTime as plain ``sa.DateTime(timezone=True)`` : revisions import no models."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


_main()
