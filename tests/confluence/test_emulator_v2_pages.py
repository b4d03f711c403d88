"""Cloud v2 reads of pages, blog posts, folders and the page tree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from emulator_kit import (
    admin_auth,
    check_v2,
    client_for,
    make_emulator,
    page_id,
    v2,
    v2_error,
)

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.model import Content, Version
from radex.confluence.emulator.serve import running


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


def add_folder(emu: Emulator, title: str, parent_title: str) -> Content:
    """A folder under a page, with one page inside it (the fixture format has no folders)."""
    site = emu.site
    when = datetime(2025, 6, 1, tzinfo=UTC)
    folder = site.add_content(
        Content(
            id=site.new_id(),
            type="folder",
            space_key="ENG",
            versions=[Version(1, title, "", "alice", when)],
            parent_id=page_id(emu, parent_title),
            created_at=when,
            author="alice",
        )
    )
    site.add_content(
        Content(
            id=site.new_id(),
            type="page",
            space_key="ENG",
            versions=[Version(1, f"{title} inside", "<p>in a folder</p>", "alice", when)],
            parent_id=folder.id,
            created_at=when,
            author="alice",
        )
    )
    return folder


async def test_page_by_id_shape_links_and_no_body_by_default(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        body = check_v2(await c.get(v2(f"/pages/{pid}")))
    assert body["id"] == pid
    assert body["status"] == "current"
    assert body["title"] == "Deployment guide"
    assert body["spaceId"] == emu.site.spaces["ENG"].id
    assert body["parentId"] == page_id(emu, "Engineering Home")
    assert body["parentType"] == "page"
    assert body["authorId"] == emu.site.users["alice"].account_id
    assert body["createdAt"] == "2025-02-01T10:00:00.000Z"
    assert body["version"] == {
        "createdAt": "2025-03-05T12:30:00.000Z",
        "message": "add freeze rule",
        "number": 3,
        "minorEdit": False,
        "authorId": emu.site.users["dave"].account_id,
    }
    assert body["body"] == {}
    links = body["_links"]
    assert links["webui"] == f"/spaces/ENG/pages/{pid}/Deployment+guide"
    assert links["editui"] == f"/pages/resumedraft.action?draftId={pid}"
    assert links["tinyui"].startswith("/x/")
    assert links["base"] == "http://wiki.test/wiki"


async def test_body_formats(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    stored = emu.site.content[pid].body
    async with client_for(emu, "alice") as c:
        storage = check_v2(await c.get(v2(f"/pages/{pid}"), params={"body-format": "storage"}))
        assert storage["body"] == {"storage": {"representation": "storage", "value": stored}}
        assert 'ri:account-id="' in stored
        adf = check_v2(await c.get(v2(f"/pages/{pid}"), params={"body-format": "atlas_doc_format"}))
        doc = json.loads(adf["body"]["atlas_doc_format"]["value"])
        assert doc["type"] == "doc"
        assert doc["version"] == 1
        kinds = [n["type"] for n in doc["content"]]
        assert kinds == ["heading", "paragraph", "panel"]
        mention = next(n for n in doc["content"][1]["content"] if n["type"] == "mention")
        assert mention["attrs"]["id"] == emu.site.users["alice"].account_id
        view = check_v2(await c.get(v2(f"/pages/{pid}"), params={"body-format": "view"}))
        html = view["body"]["view"]["value"]
        assert "<ac:" not in html
        assert "Alice Adams" in html
        assert "Freeze on Fridays." in html
        export = check_v2(await c.get(v2(f"/pages/{pid}"), params={"body-format": "export_view"}))
        assert "http://wiki.test/wiki/people/" in export["body"]["export_view"]["value"]
        for fmt in ("none", "wiki", "view_format"):
            title = v2_error(await c.get(v2(f"/pages/{pid}"), params={"body-format": fmt}), 400)
            assert "body-format" in title
        # the single-page formats are not list formats
        v2_error(await c.get(v2("/pages"), params={"body-format": "view"}), 400)


async def test_old_versions_by_number(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        first = check_v2(
            await c.get(v2(f"/pages/{pid}"), params={"version": 1, "body-format": "storage"})
        )
        assert first["body"]["storage"]["value"] == "<p>first draft</p>"
        assert first["version"]["number"] == 1
        assert first["status"] == "historical"
        current = check_v2(await c.get(v2(f"/pages/{pid}"), params={"version": 3}))
        assert current["status"] == "current"
        v2_error(await c.get(v2(f"/pages/{pid}"), params={"version": 4}), 404)
        v2_error(await c.get(v2(f"/pages/{pid}"), params={"version": "x"}), 400)


async def test_includes_on_a_single_page(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "dave") as c:
        body = check_v2(
            await c.get(
                v2(f"/pages/{pid}"),
                params={
                    "include-labels": "true",
                    "include-versions": "true",
                    "include-operations": "true",
                    "include-properties": "true",
                    "include-likes": "true",
                    "include-favorited-by-current-user-status": "true",
                    "include-version": "false",
                },
            )
        )
    assert "version" not in body
    assert sorted(lab["name"] for lab in body["labels"]["results"]) == ["deploy", "runbook"]
    assert body["labels"]["meta"] == {"hasMore": False}
    assert body["labels"]["_links"]["self"] == f"/wiki/api/v2/pages/{pid}/labels"
    assert [v["number"] for v in body["versions"]["results"]] == [3, 2, 1]
    ops = {(o["operation"], o["targetType"]) for o in body["operations"]["results"]}
    assert {("read", "page"), ("update", "page"), ("delete", "page")} <= ops
    assert body["properties"]["results"] == []
    assert body["likes"]["results"] == []
    assert body["isFavoritedByCurrentUser"] is False


async def test_forbidden_content_is_404_everywhere(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    roster = page_id(emu, "On-call roster")
    home = page_id(emu, "Engineering Home")
    async with client_for(emu, "bob") as c:
        assert v2_error(await c.get(v2(f"/pages/{home}")), 404) == "Not Found"
        listing = check_v2(await c.get(v2("/pages"), params={"limit": 250}))
        assert {p["title"] for p in listing["results"]} == {"Public Home"}
    async with client_for(emu, "dave") as c:
        for pid in (secret, roster):
            v2_error(await c.get(v2(f"/pages/{pid}")), 404)
            v2_error(await c.get(v2(f"/pages/{pid}/children")), 404)
            v2_error(await c.get(v2(f"/pages/{pid}/ancestors")), 404)
            v2_error(await c.get(v2(f"/pages/{pid}/labels")), 404)
        eng = emu.site.spaces["ENG"].id
        titles = {
            p["title"]
            for p in check_v2(await c.get(v2(f"/spaces/{eng}/pages"), params={"limit": 250}))[
                "results"
            ]
        }
        assert "Incident secrets" not in titles
        assert "On-call roster" not in titles
        kids = check_v2(await c.get(v2(f"/pages/{home}/direct-children")))
        assert [k["title"] for k in kids["results"]] == ["Deployment guide"]
        desc = check_v2(await c.get(v2(f"/pages/{home}/descendants"), params={"depth": 5}))
        assert {d["title"] for d in desc["results"]} == {"Deployment guide", "Rollback"}
    async with client_for(emu, "carol") as c:
        body = check_v2(await c.get(v2(f"/pages/{roster}")))
        assert body["parentId"] == secret


async def test_page_lists_filters_statuses_and_sorts(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    emu.site.content[page_id(emu, "Rollback")].status = "archived"
    async with client_for(emu, "carol") as c:
        every = check_v2(await c.get(v2("/pages"), params={"space-id": eng}))
        titles = [p["title"] for p in every["results"]]
        assert "Rollback" in titles  # archived pages are listed by default
        ids = [int(p["id"]) for p in every["results"]]
        assert ids == sorted(ids)
        current = check_v2(await c.get(v2("/pages"), params={"space-id": eng, "status": "current"}))
        assert "Rollback" not in [p["title"] for p in current["results"]]
        by_title = check_v2(await c.get(v2("/pages"), params={"title": "Rollback"}))
        assert [p["status"] for p in by_title["results"]] == ["archived"]
        by_ids = check_v2(
            await c.get(
                v2("/pages"),
                params={"id": f"{page_id(emu, 'Ops Home')},{page_id(emu, 'Public Home')}"},
            )
        )
        assert sorted(p["title"] for p in by_ids["results"]) == ["Ops Home", "Public Home"]
        desc = check_v2(await c.get(v2("/pages"), params={"space-id": eng, "sort": "-title"}))
        names = [p["title"] for p in desc["results"]]
        assert names == sorted(names, reverse=True)
        modified = check_v2(
            await c.get(v2("/pages"), params={"space-id": eng, "sort": "-modified-date"})
        )
        stamps = [p["version"]["createdAt"] for p in modified["results"]]
        assert stamps == sorted(stamps, reverse=True)
        bodies = check_v2(
            await c.get(v2("/pages"), params={"space-id": eng, "body-format": "storage"})
        )
        assert all("storage" in p["body"] for p in bodies["results"])
        roots = check_v2(await c.get(v2(f"/spaces/{eng}/pages"), params={"depth": "root"}))
        assert [p["title"] for p in roots["results"]] == ["Engineering Home"]
        v2_error(await c.get(v2("/pages"), params={"status": "draft"}), 400)
        v2_error(await c.get(v2("/pages"), params={"sort": "position"}), 400)
        v2_error(await c.get(v2("/pages"), params={"space-id": "ENG"}), 400)
        assert check_v2(await c.get(v2("/pages"), params={"subtype": "live"}))["results"] == []


async def test_children_direct_children_descendants_and_ancestors(emu: Emulator) -> None:
    home = page_id(emu, "Engineering Home")
    folder = add_folder(emu, "Design docs", "Engineering Home")
    inside = page_id(emu, "Design docs inside")
    async with client_for(emu, "carol") as c:
        legacy = check_v2(await c.get(v2(f"/pages/{home}/children")))
        assert [k["title"] for k in legacy["results"]] == ["Deployment guide", "Incident secrets"]
        assert all("type" not in k for k in legacy["results"])
        direct = check_v2(await c.get(v2(f"/pages/{home}/direct-children")))
        assert [(k["title"], k["type"]) for k in direct["results"]] == [
            ("Deployment guide", "page"),
            ("Incident secrets", "page"),
            ("Design docs", "folder"),
        ]
        positions = [k["childPosition"] for k in direct["results"]]
        assert positions == sorted(positions)
        shallow = check_v2(await c.get(v2(f"/pages/{home}/descendants"), params={"depth": 1}))
        assert {d["depth"] for d in shallow["results"]} == {1}
        deep = check_v2(await c.get(v2(f"/pages/{home}/descendants")))
        order = [(d["title"], d["depth"]) for d in deep["results"]]
        assert order == [
            ("Deployment guide", 1),
            ("Rollback", 2),
            ("Incident secrets", 1),
            ("On-call roster", 2),
            ("Design docs", 1),
            ("Design docs inside", 2),
        ]
        v2_error(await c.get(v2(f"/pages/{home}/descendants"), params={"depth": 11}), 400)
        ancestors = check_v2(await c.get(v2(f"/pages/{inside}/ancestors")))
        assert ancestors["results"] == [
            {"id": home, "type": "page"},
            {"id": folder.id, "type": "folder"},
        ]
        nearest = check_v2(await c.get(v2(f"/pages/{inside}/ancestors"), params={"limit": 1}))
        assert nearest["results"] == [{"id": folder.id, "type": "folder"}]
        assert check_v2(await c.get(v2(f"/pages/{home}/ancestors")))["results"] == []
        with_kids = check_v2(
            await c.get(v2(f"/pages/{home}"), params={"include-direct-children": "true"})
        )
        assert with_kids["directChildren"]["results"] == direct["results"]
        assert with_kids["directChildren"]["_links"]["self"] == (
            f"/wiki/api/v2/pages/{home}/direct-children"
        )
        page = check_v2(await c.get(v2(f"/pages/{inside}")))
        assert page["parentId"] == folder.id
        assert page["parentType"] == "folder"


async def test_folder_endpoints(emu: Emulator) -> None:
    folder = add_folder(emu, "Design docs", "Engineering Home")
    async with client_for(emu, "alice") as c:
        body = check_v2(
            await c.get(
                v2(f"/folders/{folder.id}"),
                params={"include-operations": "true", "include-direct-children": "true"},
            )
        )
        assert [k["title"] for k in body["directChildren"]["results"]] == ["Design docs inside"]
        assert body["type"] == "folder"
        assert body["title"] == "Design docs"
        assert body["parentId"] == page_id(emu, "Engineering Home")
        assert body["_links"]["webui"] == f"/spaces/ENG/folder/{folder.id}"
        kids = check_v2(await c.get(v2(f"/folders/{folder.id}/direct-children")))
        assert [k["title"] for k in kids["results"]] == ["Design docs inside"]
        desc = check_v2(await c.get(v2(f"/folders/{folder.id}/descendants")))
        assert [d["depth"] for d in desc["results"]] == [1]
        up = check_v2(await c.get(v2(f"/folders/{folder.id}/ancestors")))
        assert [a["type"] for a in up["results"]] == ["page"]
        # a folder is not a page, and a page is not a folder
        v2_error(await c.get(v2(f"/pages/{folder.id}")), 404)
        v2_error(await c.get(v2(f"/folders/{page_id(emu, 'Rollback')}")), 404)


async def test_blogposts(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    bid = page_id(emu, "Release 1.0 shipped")
    async with client_for(emu, "dave") as c:
        listing = check_v2(await c.get(v2("/blogposts")))
        assert [b["title"] for b in listing["results"]] == ["Release 1.0 shipped"]
        assert "parentId" not in listing["results"][0]
        in_space = check_v2(await c.get(v2(f"/spaces/{eng}/blogposts")))
        assert [b["id"] for b in in_space["results"]] == [bid]
        one = check_v2(
            await c.get(
                v2(f"/blogposts/{bid}"),
                params={"body-format": "storage", "include-labels": "true"},
            )
        )
        assert one["body"]["storage"]["value"] == "<p>We shipped.</p>"
        assert one["_links"]["webui"] == f"/spaces/ENG/blog/2025/05/01/{bid}/Release+1.0+shipped"
        assert [lab["name"] for lab in one["labels"]["results"]] == ["release"]
        v2_error(await c.get(v2(f"/pages/{bid}")), 404)
        v2_error(await c.get(v2(f"/blogposts/{page_id(emu, 'Rollback')}")), 404)
        v2_error(await c.get(v2("/blogposts"), params={"sort": "title"}), 400)


async def test_gateway_path_serves_pages() -> None:
    emu = make_emulator()
    pid = page_id(emu, "Rollback")
    async with client_for(emu, "alice") as c:
        url = f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2/pages/{pid}"
        body = check_v2(await c.get(url, params={"body-format": "storage"}))
    assert body["title"] == "Rollback"
    assert body["_links"]["base"] == f"http://wiki.test/ex/confluence/{emu.site.cloud_id}/wiki"


@pytest.fixture(scope="module")
def big() -> Emulator:
    return make_emulator(fixture=generate_fixture(120, seed=0))


async def _walk(client: httpx.AsyncClient, url: str, params: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    resp = await client.get(url, params=params)
    while True:
        body = check_v2(resp)
        ids += [p["id"] for p in body["results"]]
        nxt = body["_links"].get("next")
        assert ("link" in resp.headers) == bool(nxt)
        if not nxt:
            return ids
        assert nxt.startswith("/wiki/api/v2/")
        resp = await client.get(nxt)


@pytest.mark.parametrize(("limit", "sort"), [(7, "id"), (40, "-title"), (250, "created-date")])
async def test_cursor_round_trip_visits_every_page_once(
    big: Emulator, limit: int, sort: str
) -> None:
    eng = big.site.spaces["ENG"]
    expected = {
        c.id for c in big.site.in_space("ENG", "page") if c.status in ("current", "archived")
    }
    assert len(expected) >= 100
    async with client_for(big) as c:
        c.headers.update(admin_auth(big))
        seen = await _walk(c, v2(f"/spaces/{eng.id}/pages"), {"limit": limit, "sort": sort})
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


async def test_last_page_of_an_exact_multiple_has_no_next(big: Emulator) -> None:
    eng = big.site.spaces["ENG"]
    total = len(
        [c for c in big.site.in_space("ENG", "page") if c.status in ("current", "archived")]
    )
    divisors = [d for d in range(2, 60) if total % d == 0]
    limit = divisors[-1]
    async with client_for(big) as c:
        c.headers.update(admin_auth(big))
        pages = 0
        url: str | None = v2(f"/spaces/{eng.id}/pages?limit={limit}")
        while url:
            body = check_v2(await c.get(url))
            assert len(body["results"]) == limit
            pages += 1
            url = body["_links"].get("next")
    assert pages == total // limit


def test_pages_over_real_http_follow_the_link_header(big: Emulator) -> None:
    eng = big.site.spaces["ENG"]
    with running(big) as base_url, httpx.Client(headers=admin_auth(big)) as client:
        origin = base_url.removesuffix("/wiki")
        url = f"{base_url}/api/v2/spaces/{eng.id}/pages?limit=50"
        seen: list[str] = []
        while url:
            resp = client.get(url)
            body = check_v2(resp)
            seen += [p["id"] for p in body["results"]]
            link = resp.headers.get("link", "")
            url = origin + link[1 : link.index(">")] if link else ""
            assert body["_links"]["base"] == base_url
        single = check_v2(client.get(f"{base_url}/api/v2/pages/{seen[0]}?body-format=storage"))
    assert len(seen) == len(set(seen)) >= 100
    assert single["body"]["storage"]["representation"] == "storage"
