"""Who a RADEX user is when they read: their principals (RADEX and per-source Confluence), the
folders their grants open, and the strongest grant they hold on a folder."""

from __future__ import annotations

from radex.store import Store
from radex.store.folders import normalise_path
from radex.store.people import no_user
from radex.store.records import GRANT_LEVELS, GrantLevel, UserProfile
from radex.types import Principal, Reader, folder_within

RADEX_SCOPE = "radex"


def radex_user(name: str) -> Principal:
    """The principal of a RADEX user (``user:radex:<name>``)."""
    return Principal("user", f"{RADEX_SCOPE}:{name}")


def radex_group(name: str) -> Principal:
    """The principal of a RADEX group (``group:radex:<name>``)."""
    return Principal("group", f"{RADEX_SCOPE}:{name}")


def reader_for(store: Store, name: str) -> Reader:
    """The RADEX user ``name`` as a reader (NotFoundError for an unknown user); a disabled user
    holds no principals and opens no folder, so reads nothing."""
    profile = store.profile(name)
    if profile is None:
        raise no_user(name)
    return reader_of(profile)


def reader_of(profile: UserProfile) -> Reader:
    """The reader a user's profile makes (pure: no store access)."""
    user = profile.user
    if not user.active:
        return Reader(user.name, frozenset(), (), (), False)
    principals = {radex_user(user.name), Principal("role", user.role)}
    principals |= {radex_group(g) for g in profile.groups}
    for link in profile.links:
        principals.add(Principal.of_source("user", link.source_id, link.confluence_id))
        for group in profile.source_groups.get(link.source_id, ()):
            principals.add(Principal.of_source("group", link.source_id, group))
    admin = user.role == "admin"
    folders = None if admin else tuple(sorted({g.folder_path for g in profile.grants}))
    identities = tuple((link.source_id, link.confluence_id) for link in profile.links)
    return Reader(user.name, frozenset(principals), folders, identities, admin)


def effective_level(store: Store, name: str, folder_path: str) -> GrantLevel | None:
    """The strongest grant that applies to a folder for a user: their own, their groups' or
    everyone's, on the folder or any folder above it; ``owner`` for admins; None when none
    applies (or the user is disabled)."""
    profile = store.profile(name)
    if profile is None:
        raise no_user(name)
    return level_of(profile, normalise_path(folder_path))


def level_of(profile: UserProfile, folder_path: str) -> GrantLevel | None:
    """The strongest level a profile's grants give on a (normalised) folder path."""
    if not profile.user.active:
        return None
    if profile.user.role == "admin":
        return "owner"
    levels = [g.level for g in profile.grants if folder_within(folder_path, g.folder_path)]
    return max(levels, key=GRANT_LEVELS.index) if levels else None
