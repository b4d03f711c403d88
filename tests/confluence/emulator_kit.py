"""Shared helpers for emulator tests: a small but complete site, clients and credentials."""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.model import Flavor

BASE = "http://wiki.test"

_BODY = (
    "<h1>Deploying</h1><p>Run <code>make deploy</code> after review by "
    '<ac:link><ri:user ri:username="alice"/></ac:link>.</p>'
    '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Freeze on Fridays.</p>'
    "</ac:rich-text-body></ac:structured-macro>"
)

SITE: dict[str, Any] = {
    "title": "Test site",
    "users": [
        {
            "username": "alice",
            "display_name": "Alice Adams",
            "email": "alice@example.com",
            "groups": ["eng"],
        },
        {"username": "bob", "display_name": "Bob Brown", "email": "bob@example.com", "groups": []},
        {
            "username": "carol",
            "display_name": "Carol Chen",
            "email": "carol@example.com",
            "groups": ["eng", "sre"],
        },
        {
            "username": "dave",
            "display_name": "Dave Diaz",
            "email": "dave@example.com",
            "groups": ["eng"],
        },
    ],
    "spaces": [
        {
            "key": "ENG",
            "name": "Engineering",
            "description": "How we build things.",
            "permissions": {
                "view": {"groups": ["eng"]},
                "edit": {"groups": ["eng"]},
                "admin": {"users": ["alice"]},
            },
            "pages": [
                {
                    "title": "Engineering Home",
                    "author": "alice",
                    "created": "2025-01-10T09:00:00Z",
                    "body": "<p>Welcome to engineering.</p>",
                    "labels": ["home"],
                    "children": [
                        {
                            "title": "Deployment guide",
                            "author": "alice",
                            "created": "2025-02-01T10:00:00Z",
                            "updated": "2025-03-05T12:30:00Z",
                            "last_editor": "dave",
                            "body": _BODY,
                            "message": "add freeze rule",
                            "versions": [
                                {
                                    "body": "<p>first draft</p>",
                                    "author": "alice",
                                    "when": "2025-02-01T10:00:00Z",
                                },
                                {
                                    "body": "<p>second draft</p>",
                                    "author": "dave",
                                    "when": "2025-02-15T10:00:00Z",
                                },
                            ],
                            "labels": ["deploy", "runbook"],
                            "attachments": [
                                {"filename": "checklist.txt", "text": "Step one.\n\nStep two."},
                                {"filename": "diagram.png", "text": "Pipeline", "versions": 2},
                            ],
                            "comments": [
                                {
                                    "author": "bob",
                                    "created": "2025-03-06T08:00:00Z",
                                    "body": "<p>Rollback step?</p>",
                                    "replies": [{"author": "alice", "body": "<p>Added.</p>"}],
                                },
                            ],
                            "children": [
                                {
                                    "title": "Rollback",
                                    "author": "dave",
                                    "created": "2025-02-20T10:00:00Z",
                                    "body": "<p>Use <code>make rollback</code>.</p>",
                                },
                            ],
                        },
                        {
                            "title": "Incident secrets",
                            "author": "carol",
                            "created": "2025-04-01T10:00:00Z",
                            "body": "<p>The pager code is 4242.</p>",
                            "restrictions": {
                                "read": {"groups": ["sre"]},
                                "update": {"users": ["carol"]},
                            },
                            "children": [
                                {
                                    "title": "On-call roster",
                                    "author": "carol",
                                    "created": "2025-04-02T10:00:00Z",
                                    "body": "<p>Carol, then Dave.</p>",
                                    "labels": ["oncall"],
                                },
                            ],
                        },
                    ],
                },
            ],
            "blogposts": [
                {
                    "title": "Release 1.0 shipped",
                    "author": "alice",
                    "created": "2025-05-01T10:00:00Z",
                    "body": "<p>We shipped.</p>",
                    "labels": ["release"],
                },
            ],
        },
        {
            "key": "PUB",
            "name": "Public",
            "permissions": {
                "view": {"groups": ["eng"], "users": ["bob"], "anonymous": True},
                "edit": {"users": ["bob"]},
            },
            "pages": [
                {
                    "title": "Public Home",
                    "author": "bob",
                    "created": "2025-01-01T00:00:00Z",
                    "body": "<p>Hello world.</p>",
                }
            ],
        },
        {
            "key": "OPS",
            "name": "Operations",
            "permissions": {"view": {"groups": ["sre"]}, "edit": {"groups": ["sre"]}},
            "pages": [
                {
                    "title": "Ops Home",
                    "author": "carol",
                    "created": "2025-01-05T00:00:00Z",
                    "body": "<p>Ops only.</p>",
                }
            ],
        },
    ],
}


def make_emulator(
    flavor: Flavor = "cloud", fixture: dict[str, Any] | None = None, **config: Any
) -> Emulator:
    """An emulator over SITE (or ``fixture``) with the given EmulatorConfig fields."""
    site = build_site(copy.deepcopy(fixture or SITE), flavor=flavor)
    return create_emulator(site, EmulatorConfig(flavor=flavor, **config))


def auth(emu: Emulator, username: str) -> dict[str, str]:
    """Headers that authenticate as ``username`` the flavour's usual way."""
    user = emu.site.users[username]
    login = user.email if emu.config.flavor == "cloud" else user.username
    raw = base64.b64encode(f"{login}:{user.secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def admin_auth(emu: Emulator) -> dict[str, str]:
    """Headers of the site administrator."""
    admin = next(u for u in emu.site.users.values() if u.admin)
    return auth(emu, admin.username)


@asynccontextmanager
async def client_for(
    emu: Emulator, username: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the emulator's ASGI app, authenticated as ``username`` when given."""
    headers = auth(emu, username) if username else {}
    transport = httpx.ASGITransport(app=emu.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield client


def v2(path: str) -> str:
    """A Cloud v2 path."""
    return f"/wiki/api/v2{path}"


def v1(emu: Emulator, path: str) -> str:
    """A v1 path for the emulator's flavour (Cloud ``/wiki/rest/api``, DC ``[ctx]/rest/api``)."""
    if emu.config.flavor == "cloud":
        return f"/wiki/rest/api{path}"
    return f"{emu.config.context_path}/rest/api{path}"


def page_id(emu: Emulator, title: str) -> str:
    """The id of the content with this title."""
    return next(c.id for c in emu.site.content.values() if c.title == title)


def v1_spec_name(method: str, api_path: str) -> str:
    """``"v1"`` when the current v1 document describes this operation, else ``"v1-legacy"``."""
    from openapi_check import templates

    return "v1" if templates("v1", method, api_path) else "v1-legacy"


def check_v1(emu: Emulator, response: httpx.Response, method: str = "GET") -> Any:
    """Validate a 2xx v1 JSON response against Atlassian's schema; return the body.

    Cloud uses the current v1 document where it has the operation; DC the legacy (classic)
    one where that has it, as DC still serves the classic shapes.
    """
    from openapi_check import templates, validate

    assert 200 <= response.status_code < 300, (response.status_code, response.text[:300])
    prefix = (
        "/wiki/rest/api" if emu.config.flavor == "cloud" else f"{emu.config.context_path}/rest/api"
    )
    path = response.request.url.path
    assert path.startswith(prefix), path
    api_path = "/wiki/rest/api" + path[len(prefix) :]
    body = response.json()
    name = v1_spec_name(method, api_path)
    if emu.config.flavor == "dc" and name == "v1" and templates("v1-legacy", method, api_path):
        name = "v1-legacy"
    validate(name, method, api_path, response.status_code, body)
    return body


def check_v2(response: httpx.Response, status: int = 200) -> Any:
    """Assert a Cloud v2 response's status and validate its JSON body against the v2 document.

    Works for site paths (``/wiki/api/v2/...``) and gateway paths
    (``/ex/confluence/{cloudId}/wiki/api/v2/...``); returns the body (None for 204).
    """
    from openapi_check import validate

    assert response.status_code == status, (response.status_code, response.text[:500])
    if status == 204:
        assert response.content == b""
        return None
    path = response.request.url.path
    marker = "/wiki/api/v2"
    assert marker in path, path
    body = response.json()
    validate("v2", response.request.method, path[path.index(marker) + len(marker) :], status, body)
    return body


def v2_error(response: httpx.Response, status: int) -> str:
    """Assert a Cloud v2 error body ``{"errors":[{status,code,title,detail}]}``; its title."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["status"] == status
    assert set(errors[0]) == {"status", "code", "title", "detail"}
    return str(errors[0]["title"])
