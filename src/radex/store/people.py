"""The people tables: users, RADEX groups, folder grants, identity links, synced memberships.

The store checks only what the database must keep true (unique names, one identity per user
and source, one user per identity); names, roles and subjects are validated by
``radex.security.directory`` before they get here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from radex.errors import InputError, NotFoundError
from radex.store.models import (
    FolderGrantRow,
    FolderRow,
    GroupMemberRow,
    GroupRow,
    GroupSyncRow,
    IdentityLinkRow,
    SourceMembershipRow,
    SourceRow,
    UserRow,
    utcnow,
)
from radex.store.records import (
    FolderGrant,
    GrantLevel,
    GroupRecord,
    GroupSyncRecord,
    IdentityLink,
    LinkHow,
    Role,
    UserProfile,
    UserRecord,
)
from radex.store.session import Repository, new_id

EmailLink = tuple[str, str, str | None]  # (RADEX user name, confluence id, DC username)
USERS_HINT = "see `radex users list`"
GROUPS_HINT = "see `radex groups list`"


def user_subject(name: str) -> str:
    """The grant subject naming a RADEX user."""
    return f"user:{name}"


def group_subject(name: str) -> str:
    """The grant subject naming a RADEX group."""
    return f"group:{name}"


class PeopleRepository(Repository):
    """Users, groups, grants, identity links and the group memberships synced from sources."""

    # ---- users ----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        email: str | None,
        email_verified: bool,
        display_name: str,
        role: Role,
        password_hash: str | None,
    ) -> UserRecord:
        """Add a user; InputError when the name is taken."""
        row = UserRow(
            id=new_id(),
            name=name,
            email=email,
            email_verified=email_verified,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=utcnow(),
        )
        try:
            with self._write() as s:
                if _user_row(s, name) is not None:
                    raise _user_taken(name)
                s.add(row)
                s.flush()
                return _to_user(row)
        except IntegrityError as exc:  # a concurrent add of the same name won the race
            raise _user_taken(name) from exc

    def find_user(self, name: str) -> UserRecord | None:
        """The user called ``name``, or None."""
        with self._read() as s:
            row = _user_row(s, name)
            return _to_user(row) if row is not None else None

    def user(self, name: str) -> UserRecord:
        """The user called ``name``; NotFoundError otherwise."""
        found = self.find_user(name)
        if found is None:
            raise no_user(name)
        return found

    def users(self) -> list[UserRecord]:
        """Every user, by name."""
        with self._read() as s:
            return [_to_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

    def user_login(self, name: str) -> tuple[UserRecord, str | None] | None:
        """The user called ``name`` and their password hash (for sign-in only), or None."""
        with self._read() as s:
            row = _user_row(s, name)
            return (_to_user(row), row.password_hash) if row is not None else None

    def set_user_role(self, name: str, role: Role) -> UserRecord:
        """Change a user's role."""
        with self._write() as s:
            row = _need_user(s, name)
            row.role = role
            s.flush()
            return _to_user(row)

    def set_user_password_hash(self, name: str, password_hash: str | None) -> UserRecord:
        """Store a user's new password hash (None: no password sign-in)."""
        with self._write() as s:
            row = _need_user(s, name)
            row.password_hash = password_hash
            s.flush()
            return _to_user(row)

    def set_user_active(self, name: str, active: bool) -> UserRecord:
        """Enable or disable a user (a disabled user signs in to nothing and reads nothing)."""
        with self._write() as s:
            row = _need_user(s, name)
            row.active = active
            s.flush()
            return _to_user(row)

    def delete_user(self, name: str) -> bool:
        """Remove a user with their memberships, links and grants; False when there was none."""
        with self._write() as s:
            row = _user_row(s, name)
            if row is None:
                return False
            s.execute(delete(FolderGrantRow).where(FolderGrantRow.subject == user_subject(name)))
            s.delete(row)
            return True

    # ---- RADEX groups ---------------------------------------------------------------------

    def add_group(self, name: str) -> GroupRecord:
        """Add a RADEX group; InputError when the name is taken."""
        row = GroupRow(id=new_id(), name=name, created_at=utcnow())
        try:
            with self._write() as s:
                if _group_row(s, name) is not None:
                    raise _group_taken(name)
                s.add(row)
                s.flush()
                return GroupRecord(row.id, row.name, (), row.created_at)
        except IntegrityError as exc:
            raise _group_taken(name) from exc

    def find_group(self, name: str) -> GroupRecord | None:
        """The RADEX group called ``name`` with its members, or None."""
        with self._read() as s:
            row = _group_row(s, name)
            return _to_group(s, row) if row is not None else None

    def groups(self) -> list[GroupRecord]:
        """Every RADEX group with its members, by name."""
        with self._read() as s:
            members: dict[str, list[str]] = defaultdict(list)
            pairs = s.execute(
                select(GroupMemberRow.group_id, UserRow.name)
                .join(UserRow, UserRow.id == GroupMemberRow.user_id)
                .order_by(UserRow.name)
            )
            for group_id, user_name in pairs:
                members[group_id].append(user_name)
            rows = s.scalars(select(GroupRow).order_by(GroupRow.name))
            return [GroupRecord(r.id, r.name, tuple(members[r.id]), r.created_at) for r in rows]

    def delete_group(self, name: str) -> bool:
        """Remove a RADEX group, its memberships and its grants; False when there was none."""
        with self._write() as s:
            row = _group_row(s, name)
            if row is None:
                return False
            s.execute(delete(FolderGrantRow).where(FolderGrantRow.subject == group_subject(name)))
            s.delete(row)
            return True

    def add_group_member(self, group: str, user: str) -> GroupRecord:
        """Put a user in a RADEX group (nothing changes when they are in it already)."""
        try:
            with self._write() as s:
                group_row, user_row = _need_group(s, group), _need_user(s, user)
                if s.get(GroupMemberRow, (group_row.id, user_row.id)) is None:
                    s.add(GroupMemberRow(group_id=group_row.id, user_id=user_row.id))
                    s.flush()
                return _to_group(s, group_row)
        except IntegrityError:  # a concurrent add of the same member won: the state is the same
            return self._need_group_record(group)

    def remove_group_member(self, group: str, user: str) -> bool:
        """Take a user out of a RADEX group; False when they were not in it."""
        with self._write() as s:
            group_row, user_row = _need_group(s, group), _need_user(s, user)
            member = s.get(GroupMemberRow, (group_row.id, user_row.id))
            if member is None:
                return False
            s.delete(member)
            return True

    def user_groups(self, name: str) -> tuple[str, ...]:
        """The names of the RADEX groups a user is in, sorted."""
        with self._read() as s:
            return _user_groups(s, _need_user(s, name).id)

    def _need_group_record(self, name: str) -> GroupRecord:
        found = self.find_group(name)
        if found is None:
            raise _no_group(name)
        return found

    # ---- folder grants --------------------------------------------------------------------

    def set_grant(self, folder_id: str, subject: str, level: GrantLevel) -> FolderGrant:
        """Grant a folder to a subject at a level (an existing grant takes the new level)."""
        for attempt in range(2):
            try:
                with self._write() as s:
                    folder = s.get(FolderRow, folder_id)
                    if folder is None:
                        raise NotFoundError(f"no folder with id '{folder_id}'")
                    row = s.scalars(
                        select(FolderGrantRow).where(
                            FolderGrantRow.folder_id == folder_id, FolderGrantRow.subject == subject
                        )
                    ).one_or_none()
                    if row is None:
                        row = FolderGrantRow(
                            id=new_id(),
                            folder_id=folder_id,
                            subject=subject,
                            level=level,
                            created_at=utcnow(),
                        )
                        s.add(row)
                    else:
                        row.level = level
                    s.flush()
                    return _to_grant(row, folder.path)
            except IntegrityError:  # a concurrent grant of the same pair: update it instead
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def delete_grant(self, folder_id: str, subject: str) -> bool:
        """Withdraw a subject's grant on a folder; False when there was none."""
        with self._write() as s:
            row = s.scalars(
                select(FolderGrantRow).where(
                    FolderGrantRow.folder_id == folder_id, FolderGrantRow.subject == subject
                )
            ).one_or_none()
            if row is None:
                return False
            s.delete(row)
            return True

    def grants(
        self, folder_id: str | None = None, *, subjects: Iterable[str] | None = None
    ) -> list[FolderGrant]:
        """Grants (on one folder, and/or to some subjects), by folder path then subject."""
        with self._read() as s:
            return _grants(s, folder_id, subjects)

    # ---- identity links -------------------------------------------------------------------

    def add_link(
        self,
        user: str,
        source_id: str,
        confluence_id: str,
        *,
        username: str | None = None,
        how: LinkHow = "explicit",
        groups: Sequence[str] | None = None,
    ) -> IdentityLink:
        """Link a user to a Confluence identity on a source; with ``groups``, also record that
        identity's group memberships (replacing the ones synced before), in one transaction.

        InputError when the user is linked to another identity on the source, or the identity
        to another user. Linking the same pair again changes only the memberships.
        """
        try:
            with self._write() as s:
                user_row = _need_user(s, user)
                if s.get(SourceRow, source_id) is None:
                    raise NotFoundError(f"no source with id '{source_id}'")
                mine = _link_of(s, user_row.id, source_id)
                theirs = _identity_owner(s, source_id, confluence_id)
                if mine is not None and mine.confluence_id != confluence_id:
                    raise InputError(
                        f"user '{user}' is already linked to Confluence user "
                        f"'{mine.confluence_id}' on this source",
                        hint=f"unlink first: `radex users unlink {user} --source ...`",
                    )
                if theirs is not None and theirs.id != user_row.id:
                    raise InputError(
                        f"Confluence user '{confluence_id}' is already linked to RADEX user "
                        f"'{theirs.name}'",
                        hint=f"unlink it first: `radex users unlink {theirs.name} --source ...`",
                    )
                row = mine
                if row is None:
                    row = IdentityLinkRow(
                        id=new_id(),
                        user_id=user_row.id,
                        source_id=source_id,
                        confluence_id=confluence_id,
                        username=username,
                        how=how,
                        linked_at=utcnow(),
                    )
                    s.add(row)
                elif username is not None:
                    row.username = username
                if groups is not None:
                    _replace_identity_groups(s, source_id, confluence_id, groups, utcnow())
                s.flush()
                return _to_link(row, user_row.name)
        except IntegrityError as exc:  # a concurrent link took the user or the identity
            raise InputError(
                f"user '{user}' or Confluence user '{confluence_id}' was linked meanwhile",
                hint="see `radex users list`, then try again",
            ) from exc

    def delete_link(self, user: str, source_id: str) -> bool:
        """Remove a user's link on a source; False when there was none."""
        with self._write() as s:
            row = _link_of(s, _need_user(s, user).id, source_id)
            if row is None:
                return False
            s.delete(row)
            return True

    def links(self, user: str | None = None, *, source_id: str | None = None) -> list[IdentityLink]:
        """Identity links (of one user, and/or on one source), by user name then source id."""
        with self._read() as s:
            query = select(IdentityLinkRow, UserRow.name).join(
                UserRow, UserRow.id == IdentityLinkRow.user_id
            )
            if user is not None:
                query = query.where(IdentityLinkRow.user_id == _need_user(s, user).id)
            if source_id is not None:
                query = query.where(IdentityLinkRow.source_id == source_id)
            query = query.order_by(UserRow.name, IdentityLinkRow.source_id)
            return [_to_link(row, name) for row, name in s.execute(query)]

    # ---- memberships synced from Confluence ------------------------------------------------

    def replace_source_memberships(
        self,
        source_id: str,
        memberships: Iterable[tuple[str, str]],
        *,
        groups: int,
        synced_at: datetime,
        email_links: Sequence[EmailLink] = (),
    ) -> tuple[IdentityLink, ...]:
        """Replace every (confluence id, group name) membership of a source, record the sync,
        and add the email links still possible, all in one transaction.

        An email link is skipped when its user is linked on the source already, or its identity
        is linked to someone; the links added are returned.
        """
        rows = [
            {"source_id": source_id, "confluence_id": c, "group_name": g, "synced_at": synced_at}
            for c, g in sorted(set(memberships))
        ]
        with self._write() as s:
            if s.get(SourceRow, source_id) is None:
                raise NotFoundError(f"no source with id '{source_id}'")
            s.execute(delete(SourceMembershipRow).where(SourceMembershipRow.source_id == source_id))
            if rows:
                s.execute(insert(SourceMembershipRow), rows)
            record = s.get(GroupSyncRow, source_id)
            if record is None:
                record = GroupSyncRow(source_id=source_id)
                s.add(record)
            record.synced_at, record.groups, record.memberships = synced_at, groups, len(rows)
            added = [link for c in email_links if (link := _email_link(s, source_id, c))]
            s.flush()
            return tuple(added)

    def source_groups(self, source_id: str, confluence_id: str) -> tuple[str, ...]:
        """The Confluence groups an identity was last seen in on a source, sorted."""
        with self._read() as s:
            return tuple(
                s.scalars(
                    select(SourceMembershipRow.group_name)
                    .where(
                        SourceMembershipRow.source_id == source_id,
                        SourceMembershipRow.confluence_id == confluence_id,
                    )
                    .order_by(SourceMembershipRow.group_name)
                )
            )

    def group_sync(self, source_id: str) -> GroupSyncRecord | None:
        """When the source's groups were last synced in full, or None."""
        with self._read() as s:
            row = s.get(GroupSyncRow, source_id)
            if row is None:
                return None
            return GroupSyncRecord(row.source_id, row.synced_at, row.groups, row.memberships)

    # ---- everything about one user ---------------------------------------------------------

    def profile(self, name: str) -> UserProfile | None:
        """What a user's permissions derive from, read in one transaction; None when unknown."""
        with self._read() as s:
            row = _user_row(s, name)
            if row is None:
                return None
            groups = _user_groups(s, row.id)
            links = tuple(
                _to_link(link, row.name)
                for link in s.scalars(
                    select(IdentityLinkRow)
                    .where(IdentityLinkRow.user_id == row.id)
                    .order_by(IdentityLinkRow.source_id)
                )
            )
            source_groups: dict[str, tuple[str, ...]] = {}
            for link in links:
                source_groups[link.source_id] = tuple(
                    s.scalars(
                        select(SourceMembershipRow.group_name)
                        .where(
                            SourceMembershipRow.source_id == link.source_id,
                            SourceMembershipRow.confluence_id == link.confluence_id,
                        )
                        .order_by(SourceMembershipRow.group_name)
                    )
                )
            subjects = [user_subject(row.name), *(group_subject(g) for g in groups), "anyone"]
            grants = tuple(_grants(s, None, subjects))
            return UserProfile(_to_user(row), groups, links, source_groups, grants)


# ---- helpers (one session each) ---------------------------------------------------------------


def _user_row(s: Session, name: str) -> UserRow | None:
    return s.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()


def _need_user(s: Session, name: str) -> UserRow:
    row = _user_row(s, name)
    if row is None:
        raise no_user(name)
    return row


def _group_row(s: Session, name: str) -> GroupRow | None:
    return s.scalars(select(GroupRow).where(GroupRow.name == name)).one_or_none()


def _need_group(s: Session, name: str) -> GroupRow:
    row = _group_row(s, name)
    if row is None:
        raise _no_group(name)
    return row


def _user_groups(s: Session, user_id: str) -> tuple[str, ...]:
    return tuple(
        s.scalars(
            select(GroupRow.name)
            .join(GroupMemberRow, GroupMemberRow.group_id == GroupRow.id)
            .where(GroupMemberRow.user_id == user_id)
            .order_by(GroupRow.name)
        )
    )


def _link_of(s: Session, user_id: str, source_id: str) -> IdentityLinkRow | None:
    return s.scalars(
        select(IdentityLinkRow).where(
            IdentityLinkRow.user_id == user_id, IdentityLinkRow.source_id == source_id
        )
    ).one_or_none()


def _identity_owner(s: Session, source_id: str, confluence_id: str) -> UserRow | None:
    return s.scalars(
        select(UserRow)
        .join(IdentityLinkRow, IdentityLinkRow.user_id == UserRow.id)
        .where(
            IdentityLinkRow.source_id == source_id, IdentityLinkRow.confluence_id == confluence_id
        )
    ).one_or_none()


def _replace_identity_groups(
    s: Session, source_id: str, confluence_id: str, groups: Sequence[str], at: datetime
) -> None:
    s.execute(
        delete(SourceMembershipRow).where(
            SourceMembershipRow.source_id == source_id,
            SourceMembershipRow.confluence_id == confluence_id,
        )
    )
    rows = [
        {"source_id": source_id, "confluence_id": confluence_id, "group_name": g, "synced_at": at}
        for g in sorted(set(groups))
    ]
    if rows:
        s.execute(insert(SourceMembershipRow), rows)


def _email_link(s: Session, source_id: str, candidate: EmailLink) -> IdentityLink | None:
    """Add one email link when the user and the identity are both still unlinked."""
    user_name, confluence_id, username = candidate
    user = _user_row(s, user_name)
    if user is None or _link_of(s, user.id, source_id) is not None:
        return None
    if _identity_owner(s, source_id, confluence_id) is not None:
        return None
    row = IdentityLinkRow(
        id=new_id(),
        user_id=user.id,
        source_id=source_id,
        confluence_id=confluence_id,
        username=username,
        how="email",
        linked_at=utcnow(),
    )
    try:
        with s.begin_nested():  # on PostgreSQL a racing link fails only this savepoint
            s.add(row)
            s.flush()
    except IntegrityError:
        return None
    return _to_link(row, user.name)


def _grants(s: Session, folder_id: str | None, subjects: Iterable[str] | None) -> list[FolderGrant]:
    query = select(FolderGrantRow, FolderRow.path).join(
        FolderRow, FolderRow.id == FolderGrantRow.folder_id
    )
    if folder_id is not None:
        query = query.where(FolderGrantRow.folder_id == folder_id)
    if subjects is not None:
        wanted = sorted(set(subjects))
        if not wanted:
            return []
        query = query.where(or_(*(FolderGrantRow.subject == w for w in wanted)))
    query = query.order_by(FolderRow.path, FolderGrantRow.subject)
    return [_to_grant(row, path) for row, path in s.execute(query)]


def _to_user(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        name=row.name,
        email=row.email,
        email_verified=bool(row.email_verified),
        display_name=row.display_name,
        role=cast(Role, row.role),
        active=bool(row.active),
        has_password=row.password_hash is not None,
        created_at=row.created_at,
    )


def _to_group(s: Session, row: GroupRow) -> GroupRecord:
    members = s.scalars(
        select(UserRow.name)
        .join(GroupMemberRow, GroupMemberRow.user_id == UserRow.id)
        .where(GroupMemberRow.group_id == row.id)
        .order_by(UserRow.name)
    )
    return GroupRecord(row.id, row.name, tuple(members), row.created_at)


def _to_grant(row: FolderGrantRow, path: str) -> FolderGrant:
    level = cast(GrantLevel, row.level)
    return FolderGrant(row.folder_id, path, row.subject, level, row.created_at)


def _to_link(row: IdentityLinkRow, user_name: str) -> IdentityLink:
    return IdentityLink(
        user_name=user_name,
        source_id=row.source_id,
        confluence_id=row.confluence_id,
        username=row.username,
        how=cast(LinkHow, row.how),
        linked_at=row.linked_at,
    )


def no_user(name: str) -> NotFoundError:
    """The error for a user name nobody has."""
    return NotFoundError(f"no RADEX user named '{name}'", hint=USERS_HINT)


def _no_group(name: str) -> NotFoundError:
    return NotFoundError(f"no RADEX group named '{name}'", hint=GROUPS_HINT)


def _user_taken(name: str) -> InputError:
    return InputError(
        f"a user named '{name}' already exists",
        hint="pick another name, or change theirs with `radex users role` / remove them first",
    )


def _group_taken(name: str) -> InputError:
    return InputError(f"a group named '{name}' already exists", hint=GROUPS_HINT)
