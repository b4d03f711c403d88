"""Enforcement end to end on the emulator: folder grants on top of Acls, `--as`, the live
re-check, the permission refresh, fail-closed restrictions, and disconnecting a source."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from ingest_kit import TOKEN, CountingEmbedder, admin_credential, served
from typer.testing import CliRunner

from radex.app import Services, build
from radex.cli import app as cli
from radex.config import Settings
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.faults import FaultInjector, FaultSpec
from radex.confluence.emulator.model import Grants
from radex.confluence.emulator.serve import base_url
from radex.errors import AuthError
from radex.ingest.plan import ImportTarget
from radex.ingest.uploads import UploadFile
from radex.llm.base import NOTHING_FOUND
from radex.security.directory import Directory
from radex.store.migrate import alembic_config, parse_url
from radex.store.records import SourceRecord

SITE: dict[str, Any] = {
    "users": [
        {"username": "alice", "display_name": "Alice", "groups": ["eng", "sec"]},
        {"username": "bob", "display_name": "Bob", "groups": ["eng"]},
        {"username": "carol", "display_name": "Carol", "groups": ["hr"]},
    ],
    "spaces": [
        {
            "key": "ENG",
            "name": "Engineering",
            "permissions": {"view": {"groups": ["eng"]}},
            "pages": [
                {
                    "title": "Handbook",
                    "body": "<p>The handbook covers how engineering works.</p>",
                    "children": [
                        {
                            "title": "Deploy guide",
                            "body": "<p>Deploys go out through the pipeline on Tuesdays.</p>",
                            "attachments": [
                                {
                                    "filename": "deploy.txt",
                                    "kind": "txt",
                                    "text": "Deploy checklist: tag, build, roll out.",
                                }
                            ],
                        },
                        {
                            "title": "Security",
                            "body": "<p>Security operations live here.</p>",
                            "restrictions": {"read": {"groups": ["sec"]}},
                            "children": [
                                {
                                    "title": "Incident zeta",
                                    "body": "<p>Incident zeta leaked the vault keys.</p>",
                                }
                            ],
                        },
                    ],
                }
            ],
        },
        {
            "key": "HR",
            "name": "People",
            "permissions": {"view": {"groups": ["hr"]}},
            "pages": [
                {
                    "title": "Salaries",
                    "body": "<p>Salaries for 2026 are in the band table.</p>",
                    "restrictions": {"read": {"users": ["carol"]}},
                }
            ],
        },
    ],
}


def emulator(flavor: str = "cloud", faults: str | None = None) -> Emulator:
    login = "admin@example.com" if flavor == "cloud" else "admin"
    site = build_site(SITE, flavor=flavor, admin=(login, TOKEN))  # type: ignore[arg-type]
    config = EmulatorConfig(flavor=flavor, faults=FaultSpec.parse(faults))  # type: ignore[arg-type]
    return create_emulator(site, config)


def radex(home: Path, emu: Emulator, **settings: Any) -> Services:
    svc = build(
        Settings(home=home, embedder="hashing", confluence_rate=5000, **settings),
        transport=httpx.ASGITransport(app=emu.app),
    )
    svc.__dict__["embedder"] = CountingEmbedder(svc.embedder)
    return svc


def load(svc: Services, emu: Emulator, *spaces: str) -> SourceRecord:
    async def go() -> SourceRecord:
        source = await svc.sources.connect(
            "wiki", base_url(emu, "127.0.0.1", 6), admin_credential(emu)
        )
        async with svc.sources.open(source) as client:
            for key in spaces or ("ENG", "HR"):
                report = await svc.importer(source, client).run(ImportTarget.space(key))
                assert report.ok, report.failures
        return source

    return asyncio.run(go())


def person(svc: Services, emu: Emulator, source: SourceRecord, name: str, **kw: Any) -> None:
    """A RADEX user linked to the emulator user of the same name, with their groups."""
    user = emu.site.users[name]
    ident = user.account_id if emu.config.flavor == "cloud" else user.user_key
    directory = Directory(svc.store)
    directory.add_user(name, **kw)
    directory.link(name, source.id, ident, groups=sorted(user.groups))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Services, Emulator, SourceRecord]]:
    emu = emulator()
    svc = radex(tmp_path / "home", emu)
    source = load(svc, emu)
    for name in ("alice", "bob", "carol"):
        person(svc, emu, source, name)
    directory = Directory(svc.store)
    directory.grant("/ENG", "anyone", "viewer")
    directory.grant("/HR", "anyone", "viewer")
    yield svc, emu, source
    svc.close()


def titles(svc: Services, name: str, question: str | None = None) -> set[str]:
    reader = svc.reader(name)
    if question is None:
        return {d.title for d in svc.documents(reader=reader)}
    return {c.title for c in svc.ask(question, reader=reader).citations}


def test_each_user_reads_exactly_their_share(site: tuple[Services, Emulator, Any]) -> None:
    svc, _, _ = site
    shared = {"Handbook", "Deploy guide", "deploy.txt (attached to Deploy guide)"}
    assert titles(svc, "alice") == shared | {"Security", "Incident zeta"}
    assert titles(svc, "bob") == shared
    assert titles(svc, "carol") == {"Salaries"}
    assert "Incident zeta" in titles(svc, "alice", "incident zeta vault keys")
    assert "Incident zeta" not in titles(svc, "bob", "incident zeta vault keys")
    folders = {f.path for f in svc.folders(svc.reader("bob"))}
    assert folders == {"/ENG", "/ENG/Handbook"}  # no folder named after the Security page
    assert "/ENG/Handbook/Security" in {f.path for f in svc.folders(svc.reader("alice"))}


def test_folder_grants_apply_on_top_of_confluence(site: tuple[Services, Emulator, Any]) -> None:
    svc, _, _ = site
    directory = Directory(svc.store)
    directory.revoke("/ENG", "anyone")
    assert titles(svc, "bob") == set()  # Confluence lets him read, RADEX's folders do not
    directory.grant("/ENG/Handbook/Security", "user:bob", "viewer")
    assert titles(svc, "bob") == set()  # a grant cannot open what Confluence hides
    directory.grant("/ENG/Handbook", "user:bob", "viewer")  # what lies below the Handbook page
    below = {"Deploy guide", "deploy.txt (attached to Deploy guide)"}
    assert titles(svc, "bob") == below
    assert {h.title for h in svc.search("handbook deploy", reader=svc.reader("bob"))} == below
    directory.add_user("root", role="admin")
    assert titles(svc, "root") == set()  # admins open every folder, but hold no Confluence id


def test_nothing_you_can_access_matches_reads_the_same_either_way(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, _, _ = site
    Directory(svc.store).add_user("dave")
    dave = svc.reader("dave")
    hidden = svc.ask("salaries band table 2026", reader=dave)
    absent = svc.ask("quarterly kayak regatta", reader=dave)
    assert hidden.text == absent.text == NOTHING_FOUND
    assert not hidden.citations
    assert not absent.citations
    assert not hidden.found
    assert svc.search("salaries band table", reader=dave) == []
    assert svc.documents(reader=dave) == []


def test_the_live_check_drops_a_page_restricted_since_the_import(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, emu, _ = site
    deploy = next(c for c in emu.site.content.values() if c.title == "Deploy guide")
    deploy.restrictions["read"] = Grants(users={"carol"})  # no version bump, as in Confluence
    question = "deploys pipeline tuesdays"
    assert "Deploy guide" not in titles(svc, "bob", question)
    svc.settings = svc.settings.model_copy(
        update={"live_permission_check": False}
    )  # RADEX's own Acl is stale until a refresh
    assert "Deploy guide" in titles(svc, "bob", question)


def test_an_unreachable_confluence_withholds_cited_pages_and_says_so(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, _, _ = site
    svc.sources.transport = httpx.MockTransport(lambda _r: httpx.Response(401))
    answer = svc.ask("deploys pipeline tuesdays", reader=svc.reader("bob"))
    assert not answer.citations
    assert answer.notes
    assert "could not be reached" in answer.notes[0]


def test_permission_refresh_rewrites_acls_without_embedding(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, emu, source = site
    content = emu.site.content
    handbook = next(c for c in content.values() if c.title == "Handbook")
    handbook.restrictions["read"] = Grants(users={"alice"})  # closes the whole tree to bob
    salaries = next(c for c in content.values() if c.title == "Salaries")
    emu.site.remove(salaries)
    embedded = svc.embedder.texts  # type: ignore[attr-defined]

    async def go() -> Any:
        async with svc.sources.open(source) as client:
            return await svc.permission_refresh(source, client).run()

    report = asyncio.run(go())
    assert svc.embedder.texts == embedded  # type: ignore[attr-defined]
    assert report.closed == 1
    assert report.checked == 4
    assert report.changed == 6  # 4 ENG pages + the attachment + Salaries
    svc.settings = svc.settings.model_copy(update={"live_permission_check": False})
    assert titles(svc, "bob") == set()
    assert titles(svc, "alice") == {
        "Handbook",
        "Deploy guide",
        "deploy.txt (attached to Deploy guide)",
        "Security",
        "Incident zeta",
    }
    assert titles(svc, "carol") == set()  # gone from Confluence: only admins until sync
    assert asyncio.run(go()).changed == 0  # nothing changed since: nothing rewritten


def test_an_incomplete_listing_changes_nothing(tmp_path: Path) -> None:
    emu = emulator()
    svc = radex(tmp_path / "home", emu)
    try:
        source = load(svc, emu, "ENG")
        before = {d.id: d.acl for d in svc.store.documents()}
        page = next(c for c in emu.site.content.values() if c.title == "Security")
        emu.faults = FaultInjector(FaultSpec.parse(f"poison:{page.id}"), 0)

        async def go() -> Any:
            async with svc.sources.open(source) as client:
                return await svc.permission_refresh(source, client).run()

        report = asyncio.run(go())
        assert report.warnings
        assert report.changed == 0
        assert {d.id: d.acl for d in svc.store.documents()} == before
    finally:
        svc.close()


def test_unreadable_restrictions_fail_closed_and_are_reported(tmp_path: Path) -> None:
    emu = emulator()
    security = next(c for c in emu.site.content.values() if c.title == "Security")
    svc = radex(tmp_path / "home", emu)
    try:
        zeta = next(c for c in emu.site.content.values() if c.title == "Incident zeta")

        async def go() -> Any:
            source = await svc.sources.connect(
                "wiki", base_url(emu, "127.0.0.1", 6), admin_credential(emu)
            )
            async with svc.sources.open(source) as client:
                readable = client.restrictions

                async def restrictions(content_id: str) -> Any:
                    if content_id == security.id:  # e.g. a scope the credential lacks
                        raise AuthError("the credential may not read restrictions")
                    return await readable(content_id)

                listed = client.search

                def search(cql: str, **kw: Any) -> Any:
                    if cql.startswith("id in (") and security.id in cql:  # the same refusal
                        raise AuthError("the credential may not read restrictions")
                    return listed(cql, **kw)

                client.restrictions = restrictions  # type: ignore[method-assign]
                client.search = search  # type: ignore[method-assign]
                report = await svc.importer(source, client).run(ImportTarget.page(zeta.id))
            return source, report

        source, report = asyncio.run(go())
        assert report.run.counts["acl_fail_closed"] == 1
        assert any(security.id in w for w in report.warnings)
        person(svc, emu, source, "alice")
        Directory(svc.store).grant("/ENG", "anyone", "viewer")
        assert titles(svc, "alice") == set()  # alice may read it in Confluence: RADEX cannot tell
        person(svc, emu, source, "bob", role="admin")
        assert titles(svc, "bob") == {"Incident zeta"}  # admins see what failed closed
    finally:
        svc.close()


def test_disconnect_removes_documents_folders_and_links(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, _, source = site
    assert svc.disconnect("wiki") == 6
    assert list(svc.store.documents()) == []
    assert svc.index.count() == 0
    assert svc.store.folders() == []
    assert svc.store.links(source_id=source.id) == []


def test_the_store_migration_scopes_existing_acls(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(parse_url(url))
    command.upgrade(config, "0002")
    engine = sa.create_engine(url)
    row = {
        "id": "d1",
        "source_id": "s1",
        "external_id": "1",
        "type": "page",
        "title": "T",
        "url": "u",
        "version": 1,
        "content_hash": "h",
        "status": "current",
        "ancestors": "[]",
        "labels": "[]",
        "structure": "{}",
        "acl": json.dumps([["group:eng", "anyone"], ["user:abc", "user:radex:me", "role:admin"]]),
    }
    with engine.begin() as conn:
        cols = {c["name"] for c in sa.inspect(conn).get_columns("documents")}
        values = {k: v for k, v in row.items() if k in cols}
        conn.execute(sa.insert(sa.table("documents", *map(sa.column, values))), values)
    command.upgrade(config, "0003")
    with engine.connect() as conn:
        acl = json.loads(conn.execute(sa.text("SELECT acl FROM documents")).scalar_one())
    assert acl == [["group:s1:eng", "anyone"], ["user:s1:abc", "user:radex:me", "role:admin"]]
    command.downgrade(config, "0002")
    with engine.connect() as conn:
        back = json.loads(conn.execute(sa.text("SELECT acl FROM documents")).scalar_one())
    assert back == json.loads(row["acl"])
    engine.dispose()


def test_as_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator()
    home = tmp_path / "home"
    with served(emu) as url:
        svc = build(Settings(home=home, embedder="hashing"))
        try:
            source = asyncio.run(svc.sources.connect("wiki", url, admin_credential(emu)))
        finally:
            svc.close()
        monkeypatch.setenv("RADEX_HOME", str(home))
        monkeypatch.setenv("RADEX_EMBEDDER", "hashing")
        runner = CliRunner()
        assert runner.invoke(cli, ["import", "space", "ENG"]).exit_code == 0
        bob = emu.site.users["bob"].account_id
        for args in (
            ["users", "add", "bob", "--confluence-id", bob, "--source", "wiki"],
            ["grants", "add", "/ENG", "--everyone"],
        ):
            done = runner.invoke(cli, args)
            assert done.exit_code == 0, done.output
        out = runner.invoke(cli, ["documents", "--as", "bob", "--json"])
        assert out.exit_code == 0, out.output
        assert {d["title"] for d in json.loads(out.output)} == {
            "Handbook",
            "Deploy guide",
            "deploy.txt (attached to Deploy guide)",
        }
        hits = json.loads(
            runner.invoke(cli, ["search", "incident zeta", "--as", "bob", "--json"]).output
        )
        assert "Incident zeta" not in {h["title"] for h in hits}
        answer = json.loads(
            runner.invoke(cli, ["ask", "incident zeta", "--as", "bob", "--json"]).output
        )
        assert "zeta" not in answer["answer"].lower()
        assert runner.invoke(cli, ["ask", "x", "--as", "nobody"]).exit_code != 0
        assert svc.store.source("wiki").id == source.id


def test_imports_and_uploads_are_owned_by_who_made_them(
    site: tuple[Services, Emulator, Any],
) -> None:
    svc, _, _ = site
    me = svc.settings.local_user
    eng = svc.store.folder_by_path("/ENG")
    assert eng is not None
    assert {(g.subject, g.level) for g in svc.store.grants(eng.id)} >= {(f"user:{me}", "owner")}
    note = UploadFile("plan.txt", b"The offsite plan is to sail to the island.")
    asyncio.run(svc.uploader().upload([note], "/Mine"))
    Directory(svc.store).add_user(me)
    assert "plan.txt" in titles(svc, me)  # their own folder grant and their own Acl
    assert "plan.txt" not in titles(svc, "alice")
    Directory(svc.store).grant("/Mine", "anyone", "viewer")
    assert "plan.txt" not in titles(svc, "alice")  # the folder opens, the Acl does not
