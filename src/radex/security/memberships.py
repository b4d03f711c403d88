"""Confluence group memberships, read from each source and kept per source: a full sync (every
group and its members, replaced in one transaction, all or nothing), the email links it makes,
and the explicit link of one RADEX user to one Confluence identity.

Confluence groups never merge across sources: a membership is keyed by (source id, accountId or
userKey, group name) and becomes the principal ``group:<source id>:<name>`` only for the RADEX
users linked to that identity on that source.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from radex.confluence.client import ConfluenceClient, Listing
from radex.confluence.client.dc import DataCenterClient
from radex.errors import InputError, NotFoundError, UpstreamError
from radex.security.directory import Directory
from radex.store import Store
from radex.store.models import utcnow
from radex.store.people import EmailLink
from radex.store.records import IdentityLink, SourceRecord, UserRecord
from radex.types import Group, Person

MEMBER_LISTS_AT_ONCE = 4


@dataclass(frozen=True)
class GroupSync:
    """What a full group sync of one source found, and the email links it added."""

    source_id: str
    groups: int
    memberships: int
    links_added: tuple[IdentityLink, ...]
    synced_at: datetime


async def sync_groups(store: Store, source: SourceRecord, client: ConfluenceClient) -> GroupSync:
    """Read every group of a source and its members, then replace the source's memberships and
    add the email links that became possible, in one transaction.

    Any listing that could not be read in full raises UpstreamError and changes nothing: a
    partial membership list would silently take away (or keep) access.
    """
    groups = await _complete(client.groups(), source)
    unique = list({g.name: g for g in groups if g.name}.values())
    members: dict[str, list[Person]] = {}
    gate = asyncio.Semaphore(MEMBER_LISTS_AT_ONCE)

    async def read(group: Group) -> None:
        async with gate:
            try:
                members[group.name] = await _complete(client.group_members(group), source)
            except NotFoundError as exc:  # the group went away while we read
                raise _incomplete(source, f"members of {group.name}", str(exc)) from exc

    outcomes = await asyncio.gather(*(read(g) for g in unique), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    people = {p.id: p for found in members.values() for p in found if _real(p)}
    pairs = {(p.id, name) for name, found in members.items() for p in found if _real(p)}
    at = utcnow()
    added = store.replace_source_memberships(
        source.id,
        pairs,
        groups=len(unique),
        synced_at=at,
        email_links=email_candidates(store, source.id, people.values()),
    )
    return GroupSync(source.id, len(unique), len(pairs), added, at)


def email_candidates(store: Store, source_id: str, people: Iterable[Person]) -> list[EmailLink]:
    """The (user, identity) pairs an email match links: a RADEX user not yet linked on the
    source whose verified email is the email of exactly one Confluence person there, and no
    other RADEX user's (ambiguous matches link nobody)."""
    links = store.links(source_id=source_id)
    linked_users = {link.user_name for link in links}
    linked_ids = {link.confluence_id for link in links}
    by_email: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if person.email:
            by_email[person.email.strip().lower()].append(person)
    users: dict[str, list[UserRecord]] = defaultdict(list)
    for user in store.users():
        if user.email and user.email_verified:
            users[user.email.strip().lower()].append(user)
    out: list[EmailLink] = []
    for email, holders in sorted(users.items()):
        matches = by_email.get(email, [])
        if len(holders) != 1 or len(matches) != 1 or holders[0].name in linked_users:
            continue
        person = matches[0]
        if person.id not in linked_ids:
            out.append((holders[0].name, person.id, person.username))
    return out


async def resolve_identity(
    client: ConfluenceClient, ident: str, *, source_name: str | None = None
) -> Person:
    """The Confluence person ``ident`` names: an accountId on Cloud; a userKey or a username on
    Data Center. NotFoundError when there is none."""
    wanted = ident.strip()
    where = source_name or client.urls.site
    if not wanted:
        raise InputError("a Confluence user id is empty", hint="give an accountId or userKey")
    found = next((p for p in await client.users([wanted]) if p.id == wanted), None)
    if found is None and isinstance(client, DataCenterClient):
        found = await client.user_by_username(wanted)
    if found is None or found.kind in ("anonymous", "unknown") or not found.id:
        raise NotFoundError(
            f"no Confluence user {wanted} on {where}",
            hint="give an accountId (Cloud) or a username or userKey (Data Center)",
        )
    return found


async def link_identity(
    store: Store, source: SourceRecord, client: ConfluenceClient, user: str, ident: str
) -> IdentityLink:
    """Link a RADEX user to a Confluence identity on a source, recording that identity's groups
    at once (so the user reads as that identity before the next full sync)."""
    directory = Directory(store)
    directory.user(user)
    person = await resolve_identity(client, ident, source_name=source.name)
    groups = await _complete(client.member_of(person), source)
    return directory.link(
        user,
        source.id,
        person.id,
        username=person.username,
        how="explicit",
        groups=sorted({g.name for g in groups if g.name}),
    )


async def link_by_email(
    store: Store, source: SourceRecord, client: ConfluenceClient, user: str
) -> IdentityLink:
    """Link a RADEX user to the Confluence person with their verified email, through a full
    group sync of the source (which also links anyone else it can)."""
    record = store.user(user)
    if not record.email or not record.email_verified:
        raise InputError(
            f"user '{user}' has no verified email to match",
            hint="link with --confluence-id instead",
        )
    mine = store.links(user, source_id=source.id)
    if mine:
        raise InputError(
            f"user '{user}' is already linked to Confluence user '{mine[0].confluence_id}' on "
            f"{source.name}",
            hint=f"unlink first: `radex users unlink {user} --source {source.name}`",
        )
    await sync_groups(store, source, client)
    linked = store.links(user, source_id=source.id)
    if not linked:
        raise NotFoundError(
            f"no Confluence user in any group of {source.name} has the email {record.email} "
            "(or it is shared, or that user is linked to someone else)",
            hint="Confluence may hide emails: link with --confluence-id instead",
        )
    return linked[0]


# ---- helpers ------------------------------------------------------------------------------------


async def _complete(listing: Listing[Any], source: SourceRecord) -> list[Any]:
    """Everything a listing holds, or UpstreamError when it had to skip anything (the client
    gives up on a listing whose every position fails, so this always ends)."""
    items = [item async for item in listing]
    if listing.failures:
        first = listing.failures[0]
        detail = f"{len(listing.failures)} part(s) could not be read, e.g. {first.error}"
        raise _incomplete(source, listing.name, detail)
    return items


def _incomplete(source: SourceRecord, what: str, detail: str) -> UpstreamError:
    return UpstreamError(
        f"could not read {what} on {source.name} in full ({detail}); nothing was changed",
        hint=f"try again later: `radex groups sync --source {source.name}`",
    )


def _real(person: Person) -> bool:
    return bool(person.id) and person.kind not in ("anonymous", "unknown")
