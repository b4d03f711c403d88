"""Migrations: upgrade head builds every table, and the models match the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from radex.store import Store
from radex.store.migrate import MIGRATIONS_DIR, alembic_config, current_revisions, parse_url
from radex.store.models import Base

TABLES = {
    "sources",
    "folders",
    "documents",
    "document_versions",
    "chunks",
    "embeddings",
    "imports",
    "import_items",
    "import_pages",
    "jobs",
    "sync_state",
    "users",
    "groups",
    "group_members",
    "folder_grants",
    "identity_links",
    "source_memberships",
    "group_syncs",
}


def test_upgrade_head_on_an_empty_db_creates_every_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    command.upgrade(alembic_config(parse_url(url)), "head")  # the env.py path without a Store
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert set(Base.metadata.tables) == TABLES
        with engine.connect() as conn:
            heads = ScriptDirectory.from_config(alembic_config()).get_heads()
            assert current_revisions(conn) == tuple(heads)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'radex.db'}") as store, store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_ship_as_package_files() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = parse_url(f"sqlite:///{tmp_path / 'round.db'}")
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    with Store.open(url.render_as_string(hide_password=False)) as store:
        assert store.count_documents() == 0
