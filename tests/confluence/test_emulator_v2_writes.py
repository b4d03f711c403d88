"""Cloud v2 writes: create, update (optimistic locking), move, retitle, trash/purge/restore."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_kit import check_v2, client_for, make_emulator, page_id, v2, v2_error

from radex.confluence.emulator.app import Emulator


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


def update_body(page: dict[str, Any], number: int, **changes: Any) -> dict[str, Any]:
    body = {
        "id": page["id"],
        "status": "current",
        "title": page["title"],
        "body": {"representation": "storage", "value": "<p>new text</p>"},
        "version": {"number": number, "message": "edited"},
    }
    body.update(changes)
    return body


async def current(c: httpx.AsyncClient, pid: str) -> dict[str, Any]:
    return check_v2(await c.get(v2(f"/pages/{pid}"), params={"body-format": "storage"}))


async def test_create_page_defaults_to_the_homepage_parent(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    events: list[str] = []
    emu.site.listeners.append(lambda event, content, user: events.append(event))
    async with client_for(emu, "dave") as c:
        resp = await c.post(
            v2("/pages"),
            json={
                "spaceId": eng,
                "status": "current",
                "title": "Runbook index",
                "body": {"representation": "storage", "value": "<p>Index</p>"},
            },
        )
        page = check_v2(resp)
        assert page["title"] == "Runbook index"
        assert page["version"]["number"] == 1
        assert page["parentId"] == page_id(emu, "Engineering Home")
        assert page["body"]["storage"]["value"] == "<p>Index</p>"
        assert page["authorId"] == emu.site.users["dave"].account_id
        root = check_v2(
            await c.post(
                v2("/pages"),
                params={"root-level": "true"},
                json={"spaceId": eng, "title": "Top level", "body": {"storage": {"value": "x"}}},
            )
        )
        assert "parentId" not in root
        child = check_v2(
            await c.post(
                v2("/pages"),
                json={
                    "spaceId": int(eng),
                    "title": "Under rollback",
                    "parentId": page_id(emu, "Rollback"),
                    "body": {"representation": "storage", "value": "<p>x</p>"},
                },
            )
        )
        assert child["parentId"] == page_id(emu, "Rollback")
        listed = check_v2(await c.get(v2("/pages"), params={"title": "Under rollback"}))
        assert [p["id"] for p in listed["results"]] == [child["id"]]
    assert events.count("page_created") == 3


async def test_create_page_errors(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    ops_space = emu.site.spaces["OPS"].id
    async with client_for(emu, "dave") as c:
        dup = await c.post(v2("/pages"), json={"spaceId": eng, "title": "Rollback"})
        assert "already exists" in v2_error(dup, 400)
        v2_error(await c.post(v2("/pages"), json={"title": "No space"}), 400)
        v2_error(await c.post(v2("/pages"), json={"spaceId": ops_space, "title": "x"}), 404)
        both = await c.post(
            v2("/pages"),
            params={"root-level": "true"},
            json={"spaceId": eng, "title": "x", "parentId": page_id(emu, "Rollback")},
        )
        v2_error(both, 400)
        wrong = await c.post(
            v2("/pages"),
            json={"spaceId": eng, "title": "x", "body": {"storage": {"value": {"nested": 1}}}},
        )
        v2_error(wrong, 400)
        hidden_parent = await c.post(
            v2("/pages"),
            json={"spaceId": eng, "title": "x", "parentId": page_id(emu, "Incident secrets")},
        )
        v2_error(hidden_parent, 404)
    async with client_for(emu, "bob") as c:
        pub = emu.site.spaces["PUB"].id
        created = check_v2(await c.post(v2("/pages"), json={"spaceId": pub, "title": "Bob's"}))
        assert created["parentId"] == page_id(emu, "Public Home")
    emu.site.anonymous_access = True
    async with client_for(emu) as c:
        anon = await c.post(v2("/pages"), json={"spaceId": emu.site.spaces["PUB"].id, "title": "y"})
        v2_error(anon, 401)


async def test_private_page_is_restricted_to_its_creator(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    async with client_for(emu, "dave") as c:
        page = check_v2(
            await c.post(
                v2("/pages"), params={"private": "true"}, json={"spaceId": eng, "title": "Mine"}
            )
        )
    async with client_for(emu, "alice") as c:
        v2_error(await c.get(v2(f"/pages/{page['id']}")), 404)


async def test_update_needs_the_next_version_and_answers_409_exactly(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        page = await current(c, pid)
        assert page["version"]["number"] == 3
        stale = await c.put(v2(f"/pages/{pid}"), json=update_body(page, 3))
        assert stale.status_code == 409
        assert stale.json() == {
            "errors": [
                {
                    "status": 409,
                    "code": "CONFLICT",
                    "title": "Version must be incremented when updating a page. "
                    "Current Version: [3]. Provided version: [3]",
                    "detail": None,
                }
            ]
        }
        older = await c.put(v2(f"/pages/{pid}"), json=update_body(page, 2))
        assert "Current Version: [3]. Provided version: [2]" in v2_error(older, 409)
        updated = check_v2(await c.put(v2(f"/pages/{pid}"), json=update_body(page, 4)))
        assert updated["version"]["number"] == 4
        assert updated["version"]["message"] == "edited"
        assert updated["version"]["authorId"] == emu.site.users["alice"].account_id
        assert updated["body"]["storage"]["value"] == "<p>new text</p>"
        again = await current(c, pid)
        assert again["version"]["number"] == 4
        assert again["version"]["createdAt"] > page["version"]["createdAt"]
        old = check_v2(
            await c.get(v2(f"/pages/{pid}"), params={"version": 3, "body-format": "storage"})
        )
        assert old["body"]["storage"]["value"] == page["body"]["storage"]["value"]


async def test_update_validation(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    async with client_for(emu, "alice") as c:
        page = await current(c, pid)
        for missing in ("status", "title", "body", "version", "id"):
            body = update_body(page, 2)
            del body[missing]
            assert missing in v2_error(await c.put(v2(f"/pages/{pid}"), json=body), 400)
        v2_error(await c.put(v2(f"/pages/{pid}"), json=update_body(page, 2, id="1")), 400)
        other_space = emu.site.spaces["PUB"].id
        moved = await c.put(v2(f"/pages/{pid}"), json=update_body(page, 2, spaceId=other_space))
        assert "space" in v2_error(moved, 400)
        same_space = update_body(page, 2, spaceId=emu.site.spaces["ENG"].id)
        check_v2(await c.put(v2(f"/pages/{pid}"), json=same_space))
        wiki = update_body(page, 3, body={"representation": "wiki", "value": "h1. x"})
        v2_error(await c.put(v2(f"/pages/{pid}"), json=wiki), 400)
        v2_error(await c.put(v2("/pages/999999"), json=update_body(page, 3, id="999999")), 404)


async def test_update_permissions(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    rollback = page_id(emu, "Rollback")
    async with client_for(emu, "carol") as c:
        page = await current(c, secret)
    async with client_for(emu, "dave") as c:
        hidden = await c.put(v2(f"/pages/{secret}"), json=update_body(page, 2))
        v2_error(hidden, 404)
    emu.site.content[rollback].restrictions["update"].users.add("carol")
    async with client_for(emu, "dave") as c:
        page = await current(c, rollback)
        v2_error(await c.put(v2(f"/pages/{rollback}"), json=update_body(page, 2)), 403)


async def test_move_within_the_space_with_parent_id(emu: Emulator) -> None:
    rollback = page_id(emu, "Rollback")
    home = page_id(emu, "Engineering Home")
    moves: list[str] = []
    emu.site.listeners.append(lambda e, content, user: moves.append(e) if "moved" in e else None)
    async with client_for(emu, "alice") as c:
        page = await current(c, rollback)
        moved = check_v2(
            await c.put(v2(f"/pages/{rollback}"), json=update_body(page, 2, parentId=home))
        )
        assert moved["parentId"] == home
        up = check_v2(await c.get(v2(f"/pages/{rollback}/ancestors")))
        assert [a["id"] for a in up["results"]] == [home]
        loop = update_body(moved, 3, parentId=rollback)
        v2_error(await c.put(v2(f"/pages/{rollback}"), json=loop), 400)
    assert moves == ["page_moved"]


async def test_title_endpoint_makes_a_new_version(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    async with client_for(emu, "dave") as c:
        body = check_v2(
            await c.put(v2(f"/pages/{pid}/title"), json={"status": "current", "title": "Undo"})
        )
        assert body["title"] == "Undo"
        assert body["version"]["number"] == 2
        assert body["_links"]["webui"].endswith("/Undo")
        page = await current(c, pid)
        assert page["body"]["storage"]["value"] == "<p>Use <code>make rollback</code>.</p>"
        v2_error(await c.put(v2(f"/pages/{pid}/title"), json={"title": "No status"}), 400)


async def test_trash_restore_purge_cycle(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    eng = emu.site.spaces["ENG"].id
    async with client_for(emu, "dave") as dave, client_for(emu, "alice") as alice:
        page = await current(dave, pid)
        v2_error(await dave.delete(v2(f"/pages/{pid}"), params={"purge": "true"}), 400)
        check_v2(await dave.delete(v2(f"/pages/{pid}")), 204)
        v2_error(await dave.get(v2(f"/pages/{pid}")), 404)
        v2_error(await dave.delete(v2(f"/pages/{pid}")), 404)
        trashed = check_v2(await dave.get(v2(f"/pages/{pid}"), params={"status": "trashed"}))
        assert trashed["status"] == "trashed"
        listing = check_v2(await dave.get(v2(f"/spaces/{eng}/pages")))
        assert pid not in [p["id"] for p in listing["results"]]
        trash = check_v2(await dave.get(v2(f"/spaces/{eng}/pages"), params={"status": "trashed"}))
        assert [p["id"] for p in trash["results"]] == [pid]
        # restore: status current on a trashed page; the body is unchanged
        restored = check_v2(await dave.put(v2(f"/pages/{pid}"), json=update_body(page, 2)))
        assert restored["status"] == "current"
        assert restored["body"]["storage"]["value"] == page["body"]["storage"]["value"]
        assert restored["version"]["number"] == page["version"]["number"]
        check_v2(await dave.get(v2(f"/pages/{pid}")))
        # trash again and purge: space admins only
        check_v2(await dave.delete(v2(f"/pages/{pid}")), 204)
        v2_error(await dave.delete(v2(f"/pages/{pid}"), params={"purge": "true"}), 403)
        check_v2(await alice.delete(v2(f"/pages/{pid}"), params={"purge": "true"}), 204)
        v2_error(await alice.get(v2(f"/pages/{pid}"), params={"status": "trashed"}), 404)
    assert pid not in emu.site.content


async def test_drafts_need_get_draft_and_are_discarded_outright(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    async with client_for(emu, "dave") as c:
        draft = check_v2(
            await c.post(v2("/pages"), json={"spaceId": eng, "status": "draft", "title": "WIP"})
        )
        assert draft["status"] == "draft"
        v2_error(await c.get(v2(f"/pages/{draft['id']}")), 404)
        seen = check_v2(await c.get(v2(f"/pages/{draft['id']}"), params={"get-draft": "true"}))
        assert seen["status"] == "draft"
        listing = check_v2(await c.get(v2("/pages"), params={"title": "WIP"}))
        assert listing["results"] == []
        v2_error(await c.delete(v2(f"/pages/{draft['id']}")), 404)
        check_v2(await c.delete(v2(f"/pages/{draft['id']}"), params={"draft": "true"}), 204)
    assert draft["id"] not in emu.site.content


async def test_publishing_a_draft(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    async with client_for(emu, "dave") as c:
        draft = check_v2(
            await c.post(v2("/pages"), json={"spaceId": eng, "status": "draft", "title": "Soon"})
        )
        published = check_v2(await c.put(v2(f"/pages/{draft['id']}"), json=update_body(draft, 2)))
        assert published["status"] == "current"
        check_v2(await c.get(v2(f"/pages/{draft['id']}")))
        back = await c.put(
            v2(f"/pages/{draft['id']}"), json=update_body(published, 3, status="draft")
        )
        v2_error(back, 400)


async def test_blogpost_writes(emu: Emulator) -> None:
    eng = emu.site.spaces["ENG"].id
    async with client_for(emu, "alice") as c:
        post = check_v2(
            await c.post(
                v2("/blogposts"),
                json={
                    "spaceId": eng,
                    "title": "Release 1.1",
                    "body": {"representation": "storage", "value": "<p>More.</p>"},
                },
            )
        )
        bid = post["id"]
        stale = await c.put(v2(f"/blogposts/{bid}"), json=update_body(post, 1))
        assert "updating a blog post. Current Version: [1]" in v2_error(stale, 409)
        updated = check_v2(await c.put(v2(f"/blogposts/{bid}"), json=update_body(post, 2)))
        assert updated["version"]["number"] == 2
        check_v2(await c.delete(v2(f"/blogposts/{bid}")), 204)
        v2_error(await c.get(v2(f"/blogposts/{bid}")), 404)
        check_v2(await c.get(v2(f"/blogposts/{bid}"), params={"status": "trashed"}))
        check_v2(await c.delete(v2(f"/blogposts/{bid}"), params={"purge": "true"}), 204)
        v2_error(await c.get(v2(f"/blogposts/{bid}"), params={"status": "trashed"}), 404)


async def test_writes_through_the_gateway(emu: Emulator) -> None:
    gw = f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2"
    pid = page_id(emu, "Rollback")
    async with client_for(emu, "alice") as c:
        page = check_v2(await c.get(f"{gw}/pages/{pid}"))
        updated = check_v2(await c.put(f"{gw}/pages/{pid}", json=update_body(page, 2)))
        assert updated["_links"]["base"] == f"http://wiki.test{gw.removesuffix('/api/v2')}"


async def test_editing_an_archived_page_keeps_it_archived(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    emu.site.content[pid].status = "archived"
    async with client_for(emu, "alice") as c:
        page = await current(c, pid)
        assert page["status"] == "archived"
        updated = check_v2(await c.put(v2(f"/pages/{pid}"), json=update_body(page, 2)))
        assert updated["status"] == "archived"
        assert updated["version"]["number"] == 2
