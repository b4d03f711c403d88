"""Shared pieces for the people tests: a store in a temp dir, sources, emulated sites, clients."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from radex.confluence.auth import ApiToken, Credential, PersonalAccessToken, SiteUrls
from radex.confluence.client import ConfluenceClient, LimitConfig, RetryPolicy, SiteLimiter
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.model import Flavor
from radex.store import Store
from radex.store.records import SourceRecord
from radex.types import Deployment

BASE = "http://wiki.test"
TOKEN = "admin-token"

PEOPLE: dict[str, Any] = {
    "title": "People site",
    "users": [
        {
            "username": "alice",
            "display_name": "Alice Adams",
            "email": "Alice@Example.com",
            "groups": ["eng", "sre"],
        },
        {
            "username": "bob",
            "display_name": "Bob Brown",
            "email": "bob@example.com",
            "groups": ["eng"],
        },
        {
            "username": "carol",
            "display_name": "Carol Chen",
            "email": "carol@example.com",
            "groups": ["sre"],
        },
        {"username": "dave", "display_name": "Dave Dunn", "email": "", "groups": ["eng"]},
    ],
    "groups": ["empty-group"],
    "spaces": [],
}


def people_fixture(**changes: Any) -> dict[str, Any]:
    """The people fixture, with top-level keys replaced."""
    fixture = copy.deepcopy(PEOPLE)
    fixture.update(changes)
    return fixture


def make_site(
    flavor: Flavor = "cloud", fixture: dict[str, Any] | None = None, faults: str = ""
) -> Emulator:
    """An emulated site of the fixture; the admin logs in with TOKEN."""
    login = "admin@example.com" if flavor == "cloud" else "admin"
    site = build_site(fixture or PEOPLE, flavor=flavor, seed=0, admin=(login, TOKEN))
    return create_emulator(site, EmulatorConfig(flavor=flavor, faults=FaultSpec.parse(faults)))


def admin_credential(emu: Emulator) -> Credential:
    """The site admin's credential for the emulator's flavour."""
    if emu.config.flavor == "cloud":
        return ApiToken("admin@example.com", TOKEN)
    return PersonalAccessToken(TOKEN)


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


@asynccontextmanager
async def client_for(emu: Emulator) -> AsyncIterator[ConfluenceClient]:
    """A client on the emulator over ASGI that never sits out a wait."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
    limiter = SiteLimiter(LimitConfig(rate=10_000, burst=10_000, max_concurrency=8), sleep=_no_wait)
    client = ConfluenceClient.connect(
        SiteUrls(site=BASE, gateway=BASE, auth=BASE),
        admin_credential(emu),
        http=http,
        limiter=limiter,
        sleep=_no_wait,
        retry=RetryPolicy(max_retries=1, base_delay=0.0),
    )
    try:
        yield client
    finally:
        await client.aclose()
        await http.aclose()


def open_store(tmp_path: Path, name: str = "radex.db") -> Store:
    """A migrated SQLite store in a temp dir."""
    return Store.open(f"sqlite:///{tmp_path / 'data' / name}")


def add_source(store: Store, name: str, deployment: Deployment = "cloud") -> SourceRecord:
    """A source row (its credential is a placeholder: these tests open clients themselves)."""
    return store.add_source(
        name, deployment, f"{BASE}/{name}", "api_token", b"not a real ciphertext", "k1", []
    )


def account_id(emu: Emulator, username: str) -> str:
    """A user's Confluence identity in the emulator's flavour (accountId or userKey)."""
    user = emu.site.users[username]
    return user.account_id if emu.config.flavor == "cloud" else user.user_key
