"""The emulator's classic v1 content surface, in both flavours (DC also under /confluence)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_kit import BASE, check_v1, client_for, make_emulator, page_id, v1

from radex.confluence.emulator.app import Emulator

FLAVOURS = [("cloud", ""), ("dc", ""), ("dc", "/confluence")]


@pytest.fixture(params=FLAVOURS, ids=["cloud", "dc", "dc-ctx"])
def emu(request: pytest.FixtureRequest) -> Emulator:
    """An emulator per flavour: Cloud, DC at the root, DC under /confluence."""
    flavor, context = request.param
    if flavor == "dc":
        return make_emulator("dc", context_path=context)
    return make_emulator("cloud")


def root(emu: Emulator) -> str:
    """The expected ``_links.base``."""
    return BASE + ("/wiki" if emu.config.flavor == "cloud" else emu.config.context_path)


def not_found(emu: Emulator, cid: str) -> str:
    """The flavour's 404 message for content."""
    sep = " :" if emu.config.flavor == "cloud" else ":"
    return f"No content found with id{sep} ContentId{{id={cid}}}"


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert a v1 error body and return it."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == status
    assert body["data"]["successful"] is False
    return body


# ---- spaces ----------------------------------------------------------------------------------


async def test_list_spaces_filters_and_pages(emu: Emulator) -> None:
    async with client_for(emu, "carol") as c:
        body = check_v1(emu, await c.get(v1(emu, "/space")))
        assert [s["key"] for s in body["results"]] == ["ENG", "OPS", "PUB"]
        assert all(isinstance(s["id"], int) for s in body["results"])
        assert body["_links"]["base"] == root(emu)
        assert "next" not in body["_links"]
        first = check_v1(emu, await c.get(v1(emu, "/space"), params={"limit": 2}))
        assert [s["key"] for s in first["results"]] == ["ENG", "OPS"]
        assert first["_links"]["next"] == "/rest/api/space?limit=2&start=2"
        last = check_v1(emu, await c.get(first["_links"]["base"] + first["_links"]["next"]))
        assert [s["key"] for s in last["results"]] == ["PUB"]
        assert "next" not in last["_links"]
        assert last["size"] == 1
        keys: list[tuple[str, str | int | float | bool | None]] = [
            ("spaceKey", "ENG"),
            ("spaceKey", "PUB"),
        ]
        two = check_v1(emu, await c.get(v1(emu, "/space"), params=keys))
        assert [s["key"] for s in two["results"]] == ["ENG", "PUB"]
        typed = check_v1(emu, await c.get(v1(emu, "/space"), params={"type": "personal"}))
        assert typed["results"] == []
        error(await c.get(v1(emu, "/space"), params={"type": "bogus"}), 400)
    async with client_for(emu, "alice") as c:
        body = check_v1(emu, await c.get(v1(emu, "/space")))
        assert [s["key"] for s in body["results"]] == ["ENG", "PUB"]


async def test_limit_zero_and_negative(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        zero = check_v1(emu, await c.get(v1(emu, "/space"), params={"limit": 0}))
        assert "next" not in zero["_links"]  # a next link with limit 0 would never advance
        assert zero["results"] == []
        assert zero["limit"] == 0
        assert zero["size"] == 0
        error(await c.get(v1(emu, "/space"), params={"limit": -1}), 400)
        error(await c.get(v1(emu, "/space"), params={"start": -3}), 400)
        capped = check_v1(emu, await c.get(v1(emu, "/space"), params={"limit": 100000}))
        assert capped["limit"] == (250 if emu.config.flavor == "cloud" else 500)


async def test_get_space_with_expansions(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        params = {"expand": "description.plain,homepage,permissions"}
        body = check_v1(emu, await c.get(v1(emu, "/space/ENG"), params=params))
        assert body["description"]["plain"]["value"] == "How we build things."
        assert body["homepage"]["title"] == "Engineering Home"
        ops = {
            (p["operation"]["operation"], p["operation"]["targetType"]) for p in body["permissions"]
        }
        assert ("read", "space") in ops
        assert ("administer", "space") in ops
        assert body["_links"]["base"] == root(emu)
        webui = "/spaces/ENG" if emu.config.flavor == "cloud" else "/display/ENG"
        assert body["_links"]["webui"] == webui
        plain = check_v1(emu, await c.get(v1(emu, "/space/ENG")))
        assert "description" in plain["_expandable"]
        assert "homepage" not in plain
        missing = error(await c.get(v1(emu, "/space/OPS")), 404)
        assert missing["message"] == "No space with key : OPS"
        nope = error(await c.get(v1(emu, "/space/ENG/permission")), 405)
        assert nope["message"] == "Method Not Allowed"


async def test_space_content_collections(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        both = check_v1(emu, await c.get(v1(emu, "/space/ENG/content")))
        titles = [p["title"] for p in both["page"]["results"]]
        assert titles == ["Engineering Home", "Deployment guide", "Rollback"]
        assert [b["title"] for b in both["blogpost"]["results"]] == ["Release 1.0 shipped"]
        roots = check_v1(
            emu, await c.get(v1(emu, "/space/ENG/content/page"), params={"depth": "root"})
        )
        assert [p["title"] for p in roots["results"]] == ["Engineering Home"]
        paged = check_v1(emu, await c.get(v1(emu, "/space/ENG/content/page"), params={"limit": 2}))
        assert paged["size"] == 2
        assert paged["_links"]["next"].endswith("limit=2&start=2")
        error(await c.get(v1(emu, "/space/ENG/content/comment")), 400)
    async with client_for(emu, "carol") as c:
        everything = check_v1(emu, await c.get(v1(emu, "/space/ENG/content/page")))
        assert len(everything["results"]) == 5


# ---- content reads ---------------------------------------------------------------------------


async def test_list_content_respects_restrictions_and_filters(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        body = check_v1(
            emu,
            await c.get(
                v1(emu, "/content"),
                params={"spaceKey": "ENG", "type": "page", "expand": "body.storage,version"},
            ),
        )
        titles = [p["title"] for p in body["results"]]
        assert titles == ["Engineering Home", "Deployment guide", "Rollback"]
        assert all(isinstance(p["id"], str) for p in body["results"])
        assert body["results"][1]["body"]["storage"]["value"].startswith("<h1>Deploying</h1>")
        assert body["results"][1]["version"]["number"] == 3
        one = check_v1(
            emu, await c.get(v1(emu, "/content"), params={"spaceKey": "ENG", "title": "Rollback"})
        )
        assert [p["title"] for p in one["results"]] == ["Rollback"]
        assert "body" not in one["results"][0]
        assert "body" in one["results"][0]["_expandable"]
        blogs = check_v1(
            emu,
            await c.get(
                v1(emu, "/content"),
                params={"spaceKey": "ENG", "type": "blogpost", "postingDay": "2025-05-01"},
            ),
        )
        assert [b["title"] for b in blogs["results"]] == ["Release 1.0 shipped"]
        error(await c.get(v1(emu, "/content"), params={"type": "widget"}), 400)
        error(await c.get(v1(emu, "/content"), params={"status": "sideways"}), 400)
    async with client_for(emu, "carol") as c:
        body = check_v1(emu, await c.get(v1(emu, "/content"), params={"spaceKey": "ENG"}))
        assert "Incident secrets" in [p["title"] for p in body["results"]]


async def test_get_content_default_expansions_and_links(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        body = check_v1(emu, await c.get(v1(emu, f"/content/{pid}")))
    assert body["id"] == pid
    assert body["type"] == "page"
    assert body["status"] == "current"
    links = body["_links"]
    assert links["self"] == f"{root(emu)}/rest/api/content/{pid}"
    assert links["base"] == root(emu)
    assert links["tinyui"].startswith("/x/")
    if emu.config.flavor == "cloud":
        assert body["space"]["key"] == "ENG"
        assert body["version"]["number"] == 3
        assert body["history"]["createdBy"]["accountId"] == emu.site.users["alice"].account_id
        assert "username" not in body["history"]["createdBy"]
        assert links["webui"] == f"/spaces/ENG/pages/{pid}/Deployment+guide"
        assert body["_links"]["context"] == "/wiki"
    else:
        assert "space" not in body
        assert "version" not in body
        assert body["_expandable"]["space"] == "/rest/api/space/ENG"
        assert links["webui"] == "/display/ENG/Deployment+guide"
        assert body["_links"]["context"] == emu.config.context_path


async def test_body_expansions_accept_value_suffix(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        params = {"expand": "body.export_view.value,body.storage"}
        body = check_v1(emu, await c.get(v1(emu, f"/content/{pid}"), params=params))
    assert "Freeze on Fridays." in body["body"]["export_view"]["value"]
    assert body["body"]["storage"]["value"].startswith("<h1>Deploying</h1>")
    assert "view" not in body["body"]


async def test_identity_style_per_flavour(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        params = {"expand": "version,history.lastUpdated"}
        body = check_v1(emu, await c.get(v1(emu, f"/content/{pid}"), params=params))
    by = body["version"]["by"]
    dave = emu.site.users["dave"]
    assert by["type"] == "known"
    assert by["displayName"] == "Dave Diaz"
    if emu.config.flavor == "cloud":
        assert by["accountId"] == dave.account_id
        assert by["email"] == dave.email
        assert "username" not in by
        assert "userKey" not in by
        assert by["profilePicture"]["path"].startswith("/wiki/")
    else:
        assert by["username"] == "dave"
        assert by["userKey"] == dave.user_key
        assert "accountId" not in by
        assert by["profilePicture"]["path"].startswith(emu.config.context_path + "/images/")


async def test_forbidden_content_is_404_with_flavour_message(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    roster = page_id(emu, "On-call roster")
    async with client_for(emu, "alice") as c:
        for cid in (secret, roster, "999999"):
            body = error(await c.get(v1(emu, f"/content/{cid}")), 404)
            assert body["message"] == not_found(emu, cid)
    async with client_for(emu, "carol") as c:
        assert (await c.get(v1(emu, f"/content/{roster}"))).status_code == 200


async def test_historical_version_and_ancestors(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    rollback = page_id(emu, "Rollback")
    async with client_for(emu, "alice") as c:
        old = check_v1(
            emu,
            await c.get(
                v1(emu, f"/content/{pid}"),
                params={"status": "historical", "version": 1, "expand": "body.storage,version"},
            ),
        )
        assert old["status"] == "historical"
        assert old["body"]["storage"]["value"] == "<p>first draft</p>"
        assert old["version"]["number"] == 1
        error(await c.get(v1(emu, f"/content/{pid}"), params={"version": 9}), 404)
        anc = check_v1(
            emu, await c.get(v1(emu, f"/content/{rollback}"), params={"expand": "ancestors"})
        )
        assert [a["title"] for a in anc["ancestors"]] == ["Engineering Home", "Deployment guide"]


async def test_sub_expansion_limit_on_cloud() -> None:
    emu = make_emulator("cloud")
    pid = page_id(emu, "Rollback")
    deep = "children.page.children.page.children.page.children.page.version"
    async with client_for(emu, "alice") as c:
        body = error(await c.get(v1(emu, f"/content/{pid}"), params={"expand": deep}), 400)
        assert "sub-expansions" in body["message"]
        ok = await c.get(v1(emu, f"/content/{pid}"), params={"expand": "children.page.version"})
        assert ok.status_code == 200


async def test_history_and_versions(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        hist = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/history")))
        assert hist["latest"] is True
        assert hist["lastUpdated"]["number"] == 3
        assert hist["previousVersion"]["number"] == 2
        assert hist["createdDate"] == "2025-02-01T10:00:00.000Z"
        versions = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/version")))
        assert [v["number"] for v in versions["results"]] == [3, 2, 1]
        assert versions["limit"] == 200
        assert "next" not in versions["_links"]
        page1 = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/version"), params={"limit": 1}))
        assert page1["_links"]["next"] == f"/rest/api/content/{pid}/version?limit=1&start=1"
        two = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/version/2")))
        assert two["number"] == 2
        assert two["message"] == ""
        error(await c.get(v1(emu, f"/content/{pid}/version/7")), 404)


# ---- hierarchy -------------------------------------------------------------------------------


async def test_children_and_descendants(emu: Emulator) -> None:
    home = page_id(emu, "Engineering Home")
    guide = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        buckets = check_v1(emu, await c.get(v1(emu, f"/content/{home}/child")))
        assert set(buckets["_expandable"]) == {"attachment", "comment", "page"}
        expanded = check_v1(
            emu, await c.get(v1(emu, f"/content/{home}/child"), params={"expand": "page"})
        )
        assert [p["title"] for p in expanded["page"]["results"]] == ["Deployment guide"]
        pages = check_v1(emu, await c.get(v1(emu, f"/content/{home}/child/page")))
        assert [p["title"] for p in pages["results"]] == ["Deployment guide"]
        top = check_v1(emu, await c.get(v1(emu, f"/content/{guide}/child/comment")))
        assert [cm["type"] for cm in top["results"]] == ["comment"]
        assert top["results"][0]["extensions"]["location"] == "footer"
        params = {"depth": "all", "expand": "ancestors,container"}
        every = check_v1(
            emu, await c.get(v1(emu, f"/content/{guide}/child/comment"), params=params)
        )
        first, reply = every["results"]
        assert first["ancestors"] == []  # a comment's ancestors are its parent comments
        assert [a["id"] for a in reply["ancestors"]] == [first["id"]]
        assert reply["container"]["id"] == guide
        inline = check_v1(
            emu,
            await c.get(v1(emu, f"/content/{guide}/child/comment"), params={"location": "inline"}),
        )
        assert inline["results"] == []
        desc = check_v1(emu, await c.get(v1(emu, f"/content/{home}/descendant/page")))
        assert [p["title"] for p in desc["results"]] == ["Deployment guide", "Rollback"]
        root_only = check_v1(
            emu,
            await c.get(v1(emu, f"/content/{home}/descendant/page"), params={"depth": "root"}),
        )
        assert [p["title"] for p in root_only["results"]] == ["Deployment guide"]
        mapped = check_v1(
            emu,
            await c.get(v1(emu, f"/content/{home}/descendant"), params={"expand": "attachment"}),
        )
        names = [a["title"] for a in mapped["attachment"]["results"]]
        assert names == ["checklist.txt", "diagram.png"]
        error(await c.get(v1(emu, f"/content/{home}/child/widget")), 400)
        error(await c.get(v1(emu, f"/content/{home}/descendant/page"), params={"depth": "0"}), 400)
    async with client_for(emu, "carol") as c:
        pages = check_v1(emu, await c.get(v1(emu, f"/content/{home}/child/page")))
        assert [p["title"] for p in pages["results"]] == ["Deployment guide", "Incident secrets"]


# ---- writes ----------------------------------------------------------------------------------


async def test_create_page_child_and_comment(emu: Emulator) -> None:
    home = page_id(emu, "Engineering Home")
    async with client_for(emu, "alice") as c:
        created = await c.post(
            v1(emu, "/content"),
            json={
                "type": "page",
                "title": "Runbooks",
                "space": {"key": "ENG"},
                "ancestors": [{"id": home}],
                "body": {"storage": {"value": "<p>All runbooks.</p>", "representation": "storage"}},
            },
        )
        assert created.status_code == 200
        page = check_v1(emu, created, "POST")
        assert page["version"]["number"] == 1
        assert page["space"]["key"] == "ENG"
        assert [a["id"] for a in page["ancestors"]] == [home]
        assert page["body"]["storage"]["value"] == "<p>All runbooks.</p>"
        dup = await c.post(
            v1(emu, "/content"),
            json={"type": "page", "title": "Runbooks", "space": {"key": "ENG"}},
        )
        body = error(dup, 400)
        assert body["message"] == (
            "A page with this title already exists: A page already exists with the title "
            "Runbooks in this space"
        )
        comment = await c.post(
            v1(emu, "/content"),
            json={
                "type": "comment",
                "container": {"id": page["id"], "type": "page"},
                "body": {"storage": {"value": "<p>Nice.</p>", "representation": "storage"}},
            },
        )
        made = check_v1(emu, comment, "POST")
        assert made["type"] == "comment"
        assert made["container"]["id"] == page["id"]
        error(
            await c.post(v1(emu, "/content"), json={"type": "page", "title": "X", "space": {}}),
            400,
        )
        wiki = await c.post(
            v1(emu, "/content"),
            json={
                "type": "page",
                "title": "Wiki",
                "space": {"key": "ENG"},
                "body": {"wiki": {"value": "h1. x", "representation": "wiki"}},
            },
        )
        assert "storage" in error(wiki, 400)["message"]
    async with client_for(emu, "bob") as c:
        hidden = await c.post(
            v1(emu, "/content"), json={"type": "page", "title": "Hi", "space": {"key": "ENG"}}
        )
        assert error(hidden, 404)["message"] == "No space with key : ENG"
    async with client_for(emu, "alice") as c:
        denied = await c.post(
            v1(emu, "/content"), json={"type": "page", "title": "Hi", "space": {"key": "PUB"}}
        )
        error(denied, 403)


async def test_update_version_rule_move_and_space_change(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    home = page_id(emu, "Engineering Home")
    async with client_for(emu, "carol") as c:
        stale = await c.put(
            v1(emu, f"/content/{pid}"),
            json={"type": "page", "title": "Rollback", "version": {"number": 1}},
        )
        assert error(stale, 409)["message"] == (
            "Version must be incremented on update. Current version is: 1"
        )
        missing = await c.put(v1(emu, f"/content/{pid}"), json={"type": "page", "title": "R"})
        assert "incremented version" in error(missing, 400)["message"]
        updated = await c.put(
            v1(emu, f"/content/{pid}"),
            json={
                "type": "page",
                "title": "Rollback plan",
                "version": {"number": 2, "message": "rename"},
                "ancestors": [{"id": home}],
                "body": {"storage": {"value": "<p>v2</p>", "representation": "storage"}},
            },
        )
        page = check_v1(emu, updated, "PUT")
        assert page["title"] == "Rollback plan"
        assert page["version"]["number"] == 2
        assert page["version"]["message"] == "rename"
        assert [a["id"] for a in page["ancestors"]] == [home]
        moved = await c.put(
            v1(emu, f"/content/{pid}"),
            json={
                "type": "page",
                "title": "Rollback plan",
                "version": {"number": 3},
                "space": {"key": "OPS"},
            },
        )
        page = check_v1(emu, moved, "PUT")
        assert page["space"]["key"] == "OPS"
        assert page["ancestors"] == []
    async with client_for(emu, "alice") as c:
        error(await c.get(v1(emu, f"/content/{pid}")), 404)  # alice cannot see OPS


async def test_trash_restore_purge(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    comment = next(c.id for c in emu.site.content.values() if c.type == "comment")
    async with client_for(emu, "dave") as c:
        assert (await c.delete(v1(emu, f"/content/{pid}"))).status_code == 204
        error(await c.get(v1(emu, f"/content/{pid}")), 404)
        trashed = check_v1(
            emu, await c.get(v1(emu, f"/content/{pid}"), params={"status": "trashed"})
        )
        assert trashed["status"] == "trashed"
        listed = check_v1(
            emu,
            await c.get(v1(emu, "/content"), params={"spaceKey": "ENG", "status": "trashed"}),
        )
        assert [p["id"] for p in listed["results"]] == [pid]
        error(await c.delete(v1(emu, f"/content/{pid}"), params={"status": "trashed"}), 403)
        restored = await c.put(
            v1(emu, f"/content/{pid}"),
            json={
                "type": "page",
                "title": "Rollback",
                "status": "current",
                "version": {"number": 2},
            },
        )
        assert check_v1(emu, restored, "PUT")["status"] == "current"
        assert (await c.delete(v1(emu, f"/content/{comment}"))).status_code == 204
        gone = await c.get(v1(emu, f"/content/{comment}"), params={"status": "any"})
        error(gone, 404)
        assert (await c.delete(v1(emu, f"/content/{pid}"))).status_code == 204
    async with client_for(emu, "alice") as c:  # space admin purges
        purge = await c.delete(v1(emu, f"/content/{pid}"), params={"status": "trashed"})
        assert purge.status_code == 204
        error(await c.get(v1(emu, f"/content/{pid}"), params={"status": "any"}), 404)
    assert pid not in emu.site.content


# ---- labels ----------------------------------------------------------------------------------


async def test_labels_round_trip(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        labels = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/label")))
        assert labels["limit"] == 200
        assert [(lab["prefix"], lab["name"], lab["label"]) for lab in labels["results"]] == [
            ("global", "deploy", "deploy"),
            ("global", "runbook", "runbook"),
        ]
        assert all(isinstance(lab["id"], str) for lab in labels["results"])
        added = await c.post(
            v1(emu, f"/content/{pid}/label"),
            json=[{"prefix": "global", "name": "Ops"}, {"prefix": "global", "name": "deploy"}],
        )
        body = check_v1(emu, added, "POST")
        assert [lab["name"] for lab in body["results"]] == ["deploy", "runbook", "ops"]
        single = await c.post(v1(emu, f"/content/{pid}/label"), json={"name": "solo"})
        assert "solo" in [lab["name"] for lab in check_v1(emu, single, "POST")["results"]]
        bad = await c.post(v1(emu, f"/content/{pid}/label"), json=[{"name": "two words"}])
        error(bad, 400)
        toolong = await c.post(v1(emu, f"/content/{pid}/label"), json=[{"name": "x" * 256}])
        error(toolong, 400)
        assert (await c.delete(v1(emu, f"/content/{pid}/label/deploy"))).status_code == 204
        by_query = await c.delete(v1(emu, f"/content/{pid}/label"), params={"name": "runbook"})
        assert by_query.status_code == 204
        error(await c.delete(v1(emu, f"/content/{pid}/label/nothere")), 404)
        left = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/label")))
        assert [lab["name"] for lab in left["results"]] == ["ops", "solo"]
        mine = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/label"), params={"prefix": "my"}))
        assert mine["results"] == []
        meta = check_v1(
            emu, await c.get(v1(emu, f"/content/{pid}"), params={"expand": "metadata.labels"})
        )
        assert [lab["name"] for lab in meta["metadata"]["labels"]["results"]] == ["ops", "solo"]
    async with client_for(emu, "alice") as c:
        pub = page_id(emu, "Public Home")
        error(await c.post(v1(emu, f"/content/{pub}/label"), json=[{"name": "x"}]), 403)


# ---- deprecation -----------------------------------------------------------------------------


async def test_deprecated_reads_warn_on_cloud_only(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        read = await c.get(v1(emu, f"/content/{pid}/child/page"))
        write = await c.post(v1(emu, f"/content/{pid}/label"), json=[{"name": "x"}])
        history = await c.get(v1(emu, f"/content/{pid}/history"))
    if emu.config.flavor == "cloud":
        assert read.headers["Deprecation"]
        assert read.headers["Warning"].startswith("299 -")
    else:
        assert "Deprecation" not in read.headers
    assert "Deprecation" not in write.headers
    assert "Deprecation" not in history.headers


async def test_cloud_legacy_reads_can_be_gone() -> None:
    emu = make_emulator("cloud", legacy_v1="gone")
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        for path in ("/content", f"/content/{pid}", "/space", f"/content/{pid}/label"):
            assert error(await c.get(v1(emu, path)), 410)["statusCode"] == 410
        assert (await c.get(v1(emu, f"/content/{pid}/history"))).status_code == 200
    dc = make_emulator("dc", legacy_v1="gone")
    async with client_for(dc, "alice") as c:
        assert (await c.get(v1(dc, f"/content/{pid}"))).status_code == 200
