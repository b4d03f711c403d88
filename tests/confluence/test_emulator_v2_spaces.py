"""Cloud v2 spaces, pagination edges, gateway paths and OAuth scopes of the v2 surface."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from emulator_kit import (
    auth,
    check_v2,
    client_for,
    make_emulator,
    v2,
    v2_error,
)
from openapi_check import spec

from radex.confluence.emulator import routes_v2
from radex.confluence.emulator.app import Emulator


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


def space_id(emu: Emulator, key: str) -> str:
    return emu.site.spaces[key].id


async def test_list_spaces_is_sorted_by_id_and_follows_permissions(emu: Emulator) -> None:
    async with client_for(emu, "carol") as c:
        body = check_v2(await c.get(v2("/spaces")))
    assert [s["key"] for s in body["results"]] == ["ENG", "PUB", "OPS"]
    ids = [int(s["id"]) for s in body["results"]]
    assert ids == sorted(ids)
    eng = body["results"][0]
    assert eng["authorId"] == emu.site.users["alice"].account_id
    assert eng["homepageId"] == next(
        c.id for c in emu.site.content.values() if c.title == "Engineering Home"
    )
    assert eng["_links"] == {"webui": "/spaces/ENG"}
    assert "description" not in eng
    assert "icon" not in eng
    assert body["_links"] == {"base": "http://wiki.test/wiki"}
    async with client_for(emu, "bob") as c:
        body = check_v2(await c.get(v2("/spaces")))
    assert [s["key"] for s in body["results"]] == ["PUB"]


async def test_space_filters_and_sorts(emu: Emulator) -> None:
    async with client_for(emu, "carol") as c:
        by_key = check_v2(await c.get(v2("/spaces"), params={"keys": "OPS,ENG"}))
        assert [s["key"] for s in by_key["results"]] == ["ENG", "OPS"]
        repeated = check_v2(await c.get(v2("/spaces?keys=OPS&keys=PUB")))
        assert [s["key"] for s in repeated["results"]] == ["PUB", "OPS"]
        by_id = check_v2(await c.get(v2("/spaces"), params={"ids": space_id(emu, "PUB")}))
        assert [s["key"] for s in by_id["results"]] == ["PUB"]
        by_name = check_v2(await c.get(v2("/spaces"), params={"sort": "-name"}))
        assert [s["name"] for s in by_name["results"]] == ["Public", "Operations", "Engineering"]
        personal = check_v2(await c.get(v2("/spaces"), params={"type": "personal"}))
        assert personal["results"] == []
        archived = check_v2(await c.get(v2("/spaces"), params={"status": "archived"}))
        assert archived["results"] == []
        labelled = check_v2(await c.get(v2("/spaces"), params={"labels": "team"}))
        assert labelled["results"] == []
        described = check_v2(
            await c.get(
                v2("/spaces"), params={"description-format": "plain", "include-icon": "true"}
            )
        )
        eng = described["results"][0]
        assert eng["description"]["plain"] == {
            "representation": "plain",
            "value": "How we build things.",
        }
        assert eng["icon"]["path"]
        bad = await c.get(v2("/spaces"), params={"sort": "colour"})
        assert "SpaceSortOrder" in v2_error(bad, 400)


async def test_get_space_with_includes(emu: Emulator) -> None:
    eng = space_id(emu, "ENG")
    async with client_for(emu, "alice") as c:
        body = check_v2(
            await c.get(
                v2(f"/spaces/{eng}"),
                params={
                    "description-format": "view",
                    "include-permissions": "true",
                    "include-labels": "true",
                    "include-operations": "true",
                },
            )
        )
    assert body["key"] == "ENG"
    assert body["_links"]["base"] == "http://wiki.test/wiki"
    assert body["description"]["view"]["value"] == "<p>How we build things.</p>"
    assert body["labels"] == {
        "results": [],
        "meta": {"hasMore": False},
        "_links": {"self": f"/wiki/api/v2/spaces/{eng}/labels"},
    }
    assert {"operation": "administer", "targetType": "space"} in body["operations"]["results"]
    perms = body["permissions"]
    assert perms["_links"]["self"] == f"/wiki/api/v2/spaces/{eng}/permissions"
    assert len(perms["results"]) <= 50


async def test_space_permissions_map_grants_to_operations(emu: Emulator) -> None:
    eng = space_id(emu, "ENG")
    group_id = emu.site.groups["eng"].id
    alice = emu.site.users["alice"].account_id
    async with client_for(emu, "dave") as c:
        seen: list[dict[str, Any]] = []
        url: str | None = v2(f"/spaces/{eng}/permissions?limit=5")
        while url:
            body = check_v2(await c.get(url))
            seen += body["results"]
            url = body["_links"].get("next")
    pairs = {(a["principal"]["type"], a["principal"]["id"], a["operation"]["key"],
              a["operation"]["targetType"]) for a in seen}  # fmt: skip
    assert ("group", group_id, "read", "space") in pairs
    assert ("group", group_id, "create", "page") in pairs
    assert ("user", alice, "administer", "space") in pairs
    assert ("group", group_id, "administer", "space") not in pairs
    assert len({a["id"] for a in seen}) == len(seen)


async def test_unknown_or_hidden_space_is_404_and_bad_ids_are_400(emu: Emulator) -> None:
    async with client_for(emu, "bob") as c:
        v2_error(await c.get(v2(f"/spaces/{space_id(emu, 'ENG')}")), 404)
        v2_error(await c.get(v2("/spaces/999999")), 404)
        v2_error(await c.get(v2(f"/spaces/{space_id(emu, 'ENG')}/pages")), 404)
        v2_error(await c.get(v2(f"/spaces/{space_id(emu, 'OPS')}/permissions")), 404)
        title = v2_error(await c.get(v2("/spaces/ENG")), 400)
        assert (
            title == "Provided value {ENG} for 'id' is not the correct type. Expected type is long."
        )


@pytest.mark.parametrize("limit", ["0", "251", "10000", "-1", "ten"])
async def test_out_of_range_limits_are_400(emu: Emulator, limit: str) -> None:
    async with client_for(emu, "alice") as c:
        for path in ("/spaces", "/pages", "/blogposts"):
            v2_error(await c.get(v2(path), params={"limit": limit}), 400)


async def test_bad_cursor_is_400(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        for cursor in ("not-base64!", "bm90IGpzb24", "e30"):
            v2_error(await c.get(v2("/spaces"), params={"cursor": cursor}), 400)


async def test_pagination_edges_exact_multiple_and_link_header(emu: Emulator) -> None:
    async with client_for(emu, "carol") as c:
        first = await c.get(v2("/spaces"), params={"limit": 1, "keys": "ENG,PUB,OPS"})
        body = check_v2(first)
        nxt = body["_links"]["next"]
        assert first.headers["link"] == (
            f'<{nxt}>; rel="next", <http://wiki.test/wiki>; rel="base"'
        )
        assert nxt.startswith("/wiki/api/v2/spaces?")
        query = parse_qs(urlsplit(nxt).query)
        assert query["limit"] == ["1"]
        assert query["keys"] == ["ENG,PUB,OPS"]
        keys = [body["results"][0]["key"]]
        while nxt:
            resp = await c.get(nxt)
            page = check_v2(resp)
            keys += [s["key"] for s in page["results"]]
            nxt = page["_links"].get("next")
            assert ("link" in resp.headers) == bool(nxt)
        assert keys == ["ENG", "PUB", "OPS"]
        exact = check_v2(await c.get(v2("/spaces"), params={"limit": 3}))
        assert len(exact["results"]) == 3
        assert "next" not in exact["_links"]


async def test_gateway_paths_answer_the_same_with_prefixed_links(emu: Emulator) -> None:
    cloud = emu.site.cloud_id
    async with client_for(emu, "carol") as c:
        resp = await c.get(f"/ex/confluence/{cloud}/wiki/api/v2/spaces", params={"limit": 2})
        body = check_v2(resp)
    assert [s["key"] for s in body["results"]] == ["ENG", "PUB"]
    assert body["_links"]["base"] == f"http://wiki.test/ex/confluence/{cloud}/wiki"
    assert body["_links"]["next"].startswith(f"/ex/confluence/{cloud}/wiki/api/v2/spaces?")


async def test_scoped_token_needs_the_endpoint_scope(emu: Emulator) -> None:
    alice = emu.site.users["alice"]
    token = emu.site.issue_token("alice", "scoped", scopes=frozenset({"read:page:confluence"}))
    headers = {**auth(emu, "alice")}
    import base64

    headers["Authorization"] = (
        "Basic " + base64.b64encode(f"{alice.email}:{token}".encode()).decode()
    )
    gw = f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2"
    async with client_for(emu) as c:
        check_v2(await c.get(f"{gw}/pages", headers=headers))
        v2_error(await c.get(f"{gw}/spaces", headers=headers), 401)
        v2_error(await c.get(f"{gw}/pages/1/attachments", headers=headers), 401)


def test_every_v2_endpoint_exists_in_the_spec_with_its_oauth_scopes() -> None:
    doc = spec("v2")
    for ep in routes_v2.ENDPOINTS:
        template = ep.path.replace("{comment_id}", "{comment-id}").replace(
            "{version_number}", "{version-number}"
        )
        candidates = [
            t
            for t in doc["paths"]
            if t.count("/") == template.count("/")
            and all(
                a == b or (a.startswith("{") and b.startswith("{"))
                for a, b in zip(t.split("/"), template.split("/"), strict=True)
            )
        ]
        assert candidates, f"{ep.method} {ep.path} is not a v2 operation"
        op = doc["paths"][candidates[0]][ep.method.lower()]
        declared = {
            s for entry in op.get("security", []) for s in entry.get("oAuthDefinitions", [])
        }
        assert ep.scopes, ep.path
        assert set(ep.scopes) <= declared, (ep.path, ep.scopes, declared)
