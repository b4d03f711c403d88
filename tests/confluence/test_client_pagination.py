"""Pagination property: any space size, any page size, either deployment: every page once."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from emulator_kit import make_emulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_client_kit import client_on, token_for

from radex.confluence.emulator.app import Emulator


def tree_fixture(pages: int, seed: int, *, trashed: int) -> dict[str, Any]:
    """One space with ``pages`` current pages in a random tree, plus trashed ones."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    roots: list[dict[str, Any]] = []
    for i in range(pages + trashed):
        node: dict[str, Any] = {"title": f"Page {i}", "body": f"<p>body {i}</p>", "children": []}
        if i >= pages:
            node["status"] = "trashed"
        parents = [n for n in nodes if n.get("status") != "trashed"]
        if parents and rng.random() < 0.7:
            rng.choice(parents)["children"].append(node)
        else:
            roots.append(node)
        nodes.append(node)
    return {
        "users": [{"username": "ann", "display_name": "Ann", "email": "ann@example.com"}],
        "spaces": [
            {
                "key": "S",
                "name": "Space",
                "permissions": {"view": {"users": ["ann"]}, "edit": {"users": ["ann"]}},
                "pages": roots,
                "blogposts": [{"title": "A post", "body": "<p>x</p>"}],
            }
        ],
    }


def expected(emu: Emulator) -> set[str]:
    return {
        c.id
        for c in emu.site.content.values()
        if c.type == "page" and c.space_key == "S" and c.status == "current"
    }


async def _check(flavor: str, pages: int, trashed: int, size: int, cap: int, seed: int) -> None:
    extra: dict[str, Any] = {"v1_list_cap": cap} if flavor == "dc" else {"legacy_v1": "gone"}
    emu = make_emulator(flavor, tree_fixture(pages, seed, trashed=trashed), **extra)  # type: ignore[arg-type]
    async with client_on(emu, token_for(emu, "ann"), page_size=size) as client:
        listing = client.pages("S", body=False)
        ids = [p.id async for p in listing]
        found = [x.id async for x in client.search('space = "S" and type = page', expand=())]
    want = expected(emu)
    assert len(ids) == len(set(ids)), "a page came twice"
    assert set(ids) == want, "a page is missing or extra"
    assert listing.failures == []
    assert len(found) == len(set(found))
    assert set(found) == want


PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(
    pages=st.integers(0, 140),
    trashed=st.integers(0, 5),
    size=st.integers(1, 300),
    seed=st.integers(0, 10_000),
)
def test_cloud_listing_is_exact(pages: int, trashed: int, size: int, seed: int) -> None:
    asyncio.run(_check("cloud", pages, trashed, size, 0, seed))


@PROPERTY
@given(
    pages=st.integers(0, 140),
    trashed=st.integers(0, 5),
    size=st.integers(1, 300),
    cap=st.integers(1, 60),
    seed=st.integers(0, 10_000),
)
def test_dc_listing_is_exact_under_silent_caps(
    pages: int, trashed: int, size: int, cap: int, seed: int
) -> None:
    asyncio.run(_check("dc", pages, trashed, size, cap, seed))


async def test_a_list_that_fits_in_one_page_costs_one_call() -> None:
    emu = make_emulator("cloud", tree_fixture(30, 1, trashed=2), legacy_v1="gone")
    async with client_on(emu, token_for(emu, "ann"), page_size=50) as client:
        ids = [p.id async for p in client.pages("S", body=False)]
        trash = [p.id async for p in client.trashed("S")]
    assert set(ids) == expected(emu)
    assert len(trash) == 2
    # the downward walk is not started when the first upward page is the last one
    assert emu.requests["GET v2:/spaces/{id}/pages"] == 2
