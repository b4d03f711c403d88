"""Group sync and identity links against the emulator (over ASGI): memberships kept per source,
email links, all-or-nothing replacement, and explicit links that record groups at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from people_kit import account_id, add_source, client_for, make_site, open_store, people_fixture

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.model import Flavor
from radex.errors import InputError, NotFoundError, UpstreamError
from radex.security.directory import Directory
from radex.security.memberships import (
    link_by_email,
    link_identity,
    resolve_identity,
    sync_groups,
)
from radex.security.readers import reader_for
from radex.store import Store
from radex.store.records import SourceRecord
from radex.types import Principal


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def d(store: Store) -> Directory:
    return Directory(store)


async def _sync(store: Store, source: SourceRecord, emu: Emulator):  # type: ignore[no-untyped-def]
    async with client_for(emu) as client:
        return await sync_groups(store, source, client)


def _memberships(store: Store, source: SourceRecord, emu: Emulator) -> dict[str, tuple[str, ...]]:
    return {
        name: store.source_groups(source.id, account_id(emu, name))
        for name in sorted(emu.site.users)
    }


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
async def test_sync_stores_every_membership_of_the_source(store: Store, flavor: Flavor) -> None:
    emu = make_site(flavor)
    source = add_source(store, "acme", flavor)
    report = await _sync(store, source, emu)
    assert report.source_id == source.id
    # eng, sre, empty-group, confluence-administrators
    assert report.groups == 4
    # alice: eng+sre, bob: eng, carol: sre, dave: eng, admin: confluence-administrators
    assert report.memberships == 6
    assert _memberships(store, source, emu) == {
        "admin": ("confluence-administrators",),
        "alice": ("eng", "sre"),
        "bob": ("eng",),
        "carol": ("sre",),
        "dave": ("eng",),
    }
    recorded = store.group_sync(source.id)
    assert recorded is not None
    assert (recorded.groups, recorded.memberships) == (4, 6)
    assert recorded.synced_at == report.synced_at


async def test_a_second_sync_replaces_what_changed(store: Store) -> None:
    emu = make_site("cloud")
    source = add_source(store, "acme")
    await _sync(store, source, emu)
    emu.site.users["alice"].groups.discard("sre")
    emu.site.users["bob"].groups.add("sre")
    report = await _sync(store, source, emu)
    assert report.memberships == 6
    got = _memberships(store, source, emu)
    assert got["alice"] == ("eng",)
    assert got["bob"] == ("eng", "sre")


async def test_same_named_groups_of_two_sources_never_merge(store: Store, d: Directory) -> None:
    acme_site = make_site("cloud")
    beta_site = make_site(
        "cloud",
        people_fixture(
            users=[
                {"username": "zoe", "display_name": "Zoe", "email": "zoe@example.com",
                 "groups": ["eng"]},
            ]
        ),
    )  # fmt: skip
    acme, beta = add_source(store, "acme"), add_source(store, "beta")
    await _sync(store, acme, acme_site)
    await _sync(store, beta, beta_site)
    zoe = account_id(beta_site, "zoe")
    assert store.source_groups(beta.id, zoe) == ("eng",)
    assert store.source_groups(acme.id, zoe) == ()
    assert store.source_groups(beta.id, account_id(acme_site, "alice")) == ()

    d.add_user("alice")
    d.link("alice", acme.id, account_id(acme_site, "alice"))
    reader = reader_for(store, "alice")
    assert Principal.of_source("group", acme.id, "eng") in reader.principals
    assert Principal.of_source("group", beta.id, "eng") not in reader.principals
    assert Principal("group", "eng") not in reader.principals

    await _sync(store, beta, beta_site)  # syncing one source leaves the other alone
    assert store.source_groups(acme.id, account_id(acme_site, "alice")) == ("eng", "sre")


async def test_email_links_follow_the_rules(store: Store, d: Directory) -> None:
    emu = make_site("cloud")
    source = add_source(store, "acme")
    d.add_user("alice", email="alice@EXAMPLE.com")  # Confluence has Alice@Example.com
    store.add_user(  # an email nobody verified links nobody
        "bob", email="bob@example.com", email_verified=False, display_name="Bob",
        role="viewer", password_hash=None,
    )  # fmt: skip
    d.add_user("carol", email="carol@example.com")
    d.link("carol", source.id, "carol-elsewhere")  # already linked on the source: kept
    d.add_user("twin1", email="bob@example.com")  # two RADEX users claim one email:
    d.add_user("twin2", email="bob@example.com")  # neither is linked
    d.add_user("root")
    d.link("root", source.id, account_id(emu, "admin"))
    d.add_user("admin2", email="admin@example.com")  # that identity is someone else's

    report = await _sync(store, source, emu)
    alice = account_id(emu, "alice")
    assert [(x.user_name, x.confluence_id, x.how) for x in report.links_added] == [
        ("alice", alice, "email")
    ]
    assert [(x.confluence_id, x.how) for x in store.links("alice")] == [(alice, "email")]
    assert [x.confluence_id for x in store.links("carol")] == ["carol-elsewhere"]
    for name in ("bob", "twin1", "twin2", "admin2"):
        assert store.links(name) == [], name
    reader = reader_for(store, "alice")
    assert Principal.of_source("group", source.id, "sre") in reader.principals

    again = await _sync(store, source, emu)
    assert again.links_added == ()
    assert len(store.links(source_id=source.id)) == 3


@pytest.mark.parametrize(
    ("flavor", "poisoned"),
    [("cloud", "sre"), ("dc", "sre")],  # Cloud: the group list fails; DC: its member list
)
async def test_an_incomplete_listing_changes_nothing(
    store: Store, d: Directory, flavor: Flavor, poisoned: str
) -> None:
    emu = make_site(flavor)
    source = add_source(store, "acme", flavor)
    first = await _sync(store, source, emu)
    before = _memberships(store, source, emu)

    emu.site.users["alice"].groups.discard("eng")  # would change, if the sync went through
    d.add_user("carol", email="carol@example.com")  # would be linked on Cloud
    group = emu.site.groups[poisoned]
    emu.faults.spec = FaultSpec.parse(f"poison:{group.id if flavor == 'cloud' else group.name}")
    with pytest.raises(UpstreamError, match="nothing was changed") as failed:
        await _sync(store, source, emu)
    assert "in full" in failed.value.message
    assert failed.value.hint is not None
    assert "radex groups sync" in failed.value.hint

    assert _memberships(store, source, emu) == before
    assert store.links("carol") == []
    recorded = store.group_sync(source.id)
    assert recorded is not None
    assert recorded.synced_at == first.synced_at

    emu.faults.spec = FaultSpec()
    await _sync(store, source, emu)
    assert _memberships(store, source, emu)["alice"] == ("sre",)


# ---- explicit links -----------------------------------------------------------------------------


async def test_resolve_identity_on_cloud_by_account_id() -> None:
    emu = make_site("cloud")
    async with client_for(emu) as client:
        person = await resolve_identity(client, account_id(emu, "alice"))
        assert (person.id, person.display_name) == (account_id(emu, "alice"), "Alice Adams")
        with pytest.raises(NotFoundError, match="no Confluence user nobody-123 on acme"):
            await resolve_identity(client, "nobody-123", source_name="acme")
        with pytest.raises(NotFoundError, match="alice"):  # Cloud knows no usernames
            await resolve_identity(client, "alice", source_name="acme")


async def test_resolve_identity_on_dc_by_username_or_user_key() -> None:
    emu = make_site("dc")
    key = account_id(emu, "alice")
    async with client_for(emu) as client:
        by_key = await resolve_identity(client, key)
        by_name = await resolve_identity(client, "alice")
        assert by_key.id == by_name.id == key
        assert by_name.username == "alice"
        with pytest.raises(NotFoundError, match="no Confluence user zed on dc-site"):
            await resolve_identity(client, "zed", source_name="dc-site")
        with pytest.raises(InputError):
            await resolve_identity(client, "  ")


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
async def test_link_identity_records_groups_at_once(
    store: Store, d: Directory, flavor: Flavor
) -> None:
    emu = make_site(flavor)
    source = add_source(store, "acme", flavor)
    d.add_user("al")
    ident = "alice" if flavor == "dc" else account_id(emu, "alice")
    async with client_for(emu) as client:
        link = await link_identity(store, source, client, "al", ident)
    assert (link.user_name, link.confluence_id, link.how) == (
        "al",
        account_id(emu, "alice"),
        "explicit",
    )
    assert link.username == ("alice" if flavor == "dc" else None)
    assert store.group_sync(source.id) is None  # no full sync happened
    reader = reader_for(store, "al")
    assert {
        Principal.of_source("group", source.id, "eng"),
        Principal.of_source("group", source.id, "sre"),
        Principal.of_source("user", source.id, account_id(emu, "alice")),
    } <= reader.principals
    assert reader.identities == ((source.id, account_id(emu, "alice")),)


async def test_link_identity_refuses_unknown_people_and_taken_identities(
    store: Store, d: Directory
) -> None:
    emu = make_site("cloud")
    source = add_source(store, "acme")
    d.add_user("al")
    d.add_user("other")
    async with client_for(emu) as client:
        with pytest.raises(NotFoundError, match="no RADEX user named 'zed'"):
            await link_identity(store, source, client, "zed", account_id(emu, "alice"))
        with pytest.raises(NotFoundError, match="no Confluence user ghost on acme"):
            await link_identity(store, source, client, "al", "ghost")
        await link_identity(store, source, client, "al", account_id(emu, "alice"))
        with pytest.raises(InputError, match="already linked to RADEX user 'al'"):
            await link_identity(store, source, client, "other", account_id(emu, "alice"))
    assert store.links("other") == []


async def test_link_by_email(store: Store, d: Directory) -> None:
    emu = make_site("cloud")
    source = add_source(store, "acme")
    d.add_user("bee", email="BOB@example.com")
    d.add_user("nomail")
    d.add_user("stranger", email="stranger@example.com")
    async with client_for(emu) as client:
        link = await link_by_email(store, source, client, "bee")
        assert (link.confluence_id, link.how) == (account_id(emu, "bob"), "email")
        with pytest.raises(InputError, match="already linked"):
            await link_by_email(store, source, client, "bee")
        with pytest.raises(InputError, match="no verified email"):
            await link_by_email(store, source, client, "nomail")
        with pytest.raises(NotFoundError, match=r"stranger@example\.com"):
            await link_by_email(store, source, client, "stranger")
    assert store.group_sync(source.id) is not None
