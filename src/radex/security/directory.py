"""The directory of RADEX people: users, roles, passwords, RADEX groups, folder grants and links
to Confluence identities. Every input is checked here and refused with a message that says what
is wrong and how to fix it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import get_args

from radex.errors import AuthError, InputError, NotFoundError
from radex.security.passwords import hash_password, needs_rehash, verify_password
from radex.store import Store
from radex.store.folders import normalise_path
from radex.store.people import group_subject, user_subject
from radex.store.records import (
    FolderGrant,
    GrantLevel,
    GroupRecord,
    IdentityLink,
    LinkHow,
    Role,
    UserRecord,
)
from radex.types import Folder

NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,99}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
ANYONE = "anyone"
SIGN_IN_FAILED = "wrong user name or password"


def check_name(name: str, what: str = "user") -> str:
    """``name`` when it is usable for a RADEX user or group, else an InputError saying why."""
    if not name:
        raise InputError(f"a {what} needs a name", hint="e.g. alice or platform-team")
    if len(name) > 100:
        raise InputError(f"a {what} name may have at most 100 characters, not {len(name)}")
    if not NAME_RE.fullmatch(name):
        raise InputError(
            f"'{name}' is not a usable {what} name",
            hint="start with a lower-case letter or digit, then use only a-z, 0-9, '.', '_', "
            "'@', '+' or '-' (no spaces, no ':')",
        )
    return name


def check_role(role: str) -> Role:
    """``role`` when it is admin, editor or viewer, else an InputError."""
    if role not in get_args(Role):
        raise InputError(f"'{role}' is not a role", hint="use admin, editor or viewer")
    return role  # type: ignore[return-value]


def check_level(level: str) -> GrantLevel:
    """``level`` when it is owner, editor or viewer, else an InputError."""
    if level not in get_args(GrantLevel):
        raise InputError(f"'{level}' is not a grant level", hint="use viewer, editor or owner")
    return level  # type: ignore[return-value]


def check_email(email: str) -> str:
    """The email address, trimmed, when it looks like one, else an InputError."""
    cleaned = email.strip()
    if len(cleaned) > 320 or not EMAIL_RE.fullmatch(cleaned):
        raise InputError(f"'{email}' is not an email address", hint="e.g. alice@example.com")
    return cleaned


def check_password(password: str) -> str:
    """The password when it is long enough (and not absurdly long), else an InputError."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"a password may have at most {MAX_PASSWORD} characters")
    return password


class Directory:
    """Adds, changes and looks up RADEX users, groups, grants and identity links in a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- users ----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        email: str | None = None,
        role: str = "viewer",
        password: str | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Add a user; an email set by an administrator counts as verified."""
        check_name(name)
        clean_email = check_email(email) if email is not None else None
        checked_role = check_role(role)
        hashed = hash_password(check_password(password)) if password is not None else None
        shown = (display_name or "").strip() or name
        return self.store.add_user(
            name,
            email=clean_email,
            email_verified=clean_email is not None,
            display_name=shown[:500],
            role=checked_role,
            password_hash=hashed,
        )

    def user(self, name: str) -> UserRecord:
        """The user called ``name``; NotFoundError (hint: ``radex users list``) otherwise."""
        return self.store.user(name)

    def users(self) -> list[UserRecord]:
        """Every user, by name."""
        return self.store.users()

    def remove_user(self, name: str) -> None:
        """Remove a user, their group memberships, identity links and folder grants."""
        if not self.store.delete_user(name):
            self.store.user(name)  # raises the NotFoundError

    def set_role(self, name: str, role: str) -> UserRecord:
        """Change a user's role."""
        return self.store.set_user_role(name, check_role(role))

    def set_password(self, name: str, password: str) -> UserRecord:
        """Set a user's password (stored as an argon2id hash)."""
        self.store.user(name)  # an unknown user is reported before any hashing
        return self.store.set_user_password_hash(name, hash_password(check_password(password)))

    def set_active(self, name: str, active: bool) -> UserRecord:
        """Enable or disable a user (a disabled user signs in to nothing and reads nothing)."""
        return self.store.set_user_active(name, active)

    def authenticate(self, name: str, password: str) -> UserRecord:
        """The user, when the password is theirs and they are active; otherwise AuthError with
        the same message whether or not the user exists."""
        found = self.store.user_login(name)
        if found is None:
            verify_password(_dummy_hash(), password)
            raise _sign_in_failed()
        user, password_hash = found
        matched = verify_password(password_hash or _dummy_hash(), password)
        if not (matched and password_hash is not None and user.active):
            raise _sign_in_failed()
        if needs_rehash(password_hash):
            self.store.set_user_password_hash(name, hash_password(password))
        return user

    # ---- RADEX groups ---------------------------------------------------------------------

    def add_group(self, name: str) -> GroupRecord:
        """Add a RADEX group."""
        return self.store.add_group(check_name(name, "group"))

    def group(self, name: str) -> GroupRecord:
        """The RADEX group called ``name`` with its members."""
        found = self.store.find_group(name)
        if found is None:
            raise NotFoundError(f"no RADEX group named '{name}'", hint="see `radex groups list`")
        return found

    def remove_group(self, name: str) -> None:
        """Remove a RADEX group, its memberships and its folder grants."""
        if not self.store.delete_group(name):
            self.group(name)  # raises the NotFoundError

    def add_member(self, group: str, user: str) -> GroupRecord:
        """Put a user in a RADEX group (a no-op when they are in it)."""
        return self.store.add_group_member(group, user)

    def remove_member(self, group: str, user: str) -> GroupRecord:
        """Take a user out of a RADEX group; NotFoundError when they were not in it."""
        if not self.store.remove_group_member(group, user):
            raise NotFoundError(
                f"user '{user}' is not in group '{group}'",
                hint=f"see `radex groups members {group}`",
            )
        return self.group(group)

    def groups(self) -> list[GroupRecord]:
        """Every RADEX group with its members, by name."""
        return self.store.groups()

    # ---- folder grants --------------------------------------------------------------------

    def grant(self, folder_path: str, subject: str, level: str = "viewer") -> FolderGrant:
        """Grant a folder and everything below it to ``user:<name>``, ``group:<name>`` or
        ``anyone`` (an existing grant to the subject takes the new level)."""
        checked = check_level(level)
        folder = self.folder(folder_path)
        return self.store.set_grant(folder.id, self.check_subject(subject), checked)

    def revoke(self, folder_path: str, subject: str) -> None:
        """Withdraw a subject's grant on a folder; NotFoundError when there is none."""
        folder = self.folder(folder_path)
        if not self.store.delete_grant(folder.id, subject):
            raise NotFoundError(
                f"{subject} has no grant on {folder.path}",
                hint=f"see `radex grants list {folder.path}`",
            )

    def grants(self, folder_path: str | None = None) -> list[FolderGrant]:
        """Every grant, or those on one folder, by folder path then subject."""
        if folder_path is None:
            return self.store.grants()
        return self.store.grants(self.folder(folder_path).id)

    def folder(self, path: str) -> Folder:
        """The folder at ``path``; NotFoundError naming it (hint: ``radex folders``)."""
        found = self.store.folder_by_path(path)
        if found is None:
            raise NotFoundError(f"no folder '{normalise_path(path)}'", hint="see `radex folders`")
        return found

    def check_subject(self, subject: str) -> str:
        """A grant subject naming an existing user or group, or ``anyone``."""
        if subject == ANYONE:
            return subject
        kind, sep, name = subject.partition(":")
        if not sep or kind not in ("user", "group"):
            raise InputError(
                f"'{subject}' is not a grant subject",
                hint="use user:<name>, group:<name> or anyone",
            )
        if kind == "user":
            return user_subject(self.store.user(name).name)
        return group_subject(self.group(name).name)

    # ---- identity links -------------------------------------------------------------------

    def link(
        self,
        user: str,
        source_id: str,
        confluence_id: str,
        *,
        username: str | None = None,
        how: LinkHow = "explicit",
        groups: Sequence[str] | None = None,
    ) -> IdentityLink:
        """Link a user to a Confluence identity (accountId on Cloud, userKey on Data Center)
        on a source; with ``groups``, record that identity's memberships at the same time."""
        if how not in get_args(LinkHow):
            raise InputError(f"'{how}' is not a way of linking", hint="use explicit or email")
        ident = confluence_id.strip()
        if not ident or len(ident) > 255:
            raise InputError(f"'{confluence_id}' is not a Confluence user id")
        return self.store.add_link(
            user, source_id, ident, username=username, how=how, groups=groups
        )

    def unlink(self, user: str, source_id: str) -> None:
        """Remove a user's link on a source; NotFoundError when there is none."""
        if not self.store.delete_link(user, source_id):
            raise NotFoundError(
                f"user '{user}' has no Confluence identity on this source",
                hint="see `radex users list`",
            )

    def links(self, user: str) -> list[IdentityLink]:
        """A user's identity links, by source id."""
        return self.store.links(user)


@cache
def _dummy_hash() -> str:
    """A hash verified against when the user is unknown, so sign-in takes as long either way."""
    return hash_password("radex: no such user")


def _sign_in_failed() -> AuthError:
    return AuthError(SIGN_IN_FAILED, hint="check the name and password; ask an admin to reset it")
