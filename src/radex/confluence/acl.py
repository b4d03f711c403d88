"""Confluence permissions -> Acl (pure).

A page is readable iff the space grants VIEW to the reader AND every read restriction on the
page and on each ancestor admits them (DESIGN.md §4). Each of those is one CNF clause:

* the space clause: the users, groups and anonymous (``anyone``) holding VIEW;
* one clause per restricted level (the page and each ancestor): the restriction's users ∪ groups.

A restriction does not replace space access, it adds to it: a user named on a page's
restriction still needs the space's VIEW. Attachments and comments inherit their container's
Acl. Confluence principals are scoped by source (``user:<source>:<accountId>``), so one site's
groups never open another's pages. Permission data that could not be read fails closed: the
clause admits only RADEX admins (:data:`~radex.types.ADMINS`) and the credential that was seen
to read the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from radex.types import ADMINS, Acl, Principal, Restriction, SpacePermission

VIEW_OPERATIONS = frozenset({"read", "view"})
UNKNOWN = frozenset({ADMINS})
"""The clause for permission data that could not be read: RADEX admins only."""


def space_clause(
    permissions: Iterable[SpacePermission] | None, source_id: str
) -> frozenset[Principal]:
    """Who the space lets view its content (``None``, unreadable permissions, fails closed;
    a space with no VIEW grant at all admits no one)."""
    if permissions is None:
        return UNKNOWN
    out: set[Principal] = set()
    for perm in permissions:
        if perm.operation.lower() not in VIEW_OPERATIONS or perm.target not in ("space", ""):
            continue
        if perm.principal == "anyone":
            out.add(Principal("anyone"))
        elif perm.principal in ("user", "group") and perm.principal_id:
            out.add(Principal.of_source(perm.principal, source_id, perm.principal_id))
    return frozenset(out)


def restriction_clause(restriction: Restriction, source_id: str) -> frozenset[Principal] | None:
    """The clause a read restriction adds, or None when it restricts nothing."""
    if restriction.is_empty:
        return None
    return frozenset(
        [Principal.of_source("user", source_id, u) for u in restriction.user_ids]
        + [Principal.of_source("group", source_id, g) for g in restriction.group_names]
    )


def page_acl(
    space: frozenset[Principal],
    restrictions: Sequence[Restriction | None],
    source_id: str,
    *,
    observed_readers: Iterable[Principal] = (),
) -> Acl:
    """The Acl of a page from its space's VIEW clause and the read restrictions on its
    ancestors and the page itself (``None`` = could not be read: that level fails closed).

    ``observed_readers`` are (scoped) principals Confluence was seen to let read this very page
    (the credential that fetched it); adding them to each clause records Confluence's own
    decision for them and admits nobody else.
    """
    seen = frozenset(observed_readers)
    clauses: list[frozenset[Principal]] = [space | seen]
    for restriction in restrictions:
        if restriction is None:
            clauses.append(UNKNOWN | seen)
            continue
        clause = restriction_clause(restriction, source_id)
        if clause is not None:
            clauses.append(clause | seen)
    return Acl(tuple(dict.fromkeys(clauses)))


def fails_closed(acl: Acl) -> bool:
    """Whether some of the Acl's permission data could not be read (a clause of admins only,
    plus at most the observed credential)."""
    return any(ADMINS in clause for clause in acl.clauses)
