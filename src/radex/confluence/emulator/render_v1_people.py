"""People in v1 JSON: users per flavour, groups, space permissions and content restrictions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from radex.confluence.emulator.http import Ctx
from radex.confluence.emulator.model import Content, RestrictionOp, Space, SpaceOp, User
from radex.confluence.emulator.render_v1_links import api_self, static_root


def expands(expand: frozenset[str], name: str) -> bool:
    """True when ``name`` or any sub-expansion of it was requested."""
    prefix = name + "."
    return any(e == name or e.startswith(prefix) for e in expand)


def sub_expand(expand: frozenset[str], name: str) -> frozenset[str]:
    """The expansions below ``name`` (``children.page.version`` → ``page.version`` for children)."""
    prefix = name + "."
    return frozenset(e[len(prefix) :] for e in expand if e.startswith(prefix))


def user_v1(ctx: Ctx, user: User | None) -> dict[str, Any]:
    """A v1 User: Cloud by accountId, DC by username + userKey; None is the anonymous user."""
    if user is None:
        return anonymous_v1(ctx)
    if ctx.site.flavor == "cloud":
        return {
            "type": "known",
            "accountId": user.account_id,
            "accountType": user.account_type,
            "email": user.email,
            "publicName": user.display_name,
            "profilePicture": {
                "path": f"/wiki/aa-avatar/{user.account_id}",
                "width": 48,
                "height": 48,
                "isDefault": False,
            },
            "displayName": user.display_name,
            "isExternalCollaborator": False,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": api_self(ctx, f"/user?accountId={user.account_id}")},
        }
    return {
        "type": "known",
        "username": user.username,
        "userKey": user.user_key,
        "profilePicture": {
            "path": f"{static_root(ctx)}/images/icons/profilepics/default.svg",
            "width": 48,
            "height": 48,
            "isDefault": True,
        },
        "displayName": user.display_name,
        "_links": {"self": api_self(ctx, f"/user?key={user.user_key}")},
        "_expandable": {"status": ""},
    }


def anonymous_v1(ctx: Ctx) -> dict[str, Any]:
    """The anonymous user."""
    return {
        "type": "anonymous",
        "profilePicture": {
            "path": f"{static_root(ctx)}/images/icons/profilepics/anonymous.svg",
            "width": 48,
            "height": 48,
            "isDefault": True,
        },
        "displayName": "Anonymous",
        "_links": {"self": api_self(ctx, "/user/anonymous")},
    }


def user_ref(ctx: Ctx, username: str) -> dict[str, Any]:
    """The v1 User for a username stored on content (an unknown user when it no longer exists)."""
    user = ctx.site.users.get(username)
    if user is not None:
        return user_v1(ctx, user)
    out: dict[str, Any] = {"type": "unknown", "displayName": username}
    if ctx.site.flavor == "dc":
        out["username"] = username
    return out


_SPACE_OPS: dict[SpaceOp, tuple[str, str]] = {
    "view": ("read", "space"),
    "edit": ("create", "page"),
    "admin": ("administer", "space"),
}


def space_permissions_v1(ctx: Ctx, space: Space) -> list[dict[str, Any]]:
    """Space permissions as the legacy Cloud ``expand=permissions`` list (one entry per subject)."""
    out: list[dict[str, Any]] = []
    seq = int(space.id) * 100
    for key, (operation, target) in _SPACE_OPS.items():
        grants = space.permissions[key]
        subjects: list[dict[str, Any]] = []
        for name in sorted(grants.groups):
            group = ctx.site.groups.get(name)
            subjects.append(
                {
                    "group": {
                        "results": [group_v1(ctx, name, group.id if group else None)],
                        "size": 1,
                    }
                }
            )
        for name in sorted(grants.users):
            subjects.append({"user": {"results": [user_ref(ctx, name)], "size": 1}})
        for subject in subjects:
            seq += 1
            out.append(
                {
                    "id": seq,
                    "subjects": subject,
                    "operation": {"operation": operation, "targetType": target},
                    "anonymousAccess": False,
                    "unlicensedAccess": False,
                }
            )
        if grants.anonymous:
            seq += 1
            out.append(
                {
                    "id": seq,
                    "operation": {"operation": operation, "targetType": target},
                    "anonymousAccess": True,
                    "unlicensedAccess": False,
                }
            )
    return out


def group_v1(ctx: Ctx, name: str, group_id: str | None = None) -> dict[str, Any]:
    """A v1 Group (Cloud carries the group id; DC only the name)."""
    out: dict[str, Any] = {"type": "group", "name": name}
    if ctx.site.flavor == "cloud":
        group = ctx.site.groups.get(name)
        out["id"] = group_id or (group.id if group else None)
        out["_links"] = {"self": api_self(ctx, f"/group/by-id?id={out['id']}")}
    else:
        out["_links"] = {"self": api_self(ctx, f"/group/{quote(name)}")}
    return out


def restriction_v1(
    ctx: Ctx, content: Content, op: RestrictionOp, expand: frozenset[str]
) -> dict[str, Any]:
    """One ContentRestriction: the users and groups a read/update restriction names."""
    grants = content.restrictions[op]
    base = f"/content/{content.id}/restriction/byOperation/{op}"
    inner: dict[str, Any] = {}
    inner_expandable: dict[str, str] = {}
    sub = sub_expand(expand, "restrictions")
    if "user" in sub:
        users = [ctx.site.users[n] for n in sorted(grants.users) if n in ctx.site.users]
        inner["user"] = {
            "results": [user_v1(ctx, u) for u in users],
            "start": 0,
            "limit": 200,
            "size": len(users),
        }
    else:
        inner_expandable["user"] = f"/rest/api{base}/user"
    if "group" in sub:
        groups = sorted(grants.groups)
        inner["group"] = {
            "results": [group_v1(ctx, g) for g in groups],
            "start": 0,
            "limit": 200,
            "size": len(groups),
        }
    else:
        inner_expandable["group"] = f"/rest/api{base}/group"
    out: dict[str, Any] = {"operation": op}
    expandable: dict[str, str] = {}
    if expands(expand, "restrictions"):
        inner["_expandable"] = inner_expandable
        out["restrictions"] = inner
    else:
        expandable["restrictions"] = ""
    expandable["content"] = ""
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, base)}
    return out


def restrictions_v1(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    """The ``restrictions`` expansion of Content: ``read`` and ``update`` by operation."""
    out: dict[str, Any] = {}
    expandable: dict[str, str] = {}
    ops: tuple[RestrictionOp, ...] = ("read", "update")
    for op in ops:
        if expands(expand, op):
            out[op] = restriction_v1(ctx, content, op, sub_expand(expand, op))
        else:
            expandable[op] = f"/rest/api/content/{content.id}/restriction/byOperation/{op}"
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, f"/content/{content.id}/restriction/byOperation")}
    return out
