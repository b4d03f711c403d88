"""Confluence permissions -> Acl (pure).

A page is readable iff the space grants VIEW to the reader AND every read restriction on the
page and on each ancestor admits them (DESIGN.md §4). Each of those is one CNF clause.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from radex.types import Acl, Principal, Restriction, SpacePermission

VIEW_OPERATIONS = frozenset({"read", "view"})


def space_clause(permissions: Iterable[SpacePermission]) -> frozenset[Principal]:
    """Who the space lets view its content (an empty set admits no one)."""
    out: set[Principal] = set()
    for perm in permissions:
        if perm.operation.lower() not in VIEW_OPERATIONS or perm.target not in ("space", ""):
            continue
        if perm.principal == "anyone":
            out.add(Principal("anyone"))
        elif perm.principal_id:
            out.add(Principal(perm.principal, perm.principal_id))
    return frozenset(out)


def restriction_clause(restriction: Restriction) -> frozenset[Principal] | None:
    """The clause a read restriction adds, or None when it restricts nothing."""
    if restriction.is_empty:
        return None
    return frozenset(
        [Principal("user", u) for u in restriction.user_ids]
        + [Principal("group", g) for g in restriction.group_names]
    )


def page_acl(
    space: frozenset[Principal],
    restrictions: Sequence[Restriction | None],
    *,
    observed_readers: Iterable[Principal] = (),
) -> Acl:
    """The Acl of a page from its space's VIEW clause and the read restrictions on the page and
    its ancestors (``None`` = unknown, which fails closed to an empty clause).

    ``observed_readers`` are principals Confluence was seen to let read this very page (the
    credential that fetched it); adding them to each clause records Confluence's own decision
    for them and admits nobody else.
    """
    seen = frozenset(observed_readers)
    clauses: list[frozenset[Principal]] = [space | seen]
    for restriction in restrictions:
        if restriction is None:
            clauses.append(seen)
            continue
        clause = restriction_clause(restriction)
        if clause is not None:
            clauses.append(clause | seen)
    return Acl(tuple(dict.fromkeys(clauses)))
