"""Cloud v2 comments, labels, attachments, versions, operations and users."""

from __future__ import annotations

import pytest
from emulator_kit import check_v2, client_for, make_emulator, page_id, v2, v2_error

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.files import render_attachment


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


async def test_footer_comments_replies_and_single_comment(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "dave") as c:
        top = check_v2(await c.get(v2(f"/pages/{pid}/footer-comments")))
        assert len(top["results"]) == 1
        comment = top["results"][0]
        assert comment["pageId"] == pid
        assert comment["body"] == {}
        assert comment["title"] == "Re: Deployment guide"
        assert comment["version"]["authorId"] == emu.site.users["bob"].account_id
        assert comment["_links"]["webui"].endswith(
            f"?focusedCommentId={comment['id']}#comment-{comment['id']}"
        )
        with_body = check_v2(
            await c.get(v2(f"/pages/{pid}/footer-comments"), params={"body-format": "storage"})
        )
        assert with_body["results"][0]["body"]["storage"]["value"] == "<p>Rollback step?</p>"
        replies = check_v2(
            await c.get(
                v2(f"/footer-comments/{comment['id']}/children"), params={"body-format": "storage"}
            )
        )
        assert [r["body"]["storage"]["value"] for r in replies["results"]] == ["<p>Added.</p>"]
        assert replies["results"][0]["parentCommentId"] == comment["id"]
        one = check_v2(
            await c.get(
                v2(f"/footer-comments/{replies['results'][0]['id']}"),
                params={"body-format": "view", "include-versions": "true"},
            )
        )
        assert one["pageId"] == pid
        assert one["parentCommentId"] == comment["id"]
        assert one["body"]["view"]["value"] == "<p>Added.</p>"
        assert one["_links"]["base"] == "http://wiki.test/wiki"
        assert [v["number"] for v in one["versions"]["results"]] == [1]
        v2_error(await c.get(v2(f"/footer-comments/{pid}")), 404)
        v2_error(await c.get(v2("/footer-comments/abc")), 400)
    async with client_for(emu, "bob") as c:
        v2_error(await c.get(v2(f"/footer-comments/{comment['id']}")), 404)
        v2_error(await c.get(v2(f"/pages/{pid}/footer-comments")), 404)


async def test_create_footer_comments(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    bid = page_id(emu, "Release 1.0 shipped")
    async with client_for(emu, "dave") as c:
        made = await c.post(
            v2("/footer-comments"),
            json={"pageId": pid, "body": {"representation": "storage", "value": "<p>Nice</p>"}},
        )
        comment = check_v2(made, 201)
        assert comment["pageId"] == pid
        assert comment["body"]["storage"]["value"] == "<p>Nice</p>"
        reply = check_v2(
            await c.post(
                v2("/footer-comments"),
                json={
                    "parentCommentId": comment["id"],
                    "body": {"storage": {"value": "<p>+1</p>"}},
                },
            ),
            201,
        )
        assert reply["parentCommentId"] == comment["id"]
        assert reply["pageId"] == pid
        on_blog = check_v2(
            await c.post(
                v2("/footer-comments"),
                json={
                    "blogPostId": bid,
                    "body": {"representation": "storage", "value": "<p>b</p>"},
                },
            ),
            201,
        )
        assert on_blog["blogPostId"] == bid
        blog_comments = check_v2(await c.get(v2(f"/blogposts/{bid}/footer-comments")))
        assert [x["id"] for x in blog_comments["results"]] == [on_blog["id"]]
        listed = check_v2(await c.get(v2(f"/pages/{pid}/footer-comments")))
        assert [x["id"] for x in listed["results"]] == [comment["id"]]
        v2_error(await c.post(v2("/footer-comments"), json={"body": {"value": "x"}}), 400)
        v2_error(await c.post(v2("/footer-comments"), json={"pageId": pid}), 400)
        secret = page_id(emu, "Incident secrets")
        hidden = await c.post(
            v2("/footer-comments"), json={"pageId": secret, "body": {"value": "<p>x</p>"}}
        )
        v2_error(hidden, 404)


async def test_labels_with_prefix_filter(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    bid = page_id(emu, "Release 1.0 shipped")
    async with client_for(emu, "dave") as c:
        labels = check_v2(await c.get(v2(f"/pages/{pid}/labels")))
        assert sorted((x["name"], x["prefix"]) for x in labels["results"]) == [
            ("deploy", "global"),
            ("runbook", "global"),
        ]
        assert all(x["id"].isdigit() for x in labels["results"])
        mine = check_v2(await c.get(v2(f"/pages/{pid}/labels"), params={"prefix": "my"}))
        assert mine["results"] == []
        by_name = check_v2(await c.get(v2(f"/pages/{pid}/labels"), params={"sort": "-name"}))
        assert [x["name"] for x in by_name["results"]] == ["runbook", "deploy"]
        one = check_v2(await c.get(v2(f"/pages/{pid}/labels"), params={"limit": 1}))
        rest = check_v2(await c.get(one["_links"]["next"]))
        assert {one["results"][0]["name"], rest["results"][0]["name"]} == {"deploy", "runbook"}
        assert "next" not in rest["_links"]
        blog = check_v2(await c.get(v2(f"/blogposts/{bid}/labels")))
        assert [x["name"] for x in blog["results"]] == ["release"]
        v2_error(await c.get(v2(f"/pages/{pid}/labels"), params={"prefix": "personal"}), 400)


async def test_attachments_list_filters_and_download_links(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    att = emu.site.content[page_id(emu, "diagram.png")]
    async with client_for(emu, "dave") as c:
        listing = check_v2(await c.get(v2(f"/pages/{pid}/attachments")))
        assert [a["title"] for a in listing["results"]] == ["checklist.txt", "diagram.png"]
        png = listing["results"][1]
        assert png["id"] == att.id
        assert png["id"].startswith("att")
        assert png["pageId"] == pid
        assert png["mediaType"] == "image/png"
        assert png["version"]["number"] == 2
        assert png["fileSize"] == len(render_attachment("png", "diagram.png", "Pipeline"))
        download = (
            f"/download/attachments/{pid}/diagram.png?version=2&modificationDate="
            f"{int(att.current.when.timestamp() * 1000)}&api=v2"
        )
        assert png["downloadLink"] == download
        assert png["_links"]["download"] == download
        assert png["webuiLink"].startswith(f"/pages/viewpageattachments.action?pageId={pid}")
        by_name = check_v2(
            await c.get(v2(f"/pages/{pid}/attachments"), params={"filename": "checklist.txt"})
        )
        assert [a["title"] for a in by_name["results"]] == ["checklist.txt"]
        by_type = check_v2(
            await c.get(v2(f"/pages/{pid}/attachments"), params={"mediaType": "image/png"})
        )
        assert [a["title"] for a in by_type["results"]] == ["diagram.png"]
        trashed = check_v2(
            await c.get(v2(f"/pages/{pid}/attachments"), params={"status": "trashed"})
        )
        assert trashed["results"] == []
        newest = check_v2(
            await c.get(v2(f"/pages/{pid}/attachments"), params={"sort": "-created-date"})
        )
        assert len(newest["results"]) == 2
        v2_error(await c.get(v2(f"/attachments/{att.id}"), params={"include-versions": "1x"}), 400)
        one = check_v2(
            await c.get(v2(f"/attachments/{att.id}"), params={"include-versions": "true"})
        )
        assert one["_links"]["base"] == "http://wiki.test/wiki"
        assert [v["number"] for v in one["versions"]["results"]] == [2, 1]
        digits = check_v2(await c.get(v2(f"/attachments/{att.id.removeprefix('att')}")))
        assert digits["id"] == att.id
        older = check_v2(await c.get(v2(f"/attachments/{att.id}"), params={"version": 1}))
        assert older["version"]["number"] == 1
        assert "version=1&" in older["downloadLink"]
        assert older["fileSize"] != png["fileSize"]
        v2_error(await c.get(v2("/attachments/file-1")), 400)
        v2_error(await c.get(v2("/attachments/att999999")), 404)
    async with client_for(emu, "bob") as c:
        v2_error(await c.get(v2(f"/attachments/{att.id}")), 404)
        v2_error(await c.get(v2(f"/pages/{pid}/attachments")), 404)


async def test_attachment_default_limit_is_50(emu: Emulator) -> None:
    from radex.confluence.emulator import ops

    pid = page_id(emu, "Rollback")
    page = emu.site.content[pid]
    for n in range(55):
        ops.put_attachment(
            emu.site, emu.site.users["alice"], page, filename=f"f{n}.txt", data=b"x" * n,
            media_type="text/plain",
        )  # fmt: skip
    async with client_for(emu, "alice") as c:
        first = check_v2(await c.get(v2(f"/pages/{pid}/attachments")))
        assert len(first["results"]) == 50
        assert "limit=50" in first["_links"]["next"]
        rest = check_v2(await c.get(first["_links"]["next"]))
        assert len(rest["results"]) == 5
        blog = page_id(emu, "Release 1.0 shipped")
        assert check_v2(await c.get(v2(f"/blogposts/{blog}/attachments")))["results"] == []


async def test_versions_list_single_and_body_cap(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "dave") as c:
        listing = check_v2(await c.get(v2(f"/pages/{pid}/versions")))
        assert [v["number"] for v in listing["results"]] == [3, 2, 1]
        assert listing["results"][0]["page"] == {"id": pid, "title": "Deployment guide"}
        oldest_first = check_v2(
            await c.get(
                v2(f"/pages/{pid}/versions"),
                params={"sort": "modified-date", "body-format": "storage"},
            )
        )
        assert [v["page"]["body"]["storage"]["value"] for v in oldest_first["results"]][:2] == [
            "<p>first draft</p>",
            "<p>second draft</p>",
        ]
        detail = check_v2(await c.get(v2(f"/pages/{pid}/versions/2")))
        assert detail["number"] == 2
        assert detail["prevVersion"] == 1
        assert detail["nextVersion"] == 3
        assert detail["authorId"] == emu.site.users["dave"].account_id
        first = check_v2(await c.get(v2(f"/pages/{pid}/versions/1")))
        assert "prevVersion" not in first
        v2_error(await c.get(v2(f"/pages/{pid}/versions/9")), 404)
        bid = page_id(emu, "Release 1.0 shipped")
        blog = check_v2(await c.get(v2(f"/blogposts/{bid}/versions")))
        assert blog["results"][0]["blogpost"]["id"] == bid
        check_v2(await c.get(v2(f"/blogposts/{bid}/versions/1")))
    page = emu.site.content[page_id(emu, "Rollback")]
    from radex.confluence.emulator import ops

    for n in range(2, 62):
        ops.update_content(emu.site, emu.site.users["alice"], page, version_number=n, body=f"v{n}")
    async with client_for(emu, "alice") as c:
        capped = check_v2(
            await c.get(
                v2(f"/pages/{page.id}/versions"), params={"limit": 200, "body-format": "storage"}
            )
        )
        assert len(capped["results"]) == 50
        assert "limit=50" in capped["_links"]["next"]
        plain = check_v2(await c.get(v2(f"/pages/{page.id}/versions"), params={"limit": 200}))
        assert len(plain["results"]) == 61
        assert "next" not in plain["_links"]


async def test_operations_reflect_the_callers_rights(emu: Emulator) -> None:
    pid = page_id(emu, "Incident secrets")
    async with client_for(emu, "carol") as c:
        ops = check_v2(await c.get(v2(f"/pages/{pid}/operations")))
        assert {"operation": "update", "targetType": "page"} in ops["operations"]
    async with client_for(emu, "alice") as c:
        v2_error(await c.get(v2(f"/pages/{pid}/operations")), 404)
    emu.site.content[page_id(emu, "Public Home")].restrictions["update"].users.add("carol")
    async with client_for(emu, "bob") as c:
        pub = check_v2(await c.get(v2(f"/pages/{page_id(emu, 'Public Home')}/operations")))
        assert pub["operations"] == [{"operation": "read", "targetType": "page"}]
        blog = page_id(emu, "Release 1.0 shipped")
        v2_error(await c.get(v2(f"/blogposts/{blog}/operations")), 404)
    async with client_for(emu, "dave") as c:
        blog_ops = check_v2(await c.get(v2(f"/blogposts/{blog}/operations")))
        assert {"operation": "delete", "targetType": "blogpost"} in blog_ops["operations"]


async def test_users_bulk(emu: Emulator) -> None:
    alice = emu.site.users["alice"]
    bob = emu.site.users["bob"]
    async with client_for(emu, "dave") as c:
        body = check_v2(
            await c.post(
                v2("/users-bulk"),
                json={"accountIds": [bob.account_id, alice.account_id, "nobody", bob.account_id]},
            )
        )
        assert [u["accountId"] for u in body["results"]] == [bob.account_id, alice.account_id]
        first = body["results"][0]
        assert first["displayName"] == "Bob Brown"
        assert first["publicName"] == "Bob Brown"
        assert first["email"] == "bob@example.com"
        assert first["accountType"] == "atlassian"
        assert first["accountStatus"] == "active"
        assert first["profilePicture"]["path"].endswith(bob.account_id)
        v2_error(await c.post(v2("/users-bulk"), json={"accountIds": []}), 400)
        v2_error(await c.post(v2("/users-bulk"), json={"accountIds": ["x"] * 251}), 400)
        v2_error(await c.post(v2("/users-bulk"), json={}), 400)
        v2_error(await c.post(v2("/users-bulk"), content=b"{not json"), 400)
