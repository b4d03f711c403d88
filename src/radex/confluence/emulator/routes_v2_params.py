"""Cloud v2 request parsing: path ids, enums, status filters, body formats, write errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, Literal

from radex.confluence.emulator.http import ApiError, Ctx, query_bool
from radex.confluence.emulator.ops import OpError

BodyFormat = Literal[
    "storage",
    "atlas_doc_format",
    "view",
    "export_view",
    "anonymous_export_view",
    "styled_view",
]

BULK_FORMATS: Final = ("storage", "atlas_doc_format")
SINGLE_FORMATS: Final = (
    "storage",
    "atlas_doc_format",
    "view",
    "export_view",
    "anonymous_export_view",
    "styled_view",
    "editor",
)
_ATTACHMENT_ID = re.compile(r"(att)?[0-9]+")
_LONG_MAX = 2**63 - 1


def wrong_type(name: str, value: str, expected: str) -> ApiError:
    """The 400 Confluence answers when a parameter does not parse as its declared type."""
    return ApiError(
        400,
        f"Provided value {{{value}}} for '{name}' is not the correct type. "
        f"Expected type is {expected}.",
    )


def path_id(ctx: Ctx, name: str = "id") -> str:
    """A numeric (int64) path id, else 400 (named as the API spells it, e.g. ``comment-id``)."""
    raw = ctx.path_param(name)
    if not raw.isdigit() or int(raw) > _LONG_MAX:
        raise wrong_type(name.replace("_", "-"), raw, "long")
    return str(int(raw))


def attachment_path_id(ctx: Ctx, name: str = "id") -> str:
    """An attachment id (``att123`` or ``123``) as the site stores it, else 400."""
    raw = ctx.path_param(name)
    if not _ATTACHMENT_ID.fullmatch(raw):
        raise wrong_type(name, raw, "ContentId")
    return raw if raw.startswith("att") else "att" + raw


def listed(ctx: Ctx, name: str) -> list[str]:
    """A list parameter given repeated or comma separated, without empty items."""
    return [v.strip() for raw in ctx.params.getlist(name) for v in raw.split(",") if v.strip()]


def id_list(ctx: Ctx, name: str, *, max_items: int) -> list[str]:
    """A list of int64 ids, else 400."""
    values = listed(ctx, name)
    for value in values:
        if not value.isdigit():
            raise wrong_type(name, value, "long")
    if len(values) > max_items:
        raise ApiError(400, f"Too many values for '{name}': at most {max_items} are allowed")
    return [str(int(v)) for v in values]


def enum_param(
    ctx: Ctx, name: str, allowed: Sequence[str], type_name: str, default: str | None = None
) -> str | None:
    """One value of an enumerated parameter, else 400."""
    raw = ctx.params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise wrong_type(name, raw, type_name)
    return raw


def statuses(
    ctx: Ctx, allowed: Sequence[str], default: Sequence[str], type_name: str = "ContentStatus"
) -> tuple[str, ...]:
    """The ``status`` filter: a subset of ``allowed``, else 400; ``default`` when absent."""
    values = listed(ctx, "status")
    for value in values:
        if value not in allowed:
            raise wrong_type("status", value, type_name)
    return tuple(values) if values else tuple(default)


def body_format(ctx: Ctx, *, single: bool) -> BodyFormat | None:
    """The ``body-format`` asked for (None: no body), else 400 for values the API lacks.

    ``editor`` is a real single-content format that this emulator cannot produce; it is
    refused with a message that says so rather than answered with another format.
    """
    allowed = SINGLE_FORMATS if single else BULK_FORMATS
    type_name = "PrimaryBodyRepresentationSingle" if single else "PrimaryBodyRepresentation"
    value = enum_param(ctx, "body-format", allowed, type_name)
    if value == "editor":
        raise ApiError(400, "body-format 'editor' is not available from this emulated site")
    return value  # type: ignore[return-value]


def include(ctx: Ctx, name: str, default: bool = False) -> bool:
    """An ``include-*`` flag."""
    return query_bool(ctx, f"include-{name}", default)


def positive_int(ctx: Ctx, name: str) -> int | None:
    """An optional positive integer query parameter, else 400."""
    raw = ctx.params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise wrong_type(name, raw, "int")
    return int(raw)


def body_value(raw: Any) -> tuple[str, str] | None:
    """(representation, value) from a v2 write body: flat ``{representation, value}`` or nested
    ``{storage: {value}}``; None when absent; 400 when malformed."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(400, "body must be an object")
    if "value" in raw or "representation" in raw:
        rep, value = raw.get("representation", "storage"), raw.get("value")
    else:
        keys = [k for k in ("storage", "atlas_doc_format", "wiki") if k in raw]
        if len(keys) != 1 or not isinstance(raw[keys[0]], dict):
            raise ApiError(400, "body must hold exactly one representation, e.g. storage")
        rep, value = keys[0], raw[keys[0]].get("value")
        rep = raw[keys[0]].get("representation", rep)
    if rep not in ("storage", "atlas_doc_format", "wiki"):
        raise wrong_type("representation", str(rep), "BodyRepresentation")
    if not isinstance(value, str):
        raise ApiError(400, "body value must be a string in the given representation")
    return str(rep), value


def op_error(exc: OpError) -> ApiError:
    """The v2 answer to a refused write."""
    status = {
        "conflict": 409,
        "bad_request": 400,
        "not_found": 404,
        "forbidden": 403,
        "too_large": 413,
    }[exc.kind]
    if exc.kind == "forbidden" and "Anonymous" in exc.message:
        status = 401
    return ApiError(status, exc.message)
