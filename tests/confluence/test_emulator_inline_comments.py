"""Inline comments: Cloud v2 endpoints, v1 location filters and extensions, CQL, fixture keys."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import httpx
import pytest
from emulator_kit import (
    SITE,
    check_v1,
    check_v2,
    client_for,
    make_emulator,
    page_id,
    v1,
    v2,
    v2_error,
)

from radex.confluence.emulator import build_site
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture
from radex.confluence.emulator.model import Content, Flavor, Site
from radex.errors import FixtureError

FLAVORS: tuple[Flavor, ...] = ("cloud", "dc")
REF_DEPLOY = "0d7e4b8a-2f61-4c9e-8a13-5b6c7d8e9f01"
REF_FREEZE = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REF_SHIPPED = "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f"
GUIDE_BODY = (
    f'<p>Run <ac:inline-comment-marker ac:ref="{REF_DEPLOY}"><code>make deploy</code>'
    "</ac:inline-comment-marker> after review.</p>"
    '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>'
    f'<ac:inline-comment-marker ac:ref="{REF_FREEZE}">Freeze on Fridays</ac:inline-comment-marker>.'
    "</p></ac:rich-text-body></ac:structured-macro>"
)


def _inline_fixture() -> dict[str, Any]:
    """SITE with three inline comments on "Deployment guide" (next to its footer comment) and
    one on the blog post."""
    fx = copy.deepcopy(SITE)
    eng = fx["spaces"][0]
    guide = eng["pages"][0]["children"][0]
    assert guide["title"] == "Deployment guide"
    guide["body"] = GUIDE_BODY
    guide["comments"] += [
        {
            "author": "carol",
            "created": "2025-03-07T09:00:00Z",
            "inline": "make deploy",
            "ref": REF_DEPLOY,
            "body": "<p>Is it not make release now?</p>",
            "replies": [
                {
                    "author": "dave",
                    "created": "2025-03-07T10:00:00Z",
                    "body": "<p>No, still make deploy.</p>",
                }
            ],
        },
        {
            "author": "dave",
            "created": "2025-03-08T09:00:00Z",
            "inline": "Freeze on Fridays",
            "ref": REF_FREEZE,
            "resolution": "resolved",
            "body": "<p>Only after 12:00.</p>",
        },
        {
            "author": "alice",
            "created": "2025-03-09T09:00:00Z",
            "inline": "after review",
            "resolution": "dangling",
            "body": "<p>Which review?</p>",
        },
    ]
    blog = eng["blogposts"][0]
    blog["body"] = (
        f'<p><ac:inline-comment-marker ac:ref="{REF_SHIPPED}">We shipped</ac:inline-comment-marker>'
        ".</p>"
    )
    blog["comments"] = [
        {
            "author": "carol",
            "created": "2025-05-02T09:00:00Z",
            "inline": "We shipped",
            "ref": REF_SHIPPED,
            "body": "<p>Which day exactly?</p>",
        }
    ]
    return fx


INLINE_SITE = _inline_fixture()


def by_body(site: Site, text: str) -> Content:
    """The comment whose body contains ``text``."""
    return next(c for c in site.content.values() if c.type == "comment" and text in c.body)


class Ids:
    """The ids of the fixture's comments."""

    def __init__(self, site: Site) -> None:
        self.guide = next(c.id for c in site.content.values() if c.title == "Deployment guide")
        self.blog = next(c.id for c in site.content.values() if c.title == "Release 1.0 shipped")
        self.footer = by_body(site, "Rollback step?").id
        self.footer_reply = by_body(site, "Added.").id
        self.deploy = by_body(site, "make release").id
        self.deploy_reply = by_body(site, "still make deploy").id
        self.freeze = by_body(site, "Only after 12:00").id
        self.dangling = by_body(site, "Which review?").id
        self.shipped = by_body(site, "Which day exactly?").id

    @property
    def on_guide(self) -> list[str]:
        """Every comment on the guide, in id order (footer thread, then the inline ones)."""
        return [
            self.footer,
            self.footer_reply,
            self.deploy,
            self.deploy_reply,
            self.freeze,
            self.dangling,
        ]


@pytest.fixture
def emu() -> Emulator:
    return make_emulator("cloud", fixture=INLINE_SITE)


def ids_of(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["results"]]


async def in_storage(c: httpx.AsyncClient, path: str) -> dict[str, Any]:
    """A v2 GET of ``path`` with storage bodies, checked."""
    return check_v2(await c.get(v2(path), params={"body-format": "storage"}))


# ---- Cloud v2 ---------------------------------------------------------------------------------


async def test_v2_page_inline_comments_list(emu: Emulator) -> None:
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        listed = await in_storage(c, f"/pages/{ids.guide}/inline-comments")
        assert ids_of(listed) == [ids.deploy, ids.freeze, ids.dangling]
        first = listed["results"][0]
        assert first == {
            "id": ids.deploy,
            "status": "current",
            "title": "Re: Deployment guide",
            "pageId": ids.guide,
            "version": {
                "createdAt": "2025-03-07T09:00:00.000Z",
                "message": "",
                "number": 1,
                "minorEdit": False,
                "authorId": emu.site.users["carol"].account_id,
            },
            "body": {
                "storage": {
                    "representation": "storage",
                    "value": "<p>Is it not make release now?</p>",
                }
            },
            "resolutionStatus": "open",
            "properties": {"inlineMarkerRef": REF_DEPLOY, "inlineOriginalSelection": "make deploy"},
            "_links": {
                "webui": f"/spaces/ENG/pages/{ids.guide}/Deployment+guide"
                f"?focusedCommentId={ids.deploy}#comment-{ids.deploy}"
            },
        }
        by_id = {item["id"]: item for item in listed["results"]}
        assert by_id[ids.freeze]["resolutionStatus"] == "resolved"
        assert by_id[ids.dangling]["resolutionStatus"] == "dangling"
        derived = by_id[ids.dangling]["properties"]["inlineMarkerRef"]
        assert str(uuid.UUID(derived)) == derived
        assert derived not in (REF_DEPLOY, REF_FREEZE)
        newest = check_v2(
            await c.get(v2(f"/pages/{ids.guide}/inline-comments"), params={"sort": "-created-date"})
        )
        assert ids_of(newest) == [ids.dangling, ids.freeze, ids.deploy]
        assert newest["results"][0]["body"] == {}
        one = check_v2(await c.get(v2(f"/pages/{ids.guide}/inline-comments"), params={"limit": 1}))
        assert ids_of(one) == [ids.deploy]
        rest = check_v2(await c.get(one["_links"]["next"]))
        assert ids_of(rest) == [ids.freeze]


async def test_v2_resolution_and_status_filters(emu: Emulator) -> None:
    ids = Ids(emu.site)
    url = v2(f"/pages/{ids.guide}/inline-comments")
    async with client_for(emu, "dave") as c:
        resolved = check_v2(await c.get(url, params={"resolution-status": "resolved"}))
        assert ids_of(resolved) == [ids.freeze]
        comma = check_v2(await c.get(url, params={"resolution-status": "open,dangling"}))
        assert ids_of(comma) == [ids.deploy, ids.dangling]
        repeated = check_v2(
            await c.get(
                url, params=[("resolution-status", "dangling"), ("resolution-status", "open")]
            )
        )
        assert ids_of(repeated) == [ids.deploy, ids.dangling]
        reopened = check_v2(await c.get(url, params={"resolution-status": "reopened"}))
        assert reopened["results"] == []
        title = v2_error(await c.get(url, params={"resolution-status": "closed"}), 400)
        assert "resolution-status" in title
        assert "closed" in title
        trashed = check_v2(await c.get(url, params={"status": "trashed"}))
        assert trashed["results"] == []
        v2_error(await c.get(url, params={"status": "bogus"}), 400)
        v2_error(await c.get(url, params={"sort": "title"}), 400)


async def test_v2_blogpost_inline_comments(emu: Emulator) -> None:
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        blog = check_v2(await c.get(v2(f"/blogposts/{ids.blog}/inline-comments")))
        assert ids_of(blog) == [ids.shipped]
        item = blog["results"][0]
        assert item["blogPostId"] == ids.blog
        assert "pageId" not in item
        assert item["properties"] == {
            "inlineMarkerRef": REF_SHIPPED,
            "inlineOriginalSelection": "We shipped",
        }
        footer = check_v2(await c.get(v2(f"/blogposts/{ids.blog}/footer-comments")))
        assert footer["results"] == []
        v2_error(await c.get(v2(f"/pages/{ids.blog}/inline-comments")), 404)
        v2_error(await c.get(v2(f"/blogposts/{ids.guide}/inline-comments")), 404)
        v2_error(
            await c.get(
                v2(f"/blogposts/{ids.blog}/inline-comments"), params={"status": "archived"}
            ),
            400,
        )
        v2_error(await c.get(v2("/blogposts/abc/inline-comments")), 400)
    async with client_for(emu, "bob") as c:  # bob cannot see ENG
        v2_error(await c.get(v2(f"/blogposts/{ids.blog}/inline-comments")), 404)


async def test_v2_footer_and_inline_are_separate(emu: Emulator) -> None:
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        footer = check_v2(await c.get(v2(f"/pages/{ids.guide}/footer-comments")))
        assert ids_of(footer) == [ids.footer]
        assert "resolutionStatus" not in footer["results"][0]
        assert "properties" not in footer["results"][0]
        for inline in (ids.deploy, ids.deploy_reply, ids.freeze):
            v2_error(await c.get(v2(f"/footer-comments/{inline}")), 404)
            v2_error(await c.get(v2(f"/footer-comments/{inline}/children")), 404)
        for footer_id in (ids.footer, ids.footer_reply):
            v2_error(await c.get(v2(f"/inline-comments/{footer_id}")), 404)
            v2_error(await c.get(v2(f"/inline-comments/{footer_id}/children")), 404)
        v2_error(await c.get(v2(f"/inline-comments/{ids.guide}")), 404)
        v2_error(await c.get(v2("/inline-comments/abc")), 400)
        assert (await c.get(v2(f"/footer-comments/{ids.footer}"))).status_code == 200
        reply = await c.post(
            v2("/footer-comments"),
            json={"parentCommentId": ids.deploy, "body": {"value": "<p>footer reply?</p>"}},
        )
        v2_error(reply, 404)


async def test_v2_single_inline_comment(emu: Emulator) -> None:
    ids = Ids(emu.site)
    params = {
        "body-format": "view",
        "include-properties": "true",
        "include-versions": "true",
        "include-operations": "true",
        "include-likes": "true",
    }
    async with client_for(emu, "dave") as c:
        one = check_v2(await c.get(v2(f"/inline-comments/{ids.deploy}"), params=params))
        assert one["pageId"] == ids.guide
        assert "parentCommentId" not in one
        assert one["body"]["view"]["value"] == "<p>Is it not make release now?</p>"
        assert one["resolutionStatus"] == "open"
        assert "resolutionLastModifierId" not in one
        assert "resolutionLastModifiedAt" not in one
        assert one["properties"] == {
            "results": [],
            "meta": {"hasMore": False},
            "_links": {"self": f"/wiki/api/v2/inline-comments/{ids.deploy}/properties"},
            "inlineMarkerRef": REF_DEPLOY,
            "inlineOriginalSelection": "make deploy",
        }
        assert [v["number"] for v in one["versions"]["results"]] == [1]
        assert {"operation": "read", "targetType": "comment"} in one["operations"]["results"]
        assert one["likes"]["results"] == []
        assert one["_links"]["base"] == "http://wiki.test/wiki"
        assert one["_links"]["webui"].endswith(
            f"?focusedCommentId={ids.deploy}#comment-{ids.deploy}"
        )
        plain = check_v2(await c.get(v2(f"/inline-comments/{ids.deploy}")))
        assert plain["properties"] == {
            "inlineMarkerRef": REF_DEPLOY,
            "inlineOriginalSelection": "make deploy",
        }
        assert plain["body"] == {}
        assert "versions" not in plain
        resolved = check_v2(await c.get(v2(f"/inline-comments/{ids.freeze}")))
        assert resolved["resolutionStatus"] == "resolved"
        assert resolved["resolutionLastModifierId"] == emu.site.users["dave"].account_id
        assert resolved["resolutionLastModifiedAt"] == "2025-03-08T09:00:00.000Z"
        no_version = check_v2(
            await c.get(v2(f"/inline-comments/{ids.deploy}"), params={"include-version": "false"})
        )
        assert "version" not in no_version
        v2_error(await c.get(v2(f"/inline-comments/{ids.deploy}"), params={"version": "2"}), 404)
        v2_error(
            await c.get(v2(f"/inline-comments/{ids.deploy}"), params={"body-format": "wiki"}), 400
        )
    async with client_for(emu, "bob") as c:
        v2_error(await c.get(v2(f"/inline-comments/{ids.deploy}")), 404)


async def test_v2_inline_replies(emu: Emulator) -> None:
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        replies = await in_storage(c, f"/inline-comments/{ids.deploy}/children")
        assert ids_of(replies) == [ids.deploy_reply]
        reply = replies["results"][0]
        assert reply["parentCommentId"] == ids.deploy
        assert "pageId" not in reply
        assert reply["body"]["storage"]["value"] == "<p>No, still make deploy.</p>"
        assert reply["resolutionStatus"] == "open"
        assert reply["properties"] == {"inlineMarkerRef": REF_DEPLOY}
        none = check_v2(await c.get(v2(f"/inline-comments/{ids.freeze}/children")))
        assert none["results"] == []
        single = check_v2(await c.get(v2(f"/inline-comments/{ids.deploy_reply}")))
        assert single["parentCommentId"] == ids.deploy
        assert single["pageId"] == ids.guide
        v2_error(
            await c.get(v2(f"/inline-comments/{ids.deploy}/children"), params={"sort": "x"}), 400
        )


async def test_v2_inline_endpoints_need_the_comment_scope(emu: Emulator) -> None:
    ids = Ids(emu.site)
    dave = emu.site.users["dave"]
    pages_only = emu.site.issue_token("dave", "scoped", scopes=frozenset({"read:page:confluence"}))
    comments = emu.site.issue_token("dave", "scoped", scopes=frozenset({"read:comment:confluence"}))
    gateway = f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2"
    paths = (
        f"/pages/{ids.guide}/inline-comments",
        f"/blogposts/{ids.blog}/inline-comments",
        f"/inline-comments/{ids.deploy}",
        f"/inline-comments/{ids.deploy}/children",
    )
    async with client_for(emu) as c:
        for path in paths:
            refused = await c.get(gateway + path, auth=(dave.email, pages_only))
            assert "scope" in v2_error(refused, 401)
            check_v2(await c.get(gateway + path, auth=(dave.email, comments)))


# ---- v1, both flavours ------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_v1_location_filters(flavor: Flavor) -> None:
    emu = make_emulator(flavor, fixture=INLINE_SITE)
    ids = Ids(emu.site)
    url = v1(emu, f"/content/{ids.guide}/child/comment")

    async def listed(params: Any) -> list[str]:
        async with client_for(emu, "dave") as c:
            return ids_of(check_v1(emu, await c.get(url, params=params)))

    top = [ids.footer, ids.deploy, ids.freeze, ids.dangling]
    assert await listed({}) == top
    assert await listed({"location": "footer"}) == [ids.footer]
    assert await listed({"location": "inline"}) == [ids.deploy, ids.freeze, ids.dangling]
    assert await listed({"location": "resolved"}) == [ids.freeze]
    assert await listed({"location": "footer,resolved"}) == [ids.footer, ids.freeze]
    assert await listed([("location", "resolved"), ("location", "footer")]) == [
        ids.footer,
        ids.freeze,
    ]
    assert await listed({"location": "inline,resolved"}) == [ids.deploy, ids.freeze, ids.dangling]
    assert await listed({"location": "footer,inline,resolved"}) == top
    assert await listed({"location": "inline", "depth": "all"}) == [
        ids.deploy,
        ids.deploy_reply,
        ids.freeze,
        ids.dangling,
    ]
    assert await listed({"location": "footer", "depth": "all"}) == [ids.footer, ids.footer_reply]
    assert await listed({"depth": "all"}) == ids.on_guide


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_v1_comment_extensions(flavor: Flavor) -> None:
    emu = make_emulator(flavor, fixture=INLINE_SITE)
    ids = Ids(emu.site)

    async def extensions(cid: str, expand: str | None = None) -> dict[str, Any]:
        params = {"expand": expand} if expand else {}
        async with client_for(emu, "dave") as c:
            body = check_v1(emu, await c.get(v1(emu, f"/content/{cid}"), params=params))
        assert body["type"] == "comment"
        result: dict[str, Any] = body["extensions"]
        return result

    inline_props = {"markerRef": REF_DEPLOY, "originalSelection": "make deploy"}
    assert await extensions(ids.deploy) == {
        "location": "inline",
        "inlineProperties": inline_props,
        "_expandable": {"resolution": ""},
    }
    assert await extensions(ids.deploy, "extensions.inlineProperties") == {
        "location": "inline",
        "inlineProperties": inline_props,
        "_expandable": {"resolution": ""},
    }
    both = "extensions.inlineProperties,extensions.resolution"
    assert await extensions(ids.deploy, both) == {
        "location": "inline",
        "inlineProperties": inline_props,
        "resolution": {"status": "open", "lastModifiedDate": "2025-03-07T09:00:00.000Z"},
        "_expandable": {},
    }
    assert await extensions(ids.freeze, "extensions.resolution") == {
        "location": "inline",
        "inlineProperties": {"markerRef": REF_FREEZE, "originalSelection": "Freeze on Fridays"},
        "resolution": {"status": "resolved", "lastModifiedDate": "2025-03-08T09:00:00.000Z"},
        "_expandable": {},
    }
    assert await extensions(ids.deploy_reply, "extensions.resolution") == {
        "location": "inline",
        "inlineProperties": {"markerRef": REF_DEPLOY},
        "resolution": {"status": "open", "lastModifiedDate": "2025-03-07T10:00:00.000Z"},
        "_expandable": {},
    }
    assert await extensions(ids.footer) == {"location": "footer", "_expandable": {"resolution": ""}}
    assert await extensions(ids.footer, "extensions.resolution") == {
        "location": "footer",
        "resolution": {"status": "open", "lastModifiedDate": "2025-03-06T08:00:00.000Z"},
        "_expandable": {},
    }
    async with client_for(emu, "dave") as c:  # the same shape inside child lists
        url = v1(emu, f"/content/{ids.guide}/child/comment")
        body = check_v1(
            emu,
            await c.get(url, params={"location": "resolved", "expand": "extensions.resolution"}),
        )
        assert [r["extensions"]["resolution"]["status"] for r in body["results"]] == ["resolved"]
        nested = check_v1(
            emu,
            await c.get(
                v1(emu, f"/content/{ids.guide}"),
                params={"expand": "children.comment.extensions.resolution"},
            ),
        )
        statuses = {
            r["id"]: r["extensions"]["resolution"]["status"]
            for r in nested["children"]["comment"]["results"]
        }
        expected = {
            ids.footer: "open",
            ids.deploy: "open",
            ids.deploy_reply: "open",
            ids.freeze: "resolved",
            ids.dangling: "dangling",
        }
        assert expected.items() <= statuses.items()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_v1_cql_type_comment_finds_inline_comments(flavor: Flavor) -> None:
    emu = make_emulator(flavor, fixture=INLINE_SITE)
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        found = check_v1(
            emu,
            await c.get(
                v1(emu, "/content/search"),
                params={
                    "cql": f"type = comment and container = {ids.guide}",
                    "expand": "extensions.resolution",
                },
            ),
        )
        by_id = {r["id"]: r["extensions"] for r in found["results"]}
        assert set(by_id) == set(ids.on_guide)
        assert by_id[ids.freeze]["location"] == "inline"
        assert by_id[ids.freeze]["resolution"]["status"] == "resolved"
        assert by_id[ids.footer]["location"] == "footer"
        texts = check_v1(
            emu,
            await c.get(v1(emu, "/search"), params={"cql": 'type = comment and text ~ "exactly"'}),
        )
        hits = texts["results"]
        assert [h["content"]["id"] for h in hits] == [ids.shipped]
        assert hits[0]["content"]["extensions"]["inlineProperties"] == {
            "markerRef": REF_SHIPPED,
            "originalSelection": "We shipped",
        }


async def test_v1_reply_to_an_inline_comment_is_inline() -> None:
    emu = make_emulator("dc", fixture=INLINE_SITE)
    ids = Ids(emu.site)
    async with client_for(emu, "dave") as c:
        made = await c.post(
            v1(emu, "/content"),
            json={
                "type": "comment",
                "container": {"id": ids.guide, "type": "page"},
                "ancestors": [{"id": ids.freeze}],
                "body": {"storage": {"value": "<p>Thanks.</p>", "representation": "storage"}},
            },
        )
        body = check_v1(emu, made, "POST")
    assert body["extensions"]["location"] == "inline"
    assert body["extensions"]["inlineProperties"] == {"markerRef": REF_FREEZE}
    reply = emu.site.content[body["id"]]
    assert (reply.parent_comment_id, reply.resolution) == (ids.freeze, "resolved")


# ---- fixture keys -----------------------------------------------------------------------------


def _with_comment(comment: dict[str, Any], body: str = GUIDE_BODY) -> dict[str, Any]:
    fx = copy.deepcopy(SITE)
    guide = fx["spaces"][0]["pages"][0]["children"][0]
    guide["body"] = body
    guide["comments"] = [comment]
    return fx


WHERE = "spaces[0].pages[0].children[0].comments[0]"


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (
            {"inline": "make deploy", "ref": REF_DEPLOY, "resolution": "closed"},
            f"{WHERE}.resolution: unknown resolution 'closed' (use one of open, reopened, "
            "resolved, dangling)",
        ),
        (
            {"inline": "make deploy", "ref": "not-a-uuid"},
            f"{WHERE}.ref: 'not-a-uuid' is not a uuid",
        ),
        (
            {"inline": "make deploy", "ref": REF_SHIPPED},
            f"{WHERE}.ref: the body of 'Deployment guide' has no <ac:inline-comment-marker "
            f'ac:ref="{REF_SHIPPED}">',
        ),
        ({"inline": "   "}, f"{WHERE}.inline: the selected text must be a non-empty string"),
        ({"inline": 42}, f"{WHERE}.inline: the selected text must be a non-empty string"),
        (
            {"resolution": "resolved"},
            f"{WHERE}: resolution only applies to inline comments (add inline: <selected text>)",
        ),
        (
            {"ref": REF_DEPLOY, "resolution": "open"},
            f"{WHERE}: ref, resolution only apply to inline comments",
        ),
        (
            {"inline": "make deploy", "replies": [{"body": "<p>x</p>", "inline": "x"}]},
            f"{WHERE}.replies[0]: a reply may not say inline: it takes its thread's location",
        ),
        (
            {"body": "<p>x</p>", "replies": [{"body": "<p>y</p>", "resolution": "open"}]},
            f"{WHERE}.replies[0]: a reply may not say resolution",
        ),
    ],
)
def test_fixture_refuses_bad_inline_comments(comment: dict[str, Any], message: str) -> None:
    fx = _with_comment({"author": "bob", "body": "<p>c</p>", **comment})
    with pytest.raises(FixtureError) as caught:
        build_site(fx, flavor="cloud")
    assert str(caught.value).startswith(message), str(caught.value)


def test_fixture_inline_keys_and_defaults() -> None:
    dangling = _with_comment(
        {"author": "bob", "inline": "gone", "ref": REF_SHIPPED, "resolution": "dangling"}
    )
    site = build_site(dangling, flavor="dc")  # a dangling comment's marker may be missing
    (comment,) = [c for c in site.content.values() if c.type == "comment"]
    assert (comment.location, comment.inline_ref, comment.resolution) == (
        "inline",
        REF_SHIPPED,
        "dangling",
    )
    derived = _with_comment(
        {"author": "bob", "inline": "make deploy", "replies": [{"author": "alice"}]}
    )
    first, again = build_site(derived, flavor="cloud"), build_site(derived, flavor="dc")
    root, reply = sorted(
        (c for c in first.content.values() if c.type == "comment"), key=lambda c: int(c.id)
    )
    assert root.resolution == "open"
    assert root.inline_selection == "make deploy"
    assert root.inline_ref is not None
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", root.inline_ref
    )
    assert again.content[root.id].inline_ref == root.inline_ref  # deterministic
    assert (reply.location, reply.inline_ref, reply.inline_selection) == (
        "inline",
        root.inline_ref,
        None,
    )
    footer = build_site(_with_comment({"author": "bob", "body": "<p>c</p>"}), flavor="cloud")
    (plain,) = [c for c in footer.content.values() if c.type == "comment"]
    assert (plain.location, plain.inline_ref, plain.inline_selection) == ("footer", None, None)


# ---- the sample handbook ----------------------------------------------------------------------


async def test_sample_has_inline_comments_on_the_deployment_windows_page() -> None:
    emu = make_emulator("cloud", fixture=load_sample_fixture())
    pid = page_id(emu, "Deployment windows and change freezes")
    page = emu.site.content[pid]
    async with client_for(emu, "tomas") as c:
        listed = check_v2(
            await c.get(v2(f"/pages/{pid}/inline-comments"), params={"body-format": "storage"})
        )
        threads = {
            item["properties"]["inlineOriginalSelection"]: item for item in listed["results"]
        }
        assert set(threads) == {"Hamburg public holidays", "1 December 2025 to 6 January 2026"}
        holidays = threads["Hamburg public holidays"]
        freeze = threads["1 December 2025 to 6 January 2026"]
        assert holidays["resolutionStatus"] == "open"
        assert "Reformation Day" in holidays["body"]["storage"]["value"]
        assert freeze["resolutionStatus"] == "resolved"
        assert "2 January" in freeze["body"]["storage"]["value"]
        for item in (holidays, freeze):
            ref = item["properties"]["inlineMarkerRef"]
            selection = item["properties"]["inlineOriginalSelection"]
            marker = (
                f'<ac:inline-comment-marker ac:ref="{ref}">{selection}</ac:inline-comment-marker>'
            )
            assert marker in page.body
        replies = check_v2(await c.get(v2(f"/inline-comments/{holidays['id']}/children")))
        assert len(replies["results"]) == 1
        none = check_v2(await c.get(v2(f"/inline-comments/{freeze['id']}/children")))
        assert none["results"] == []
        footer = check_v2(await c.get(v2(f"/pages/{pid}/footer-comments")))
        assert footer["results"] == []
