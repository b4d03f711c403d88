"""reader_for and effective_level: principals per role, folder grants (own, group, anyone),
inheritance down the folder tree, Confluence identities scoped per source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from people_kit import add_source, open_store

from radex.errors import InputError, NotFoundError
from radex.security.directory import Directory
from radex.security.readers import effective_level, reader_for
from radex.store import Store
from radex.store.models import utcnow
from radex.types import ADMINS, Acl, Principal


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    for path in (["ENG", "Ops", "Runbooks"], ["ENG", "Design"], ["HR"], ["Public"]):
        opened.ensure_folder(path)
    yield opened
    opened.close()


@pytest.fixture
def d(store: Store) -> Directory:
    return Directory(store)


def test_viewer_principals_and_granted_folders(d: Directory, store: Store) -> None:
    acme = add_source(store, "acme")
    d.add_user("alice")
    d.add_group("eng")
    d.add_member("eng", "alice")
    d.link("alice", acme.id, "acc-alice", groups=["confluence-users", "sre"])
    d.grant("/ENG/Ops", "group:eng", "viewer")
    d.grant("/HR", "user:alice", "editor")
    d.grant("/Public", "anyone")

    reader = reader_for(store, "alice")
    assert reader.name == "alice"
    assert not reader.admin
    assert reader.principals == {
        Principal("user", "radex:alice"),
        Principal("group", "radex:eng"),
        Principal("role", "viewer"),
        Principal("user", f"{acme.id}:acc-alice"),
        Principal("group", f"{acme.id}:confluence-users"),
        Principal("group", f"{acme.id}:sre"),
    }
    assert reader.folders == ("/ENG/Ops", "/HR", "/Public")
    assert reader.identities == ((acme.id, "acc-alice"),)
    assert reader.identity(acme.id) == "acc-alice"
    assert reader.opens("/ENG/Ops/Runbooks")  # grants reach down the tree
    assert not reader.opens("/ENG")
    assert not reader.opens("/ENG/Design")
    assert not reader.opens("/ENG/Opsx")
    assert ADMINS not in reader.principals


def test_admin_opens_every_folder_and_holds_the_admin_role(d: Directory, store: Store) -> None:
    d.add_user("root", role="admin")
    reader = reader_for(store, "root")
    assert reader.admin
    assert reader.folders is None
    assert ADMINS in reader.principals
    assert reader.opens("/HR")
    assert reader.opens(None)
    assert effective_level(store, "root", "/HR") == "owner"
    assert effective_level(store, "root", "/Nowhere/At/All") == "owner"


def test_editor_role_is_a_principal_but_opens_only_grants(d: Directory, store: Store) -> None:
    d.add_user("ed", role="editor")
    d.grant("/ENG", "user:ed", "editor")
    reader = reader_for(store, "ed")
    assert Principal("role", "editor") in reader.principals
    assert not reader.admin
    assert reader.folders == ("/ENG",)
    assert Acl.of([[Principal("role", "editor")]]).admits(reader.principals)
    assert not Acl.of([[ADMINS]]).admits(reader.principals)


def test_anyone_grants_open_folders_for_every_user(d: Directory, store: Store) -> None:
    d.add_user("newbie")
    assert reader_for(store, "newbie").folders == ()
    d.grant("/Public", "anyone")
    assert reader_for(store, "newbie").folders == ("/Public",)
    assert effective_level(store, "newbie", "/Public") == "viewer"
    assert effective_level(store, "newbie", "/HR") is None


def test_a_disabled_user_reads_nothing(d: Directory, store: Store) -> None:
    acme = add_source(store, "acme")
    d.add_user("gone", role="admin")
    d.link("gone", acme.id, "acc-gone", groups=["eng"])
    d.grant("/Public", "anyone")
    d.set_active("gone", False)
    reader = reader_for(store, "gone")
    assert reader.principals == frozenset()
    assert reader.folders == ()
    assert not reader.admin
    assert not reader.opens("/Public")
    assert effective_level(store, "gone", "/Public") is None


def test_group_grants_follow_membership(d: Directory, store: Store) -> None:
    d.add_user("bob")
    d.add_group("hr")
    d.grant("/HR", "group:hr", "owner")
    assert reader_for(store, "bob").folders == ()
    d.add_member("hr", "bob")
    assert reader_for(store, "bob").folders == ("/HR",)
    assert effective_level(store, "bob", "/HR") == "owner"
    d.remove_member("hr", "bob")
    assert reader_for(store, "bob").folders == ()
    assert effective_level(store, "bob", "/HR") is None


def test_effective_level_is_the_strongest_that_applies(d: Directory, store: Store) -> None:
    d.add_user("alice")
    d.add_group("eng")
    d.add_member("eng", "alice")
    d.grant("/ENG", "anyone", "viewer")
    d.grant("/ENG/Ops", "group:eng", "editor")
    d.grant("/ENG/Ops/Runbooks", "user:alice", "viewer")
    assert effective_level(store, "alice", "/ENG") == "viewer"
    assert effective_level(store, "alice", "/ENG/Design") == "viewer"  # inherited from /ENG
    assert effective_level(store, "alice", "/ENG/Ops") == "editor"
    assert effective_level(store, "alice", "ENG/Ops/Runbooks/") == "editor"  # from above
    assert effective_level(store, "alice", "/HR") is None
    d.grant("/ENG", "user:alice", "owner")
    assert effective_level(store, "alice", "/ENG/Ops/Runbooks") == "owner"
    with pytest.raises(InputError):
        effective_level(store, "alice", "/")


def test_confluence_groups_are_scoped_to_their_source(d: Directory, store: Store) -> None:
    acme, beta = add_source(store, "acme"), add_source(store, "beta")
    d.add_user("alice")
    d.link("alice", acme.id, "acc-1", groups=["eng"])
    store.replace_source_memberships(
        beta.id, [("acc-1", "eng"), ("other", "eng")], groups=1, synced_at=utcnow()
    )
    reader = reader_for(store, "alice")
    assert Principal.of_source("group", acme.id, "eng") in reader.principals
    assert Principal.of_source("group", beta.id, "eng") not in reader.principals  # not linked
    assert not any(p.name == "eng" for p in reader.principals)  # never unscoped


def test_unknown_user_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no RADEX user named 'zed'"):
        reader_for(store, "zed")
    with pytest.raises(NotFoundError, match="zed"):
        effective_level(store, "zed", "/HR")
