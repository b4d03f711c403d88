"""Every read call against the emulator in both flavours (Cloud with v1 reads answering 410)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator_kit import SITE, make_emulator, page_id
from test_client_kit import client_on, token_for, v1_read_calls

from radex.confluence.client import ConfluenceClient
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.files import render_attachment
from radex.errors import NotFoundError, TransientError
from radex.types import Attachment, Comment, Page

FLAVORS = ["cloud", "dc"]


@pytest.fixture(params=FLAVORS)
def emu(request: pytest.FixtureRequest) -> Emulator:
    # Cloud v1 reads that v2 replaces answer 410 Gone: the client must not use them
    extra = {"legacy_v1": "gone"} if request.param == "cloud" else {}
    return make_emulator(request.param, **extra)


@pytest.fixture
async def alice(emu: Emulator) -> AsyncIterator[ConfluenceClient]:
    async with client_on(emu, token_for(emu, "alice")) as client:
        yield client
    if emu.config.flavor == "cloud":
        assert v1_read_calls(emu) == {}


@pytest.fixture
async def carol(emu: Emulator) -> AsyncIterator[ConfluenceClient]:
    async with client_on(emu, token_for(emu, "carol")) as client:
        yield client
    if emu.config.flavor == "cloud":
        assert v1_read_calls(emu) == {}


def person_id(emu: Emulator, username: str) -> str:
    user = emu.site.users[username]
    return user.account_id if emu.config.flavor == "cloud" else user.user_key


async def test_spaces_and_space(emu: Emulator, alice: ConfluenceClient) -> None:
    spaces = [s async for s in alice.spaces()]
    assert sorted(s.key for s in spaces) == ["ENG", "PUB"]
    eng = await alice.space("ENG")
    assert eng.name == "Engineering"
    assert eng.id == emu.site.spaces["ENG"].id
    assert eng.homepage_id == page_id(emu, "Engineering Home")
    assert eng.description == "How we build things."
    with pytest.raises(NotFoundError):
        await alice.space("OPS")  # alice may not view it


async def test_a_space_is_read_once_and_again_only_when_asked_fresh(
    emu: Emulator, alice: ConfluenceClient
) -> None:
    eng = await alice.space("ENG")
    assert await alice.space("ENG") == eng  # from what the client read
    later = ConfluenceClient.connect(alice.urls, alice.credential, http=alice.http)
    later.remember_spaces(alice.known_spaces())  # the next step of a job
    del emu.site.spaces["ENG"]  # the space is gone (deleted, or no longer visible)
    assert await later.space("ENG") == eng
    with pytest.raises(NotFoundError):
        await later.space("ENG", fresh=True)  # what the reconciliation asks
    with pytest.raises(NotFoundError):
        await later.space("ENG")  # and no longer remembered


async def test_pages_of_a_space_with_bodies(emu: Emulator, alice: ConfluenceClient) -> None:
    pages = [p async for p in alice.pages("ENG")]
    by_title = {p.title: p for p in pages}
    # Incident secrets and its child are read-restricted to sre: alice does not see them
    assert set(by_title) == {"Engineering Home", "Deployment guide", "Rollback"}
    guide = by_title["Deployment guide"]
    content = emu.site.content[guide.id]
    assert guide.body == content.body
    assert guide.kind == "page"
    assert guide.status == "current"
    assert guide.version.number == 3
    assert guide.version.message == "add freeze rule"
    assert guide.version.author_id == person_id(emu, "dave")
    assert guide.author_id == person_id(emu, "alice")
    assert guide.parent_id == by_title["Engineering Home"].id
    assert by_title["Engineering Home"].parent_id is None
    assert guide.space_key == "ENG"
    assert guide.space_id == emu.site.spaces["ENG"].id
    assert guide.created_at is not None
    assert guide.created_at.year == 2025
    assert guide.web_url is not None
    assert guide.web_url.startswith("http://wiki.test/")
    assert guide.id in guide.web_url or "Deployment+guide" in guide.web_url
    bare = [p async for p in alice.pages("ENG", body=False)]
    assert {p.id for p in bare} == {p.id for p in pages}
    assert all(p.body is None for p in bare)


async def test_carol_sees_the_restricted_subtree(carol: ConfluenceClient) -> None:
    titles = {p.title async for p in carol.pages("ENG")}
    assert {"Incident secrets", "On-call roster"} <= titles


async def test_blog_posts(alice: ConfluenceClient) -> None:
    posts = [p async for p in alice.blog_posts("ENG")]
    assert [(p.title, p.kind, p.body) for p in posts] == [
        ("Release 1.0 shipped", "blogpost", "<p>We shipped.</p>")
    ]
    one = await alice.page(posts[0].id, kind="blogpost")
    assert one.title == "Release 1.0 shipped"
    assert one.body == "<p>We shipped.</p>"


async def test_page_by_id_and_at_a_version(emu: Emulator, alice: ConfluenceClient) -> None:
    pid = page_id(emu, "Deployment guide")
    page = await alice.page(pid)
    assert page.version.number == 3
    assert page.body == emu.site.content[pid].body
    assert page.space_key == "ENG"
    assert page.labels is not None
    assert set(page.labels) == {"deploy", "runbook"}
    first = await alice.page(pid, version=1)
    second = await alice.page(pid, version=2)
    assert (first.version.number, first.body) == (1, "<p>first draft</p>")
    assert (second.version.number, second.body) == (2, "<p>second draft</p>")
    with pytest.raises(NotFoundError) as err:
        await alice.page(page_id(emu, "Incident secrets"))
    assert "may not see it" in (err.value.hint or "")


async def test_children_descendants_ancestors(emu: Emulator, carol: ConfluenceClient) -> None:
    home = page_id(emu, "Engineering Home")
    guide = page_id(emu, "Deployment guide")
    kids = [c async for c in carol.children(home)]
    assert [c.title for c in kids] == ["Deployment guide", "Incident secrets"]
    assert all(c.parent_id == home and c.kind == "page" for c in kids)
    below = [d async for d in carol.descendants(home)]
    parents = {d.title: d.parent_id for d in below}
    assert parents == {
        "Deployment guide": home,
        "Rollback": guide,
        "Incident secrets": home,
        "On-call roster": page_id(emu, "Incident secrets"),
    }
    chain = await carol.ancestors(page_id(emu, "Rollback"))
    assert [a.id for a in chain] == [home, guide]


def with_inline_comments() -> dict[str, Any]:
    """The kit's site with two inline comment threads on the deployment guide."""
    site = copy.deepcopy(SITE)
    guide = site["spaces"][0]["pages"][0]["children"][0]
    assert guide["title"] == "Deployment guide"
    guide["comments"] += [
        {
            "author": "carol",
            "created": "2025-03-07T08:00:00Z",
            "body": "<p>Which region first?</p>",
            "inline": "Step one",
            "replies": [{"author": "bob", "body": "<p>Frankfurt.</p>"}],
        },
        {
            "author": "dave",
            "created": "2025-03-08T08:00:00Z",
            "body": "<p>Typo.</p>",
            "inline": "Step two",
            "resolution": "resolved",
        },
    ]
    return site


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_comments_footer_then_inline_with_replies(flavor: str) -> None:
    extra = {"legacy_v1": "gone"} if flavor == "cloud" else {}
    emu = make_emulator(flavor, with_inline_comments(), **extra)  # type: ignore[arg-type]
    guide = page_id(emu, "Deployment guide")
    async with client_on(emu, token_for(emu, "alice")) as alice:
        comments = [c async for c in alice.comments(guide)]
    assert [c.body for c in comments] == [
        "<p>Rollback step?</p>",
        "<p>Added.</p>",
        "<p>Which region first?</p>",
        "<p>Frankfurt.</p>",
        "<p>Typo.</p>",
    ]
    assert all(c.container_id == guide for c in comments)
    assert [c.author_id for c in comments] == [
        person_id(emu, name) for name in ("bob", "alice", "carol", "bob", "dave")
    ]
    assert [c.location for c in comments] == ["footer", "footer", "inline", "inline", "inline"]
    assert [c.selection for c in comments] == [None, None, "Step one", None, "Step two"]
    assert [c.resolution for c in comments[2:]] == ["open", "open", "resolved"]
    assert comments[0].parent_comment_id is None
    assert comments[2].parent_comment_id is None
    assert comments[1].parent_comment_id == comments[0].id
    assert comments[3].parent_comment_id == comments[2].id
    if flavor == "cloud":
        assert v1_read_calls(emu) == {}


async def test_labels(emu: Emulator, alice: ConfluenceClient) -> None:
    labels = [lab async for lab in alice.labels(page_id(emu, "Deployment guide"))]
    assert sorted(lab.name for lab in labels) == ["deploy", "runbook"]
    assert all(lab.prefix == "global" and lab.id for lab in labels)


async def test_attachments_and_download(emu: Emulator, alice: ConfluenceClient) -> None:
    guide = page_id(emu, "Deployment guide")
    atts = [a async for a in alice.attachments(guide)]
    by_name = {a.filename: a for a in atts}
    assert set(by_name) == {"checklist.txt", "diagram.png"}
    text = by_name["checklist.txt"]
    assert text.media_type == "text/plain"
    assert text.container_id == guide
    assert by_name["diagram.png"].version.number == 2
    data = await alice.download(text)
    assert b"Step one." in data
    assert text.size == len(data)
    png = await alice.download(by_name["diagram.png"])
    assert png.startswith(b"\x89PNG")
    content = emu.site.content[
        next(i for i, c in emu.site.content.items() if c.title == "diagram.png")
    ]
    blob = content.current.blob
    assert blob is not None
    assert png == (blob.data or render_attachment(blob.kind, blob.title, blob.text))


async def test_versions(emu: Emulator, alice: ConfluenceClient) -> None:
    versions = [v async for v in alice.versions(page_id(emu, "Deployment guide"))]
    assert sorted(v.number for v in versions) == [1, 2, 3]
    latest = max(versions, key=lambda v: v.number)
    assert latest.message == "add freeze rule"
    assert latest.author_id == person_id(emu, "dave")


async def test_restrictions(emu: Emulator, carol: ConfluenceClient) -> None:
    secret = await carol.restrictions(page_id(emu, "Incident secrets"))
    assert secret["read"].group_names == ("sre",)
    assert secret["read"].user_ids == ()
    assert secret["update"].user_ids == (person_id(emu, "carol"),)
    open_page = await carol.restrictions(page_id(emu, "Deployment guide"))
    assert open_page["read"].is_empty
    assert open_page["update"].is_empty


async def test_space_permissions(emu: Emulator, alice: ConfluenceClient) -> None:
    perms = await alice.space_permissions("ENG")
    assert ("group", "eng", "read") in {(p.principal, p.principal_id, p.operation) for p in perms}
    admin = {(p.principal, p.principal_id) for p in perms if p.operation == "administer"}
    assert admin == {("user", person_id(emu, "alice"))}


async def test_users_groups_members(emu: Emulator, alice: ConfluenceClient) -> None:
    me = await alice.current_user()
    assert me.id == person_id(emu, "alice")
    assert me.display_name == "Alice Adams"
    people = await alice.users([person_id(emu, "bob"), person_id(emu, "dave")])
    assert sorted(p.display_name for p in people) == ["Bob Brown", "Dave Diaz"]
    groups = [g async for g in alice.groups()]
    names = {g.name for g in groups}
    assert {"eng", "sre"} <= names
    if emu.config.flavor == "cloud":
        assert all(g.id for g in groups)
    eng = next(g for g in groups if g.name == "eng")
    members = [p async for p in alice.group_members(eng)]
    assert sorted(p.display_name for p in members) == ["Alice Adams", "Carol Chen", "Dave Diaz"]


async def test_data_center_looks_people_up_several_at_once() -> None:
    emu = make_emulator("dc", latency_ms=20)  # each lookup waits: in sequence none overlap
    in_flight = peak = 0
    app = emu.app

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await app(scope, receive, send)
        finally:
            in_flight -= 1

    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=counting))
    keys = [person_id(emu, u) for u in ("bob", "dave", "carol", "alice")]
    async with client_on(emu, token_for(emu, "alice"), http=http) as client:
        people = await client.users([*keys, "no-such-key", keys[0]])
    await http.aclose()
    assert [p.display_name for p in people] == [
        "Bob Brown",
        "Dave Diaz",
        "Carol Chen",
        "Alice Adams",
    ]
    assert emu.requests["GET v1:/user"] == 5  # each key once, the unknown one left out
    assert peak >= 2

    broken = make_emulator("dc", faults=FaultSpec.parse("500:1.0"))
    async with client_on(broken, token_for(broken, "alice")) as client:
        with pytest.raises(TransientError):  # the lookups' first error, as it is
            await client.users(keys)


async def test_permission_check(emu: Emulator, carol: ConfluenceClient) -> None:
    secret = page_id(emu, "Incident secrets")
    guide = page_id(emu, "Deployment guide")
    assert await carol.can(guide, person_id(emu, "alice"))
    assert not await carol.can(guide, person_id(emu, "bob"))
    assert await carol.can(secret, person_id(emu, "carol"), "update")
    assert not await carol.can(secret, person_id(emu, "dave"), "update")
    assert not await carol.can(secret, person_id(emu, "alice"), "read")


async def test_cql_search_returns_content_with_expansions(
    emu: Emulator, alice: ConfluenceClient
) -> None:
    found = [x async for x in alice.search('space = "ENG" and type = page order by title')]
    assert all(isinstance(x, Page) for x in found)
    pages = [x for x in found if isinstance(x, Page)]
    assert {p.title for p in pages} == {"Engineering Home", "Deployment guide", "Rollback"}
    guide = next(p for p in pages if p.title == "Deployment guide")
    assert guide.body == emu.site.content[guide.id].body
    assert guide.version.number == 3
    assert guide.space_key == "ENG"
    assert guide.parent_id == page_id(emu, "Engineering Home")
    assert guide.labels is not None
    assert set(guide.labels) == {"deploy", "runbook"}
    blogs = [x async for x in alice.search("type = blogpost")]
    assert [getattr(b, "title", None) for b in blogs] == ["Release 1.0 shipped"]
    files = [x async for x in alice.search('type = attachment and space = "ENG"')]
    assert {x.filename for x in files if isinstance(x, Attachment)} == {
        "checklist.txt",
        "diagram.png",
    }
    notes = [x async for x in alice.search('type = comment and space = "ENG"')]
    assert len(notes) == 2
    assert all(isinstance(n, Comment) for n in notes)


def _chain_fixture(depth: int) -> dict[str, object]:
    node: dict[str, object] = {"title": f"Level {depth}", "body": "<p>x</p>"}
    for level in range(depth - 1, 0, -1):
        node = {"title": f"Level {level}", "body": "<p>x</p>", "children": [node]}
    return {
        "users": [{"username": "ann", "display_name": "Ann", "email": "ann@example.com"}],
        "spaces": [
            {
                "key": "D",
                "name": "Deep",
                "permissions": {"view": {"users": ["ann"]}},
                "pages": [node],
            }
        ],
    }


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_descendants_deeper_than_one_v2_call_reaches(flavor: str) -> None:
    emu = make_emulator(flavor, _chain_fixture(14))  # type: ignore[arg-type]
    top = page_id(emu, "Level 1")
    async with client_on(emu, token_for(emu, "ann")) as client:
        below = [d async for d in client.descendants(top)]
        chain = await client.ancestors(page_id(emu, "Level 14"))
    assert [d.title for d in sorted(below, key=lambda d: int(str(d.title).split()[1]))] == [
        f"Level {n}" for n in range(2, 15)
    ]
    assert all(
        d.parent_id == page_id(emu, f"Level {int(str(d.title).split()[1]) - 1}") for d in below
    )
    assert [a.id for a in chain] == [page_id(emu, f"Level {n}") for n in range(1, 14)]


async def test_cloud_reads_carry_no_deprecation_warnings_and_v1_ones_would() -> None:
    emu = make_emulator("cloud", legacy_v1="warn")
    async with client_on(emu, token_for(emu, "alice")) as client:
        guide = page_id(emu, "Deployment guide")
        [p async for p in client.pages("ENG")]
        await client.page(guide)
        [c async for c in client.children(page_id(emu, "Engineering Home"))]
        [lab async for lab in client.labels(guide)]
        [a async for a in client.attachments(guide)]
        assert client.observer.counters["deprecated"] == 0
        await client.get_json(await client.v1(f"/content/{guide}"))  # a deprecated v1 read
        assert client.observer.counters["deprecated"] == 1
