"""Revision 0002 (people): upgrades an empty database and a v0001 one with data, downgrades
back, and renders portable DDL for PostgreSQL."""

from __future__ import annotations

import importlib.util
import io
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from radex.security.directory import Directory
from radex.security.readers import reader_for
from radex.store import Store
from radex.store.migrate import MIGRATIONS_DIR, alembic_config, current_revisions, parse_url

PEOPLE_TABLES = {
    "users",
    "groups",
    "group_members",
    "folder_grants",
    "identity_links",
    "source_memberships",
    "group_syncs",
}


def _revision() -> ModuleType:
    path = MIGRATIONS_DIR / "versions" / "v0002_people.py"
    spec = importlib.util.spec_from_file_location("radex_v0002_people", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrade_an_empty_db(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    command.upgrade(alembic_config(parse_url(url)), "0002")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= PEOPLE_TABLES
        with engine.connect() as conn:
            assert current_revisions(conn) == ("0002",)
        uniques = {u["name"] for u in inspect(engine).get_unique_constraints("identity_links")}
        assert uniques == {
            "uq_identity_links_user_id_source_id",
            "uq_identity_links_source_id_confluence_id",
        }
        fks = inspect(engine).get_foreign_keys("folder_grants")
        assert [(f["referred_table"], f["options"].get("ondelete")) for f in fks] == [
            ("folders", "CASCADE")
        ]
    finally:
        engine.dispose()


def test_upgrade_a_v0001_db_keeps_its_data_and_downgrades(tmp_path: Path) -> None:
    url = parse_url(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(url), "0001")
    now = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, name, kind, deployment, base_url, credential_kind,"
                    " credential_ciphertext, credential_key_id, principals, created_at, updated_at)"
                    " VALUES ('s1', 'acme', 'confluence', 'cloud', 'https://acme', 'api_token',"
                    " x'00', 'k1', '[]', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO folders (id, parent_id, name, path, created_at)"
                    " VALUES ('f1', NULL, 'ENG', '/ENG', :now)"
                ),
                {"now": now},
            )
            assert not PEOPLE_TABLES & set(inspect(conn).get_table_names())
    finally:
        engine.dispose()

    command.upgrade(alembic_config(url), "0002")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= PEOPLE_TABLES
        with engine.connect() as conn:
            assert conn.execute(text("SELECT path FROM folders")).scalars().all() == ["/ENG"]
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert not PEOPLE_TABLES & names
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM sources")).scalars().all() == ["acme"]
    finally:
        engine.dispose()

    with Store.open(url.render_as_string(hide_password=False)) as store:  # migrates to head
        assert [s.name for s in store.sources()] == ["acme"]
        directory = Directory(store)
        directory.add_user("alice")
        directory.grant("/ENG", "user:alice")
        directory.link("alice", "s1", "acc-1", groups=["eng"])
        reader = reader_for(store, "alice")
        assert reader.folders == ("/ENG",)
        assert reader.identities == (("s1", "acc-1"),)


def test_revision_renders_portable_postgresql_ddl() -> None:
    out = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": out}
    )
    revision = _revision()
    with Operations.context(context):
        revision.upgrade()
        revision.downgrade()
    sql = out.getvalue()
    assert "CREATE TABLE users" in sql
    assert "CREATE TABLE groups" in sql
    assert "email_verified BOOLEAN NOT NULL" in sql
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "CONSTRAINT ck_users_role CHECK (role IN ('admin', 'editor', 'viewer'))" in sql
    assert "CONSTRAINT uq_folder_grants_folder_id_subject UNIQUE (folder_id, subject)" in sql
    assert sql.count("ON DELETE CASCADE") == 7
    assert "CREATE INDEX ix_folder_grants_subject" in sql
    assert "DROP TABLE users" in sql
