"""The Directory: validated users, roles, passwords, groups, grants and identity links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from people_kit import add_source, open_store

from radex.errors import AuthError, InputError, NotFoundError
from radex.security.directory import SIGN_IN_FAILED, Directory
from radex.security.passwords import hash_password, needs_rehash
from radex.store import Store
from radex.store.records import SourceRecord


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def d(store: Store) -> Directory:
    return Directory(store)


@pytest.fixture
def acme(store: Store) -> SourceRecord:
    return add_source(store, "acme")


# ---- users --------------------------------------------------------------------------------------


def test_add_user_with_defaults_and_verified_email(d: Directory) -> None:
    alice = d.add_user("alice", email=" alice@example.com ")
    assert (alice.name, alice.role, alice.active) == ("alice", "viewer", True)
    assert alice.email == "alice@example.com"
    assert alice.email_verified
    assert alice.display_name == "alice"
    assert not alice.has_password
    bob = d.add_user("bob", role="admin", display_name="Bob Brown")
    assert bob.email is None
    assert not bob.email_verified
    assert (bob.role, bob.display_name) == ("admin", "Bob Brown")
    assert [u.name for u in d.users()] == ["alice", "bob"]
    assert d.user("bob") == bob


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "needs a name"),
        ("Alice", "not a usable user name"),
        ("al ice", "not a usable user name"),
        ("user:alice", "not a usable user name"),
        ("-alice", "not a usable user name"),
        ("a" * 101, "at most 100 characters"),
    ],
)
def test_bad_user_names_are_refused_with_the_reason(d: Directory, name: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        d.add_user(name)
    assert d.users() == []


def test_other_bad_input_names_the_problem(d: Directory) -> None:
    with pytest.raises(InputError, match="'owner' is not a role") as role:
        d.add_user("alice", role="owner")
    assert role.value.hint == "use admin, editor or viewer"
    with pytest.raises(InputError, match="not an email address"):
        d.add_user("alice", email="alice@")
    with pytest.raises(InputError, match="at least 8 characters"):
        d.add_user("alice", password="short")
    assert d.users() == []


def test_duplicate_user_is_an_input_error_with_a_hint(d: Directory) -> None:
    d.add_user("alice")
    with pytest.raises(InputError, match="a user named 'alice' already exists") as dup:
        d.add_user("alice", role="admin")
    assert dup.value.hint
    assert d.user("alice").role == "viewer"


def test_unknown_user_points_at_users_list(d: Directory) -> None:
    with pytest.raises(NotFoundError, match="no RADEX user named 'zed'") as missing:
        d.user("zed")
    assert missing.value.hint is not None
    assert "radex users list" in missing.value.hint
    for call in (
        lambda: d.remove_user("zed"),
        lambda: d.set_role("zed", "admin"),
        lambda: d.set_password("zed", "long enough"),
    ):
        with pytest.raises(NotFoundError, match="zed"):
            call()


def test_set_role_and_remove(d: Directory) -> None:
    d.add_user("alice")
    assert d.set_role("alice", "editor").role == "editor"
    assert d.user("alice").role == "editor"
    with pytest.raises(InputError):
        d.set_role("alice", "root")
    d.remove_user("alice")
    assert d.users() == []


# ---- passwords ----------------------------------------------------------------------------------


def test_authenticate_accepts_only_the_right_password(d: Directory) -> None:
    d.add_user("alice", password="correct horse battery")
    assert d.user("alice").has_password
    assert d.authenticate("alice", "correct horse battery").name == "alice"
    with pytest.raises(AuthError) as wrong:
        d.authenticate("alice", "wrong horse battery")
    with pytest.raises(AuthError) as unknown:
        d.authenticate("nobody", "correct horse battery")
    assert str(wrong.value) == str(unknown.value)  # nothing tells whether the user exists
    assert wrong.value.message == SIGN_IN_FAILED


def test_no_password_or_disabled_user_cannot_sign_in(d: Directory) -> None:
    d.add_user("nopw")
    with pytest.raises(AuthError, match=SIGN_IN_FAILED):
        d.authenticate("nopw", "")
    d.add_user("alice", password="correct horse battery")
    d.set_active("alice", False)
    with pytest.raises(AuthError, match=SIGN_IN_FAILED):
        d.authenticate("alice", "correct horse battery")
    d.set_active("alice", True)
    assert d.authenticate("alice", "correct horse battery").active


def test_set_password_replaces_the_old_one(d: Directory) -> None:
    d.add_user("alice", password="first password")
    d.set_password("alice", "second password")
    with pytest.raises(AuthError):
        d.authenticate("alice", "first password")
    assert d.authenticate("alice", "second password").name == "alice"
    with pytest.raises(InputError):
        d.set_password("alice", "short")


def test_a_weak_hash_is_replaced_at_sign_in(d: Directory, store: Store) -> None:
    d.add_user("alice")
    weak = hash_password(
        "legacy password", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    store.set_user_password_hash("alice", weak)
    d.authenticate("alice", "legacy password")
    login = store.user_login("alice")
    assert login is not None
    stored = login[1]
    assert stored is not None
    assert stored != weak
    assert not needs_rehash(stored)
    assert d.authenticate("alice", "legacy password").name == "alice"


def test_records_never_carry_the_hash(d: Directory) -> None:
    user = d.add_user("alice", password="correct horse battery")
    assert "argon2" not in repr(user)
    assert not hasattr(user, "password_hash")


# ---- groups -------------------------------------------------------------------------------------


def test_groups_and_members(d: Directory) -> None:
    d.add_user("alice")
    d.add_user("bob")
    assert d.add_group("eng").members == ()
    d.add_member("eng", "bob")
    d.add_member("eng", "alice")
    assert d.add_member("eng", "alice").members == ("alice", "bob")  # adding twice is a no-op
    assert [(g.name, g.members) for g in d.groups()] == [("eng", ("alice", "bob"))]
    assert d.remove_member("eng", "bob").members == ("alice",)
    with pytest.raises(NotFoundError, match="not in group"):
        d.remove_member("eng", "bob")
    with pytest.raises(NotFoundError, match="no RADEX group named 'ops'"):
        d.add_member("ops", "alice")
    with pytest.raises(NotFoundError, match="no RADEX user named 'zed'"):
        d.add_member("eng", "zed")
    with pytest.raises(InputError, match="already exists"):
        d.add_group("eng")
    with pytest.raises(InputError, match="not a usable group name"):
        d.add_group("Platform Team")
    d.remove_user("alice")
    assert d.group("eng").members == ()
    d.remove_group("eng")
    assert d.groups() == []
    with pytest.raises(NotFoundError):
        d.remove_group("eng")


# ---- grants -------------------------------------------------------------------------------------


def test_grants_need_an_existing_folder_and_subject(d: Directory, store: Store) -> None:
    store.ensure_folder(["ENG", "Ops"])
    d.add_user("alice")
    d.add_group("eng")
    with pytest.raises(NotFoundError, match="no folder '/HR'") as missing:
        d.grant("/HR", "user:alice")
    assert missing.value.hint is not None
    assert "radex folders" in missing.value.hint
    with pytest.raises(NotFoundError, match="zed"):
        d.grant("/ENG", "user:zed")
    with pytest.raises(NotFoundError, match="ops"):
        d.grant("/ENG", "group:ops")
    with pytest.raises(InputError, match="not a grant subject"):
        d.grant("/ENG", "role:admin")
    with pytest.raises(InputError, match="not a grant level"):
        d.grant("/ENG", "anyone", "admin")
    assert d.grants() == []


def test_grant_upserts_and_revoke_removes(d: Directory, store: Store) -> None:
    store.ensure_folder(["ENG", "Ops"])
    d.add_user("alice")
    d.add_group("eng")
    d.grant("ENG/", "user:alice", "viewer")
    d.grant("/ENG", "user:alice", "owner")  # the same pair: the level changes
    d.grant("/ENG/Ops", "group:eng", "editor")
    d.grant("/ENG/Ops", "anyone")
    got = [(g.folder_path, g.subject, g.level) for g in d.grants()]
    assert got == [
        ("/ENG", "user:alice", "owner"),
        ("/ENG/Ops", "anyone", "viewer"),
        ("/ENG/Ops", "group:eng", "editor"),
    ]
    assert [g.subject for g in d.grants("/ENG/Ops")] == ["anyone", "group:eng"]
    d.revoke("/ENG/Ops", "anyone")
    with pytest.raises(NotFoundError, match="anyone has no grant on /ENG/Ops"):
        d.revoke("/ENG/Ops", "anyone")
    d.remove_group("eng")  # a group's grants go with it
    d.remove_user("alice")  # and so do a user's
    assert d.grants() == []


# ---- identity links -----------------------------------------------------------------------------


def test_links_are_one_per_user_and_source_and_one_user_per_identity(
    d: Directory, store: Store, acme: SourceRecord
) -> None:
    beta = add_source(store, "beta")
    d.add_user("alice")
    d.add_user("bob")
    link = d.link("alice", acme.id, "acc-1")
    assert (link.user_name, link.source_id, link.confluence_id, link.how) == (
        "alice",
        acme.id,
        "acc-1",
        "explicit",
    )
    assert d.link("alice", acme.id, "acc-1") == link  # the same link again changes nothing
    with pytest.raises(InputError, match="already linked to Confluence user 'acc-1'"):
        d.link("alice", acme.id, "acc-2")
    with pytest.raises(InputError, match="already linked to RADEX user 'alice'"):
        d.link("bob", acme.id, "acc-1")
    d.link("bob", beta.id, "acc-1")  # the same id on another site is another person
    d.link("alice", beta.id, "acc-9", username="alice.a")
    assert [(x.source_id, x.confluence_id) for x in d.links("alice")] == sorted(
        [(acme.id, "acc-1"), (beta.id, "acc-9")]
    )
    d.unlink("alice", acme.id)
    with pytest.raises(NotFoundError, match="no Confluence identity"):
        d.unlink("alice", acme.id)
    d.link("bob", acme.id, "acc-1")
    with pytest.raises(NotFoundError, match="no source"):
        d.link("bob", "nope", "acc-1")
    with pytest.raises(InputError, match="way of linking"):
        d.link("bob", beta.id, "acc-1", how="guess")  # type: ignore[arg-type]


def test_link_records_the_identity_groups_and_removal_cascades(
    d: Directory, store: Store, acme: SourceRecord
) -> None:
    d.add_user("alice")
    d.link("alice", acme.id, "acc-1", groups=["eng", "sre", "eng"])
    assert store.source_groups(acme.id, "acc-1") == ("eng", "sre")
    d.link("alice", acme.id, "acc-1", groups=["ops"])  # replaces that identity's groups
    assert store.source_groups(acme.id, "acc-1") == ("ops",)
    d.remove_user("alice")
    assert store.links() == []
