"""CQL search over HTTP: ``/rest/api/content/search`` and ``/rest/api/search``, both flavours."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from atlassian import Confluence
from emulator_kit import SITE, client_for, make_emulator, page_id, v1
from openapi_check import validate

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.model import Flavor, Version
from radex.confluence.emulator.serve import running

FLAVORS: tuple[Flavor, ...] = ("cloud", "dc")
CONTENT_SEARCH = "/wiki/rest/api/content/search"
SEARCH = "/wiki/rest/api/search"
SYNC_CQL = (
    'type in (page,blogpost) and space = "ENG" and lastmodified >= "2025-03-01 10:15" '
    "order by lastmodified asc"
)


def big_fixture(n: int) -> dict[str, Any]:
    """SITE plus a space BIG with ``n`` pages readable by the eng group."""
    fx = copy.deepcopy(SITE)
    fx["spaces"].append(
        {
            "key": "BIG",
            "name": "Big",
            "permissions": {"view": {"groups": ["eng"]}},
            "pages": [
                {
                    "title": f"Item {i:03d}",
                    "author": "alice",
                    "created": f"2025-06-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
                    "body": f"<p>item number {i} {'even' if i % 2 == 0 else 'odd'}</p>",
                }
                for i in range(n)
            ],
        }
    )
    return fx


async def get(
    emu: Emulator, user: str | None, path: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with client_for(emu, user) as client:
        r = await client.get(v1(emu, path), params=params)
    return r.status_code, r.json()


def titles(body: dict[str, Any]) -> list[str]:
    return [r["title"] for r in body["results"]]


def result_titles(body: dict[str, Any]) -> list[str]:
    return [r["content"]["title"] for r in body["results"]]


# ---- the incremental-sync query ---------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_incremental_sync_query_returns_changed_pages_in_order(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    status, body = await get(emu, "alice", "/content/search", cql=SYNC_CQL, expand="version")
    assert status == 200
    validate("v1", "GET", CONTENT_SEARCH, 200, body)
    assert titles(body) == ["Deployment guide", "Release 1.0 shipped"]
    assert [r["version"]["when"] for r in body["results"]] == [
        "2025-03-05T12:30:00.000Z",
        "2025-05-01T10:00:00.000Z",
    ]
    assert body["size"] == 2
    assert body["start"] == 0
    assert "next" not in body["_links"]
    # carol is in sre: she also sees the restricted subtree, in lastmodified order
    _, carol = await get(emu, "carol", "/content/search", cql=SYNC_CQL)
    assert titles(carol) == [
        "Deployment guide",
        "Incident secrets",
        "On-call roster",
        "Release 1.0 shipped",
    ]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_search_sees_new_versions_and_text(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    rollback = emu.site.content[page_id(emu, "Rollback")]
    cql = 'text ~ "canary" or lastmodified >= "2025-06-01"'
    assert titles((await get(emu, "alice", "/content/search", cql=cql))[1]) == []
    rollback.versions.append(
        Version(
            number=2,
            title="Rollback",
            body="<p>Shift traffic back from the canary.</p>",
            author="dave",
            when=datetime(2025, 6, 2, 9, 0, tzinfo=UTC),
        )
    )
    _, body = await get(emu, "alice", "/content/search", cql=cql)
    assert titles(body) == ["Rollback"]
    _, by_dave = await get(emu, "alice", "/content/search", cql="text ~ traffic")
    assert titles(by_dave) == ["Rollback"]


# ---- /search shape ----------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_search_returns_search_result_wrappers(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    status, body = await get(emu, "alice", "/search", cql='text ~ "make" order by title')
    assert status == 200
    validate("v1", "GET", SEARCH, 200, body)
    assert result_titles(body) == ["Deployment guide", "Rollback"]
    assert body["totalSize"] == 2
    assert body["cqlQuery"] == 'text ~ "make" order by title'
    assert isinstance(body["searchDuration"], int)
    first = body["results"][0]
    assert first["entityType"] == "content"
    assert first["url"] == first["content"]["_links"]["webui"]
    assert first["resultGlobalContainer"]["title"] == "Engineering"
    display = "/spaces/ENG" if flavor == "cloud" else "/display/ENG"
    assert first["resultGlobalContainer"]["displayUrl"] == display
    assert first["lastModified"] == "2025-03-05T12:30:00.000Z"
    assert first["friendlyLastModified"] == "Mar 05, 2025"
    assert first["iconCssClass"] == "aui-icon content-type-page"
    assert first["breadcrumbs"] == []
    assert "@@@hl@@@make@@@endhl@@@" in first["excerpt"]
    assert isinstance(first["score"], float)


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_search_excerpt_strategies(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    cql = 'text ~ "fridays"'
    _, hl = await get(emu, "alice", "/search", cql=cql)
    assert "@@@hl@@@Fridays@@@endhl@@@" in hl["results"][0]["excerpt"]
    _, plain = await get(emu, "alice", "/search", cql=cql, excerpt="indexed")
    assert "@@@hl@@@" not in plain["results"][0]["excerpt"]
    assert "Fridays" in plain["results"][0]["excerpt"]
    _, none = await get(emu, "alice", "/search", cql=cql, excerpt="none")
    assert none["results"][0]["excerpt"] == ""
    status, bad = await get(emu, "alice", "/search", cql=cql, excerpt="fancy")
    assert status == 400
    assert bad["statusCode"] == 400


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_search_expansions_apply_to_the_wrapped_content(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    _, body = await get(
        emu, "alice", "/search", cql="title = Rollback", expand="content.space,content.version"
    )
    validate("v1", "GET", SEARCH, 200, body)
    content = body["results"][0]["content"]
    assert content["space"]["key"] == "ENG"
    assert content["version"]["number"] == 1
    _, cs = await get(
        emu, "alice", "/content/search", cql="title = Rollback", expand="body.storage"
    )
    validate("v1", "GET", CONTENT_SEARCH, 200, cs)
    assert "make rollback" in cs["results"][0]["body"]["storage"]["value"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_type_space_searches_spaces_on_search_only(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    _, body = await get(emu, "alice", "/search", cql="type = space order by title")
    validate("v1", "GET", SEARCH, 200, body)
    assert [r["space"]["key"] for r in body["results"]] == ["ENG", "PUB"]  # OPS is sre-only
    assert {r["entityType"] for r in body["results"]} == {"space"}
    _, content = await get(emu, "alice", "/content/search", cql="type = space")
    assert content["results"] == []


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_attachments_and_comments_are_found_by_container(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    guide = page_id(emu, "Deployment guide")
    cql = f"type = attachment and container = {guide} order by title"
    _, body = await get(emu, "alice", "/search", cql=cql)
    validate("v1", "GET", SEARCH, 200, body)
    assert result_titles(body) == ["checklist.txt", "diagram.png"]
    assert [r["iconCssClass"] for r in body["results"]] == [
        "aui-icon content-type-attachment-text",
        "aui-icon content-type-attachment-image",
    ]
    assert body["results"][0]["resultParentContainer"]["title"] == "Deployment guide"
    att = body["results"][0]["content"]["id"]
    _, by_id = await get(emu, "alice", "/content/search", cql=f"id = {att}")
    assert titles(by_id) == ["checklist.txt"]
    _, by_text = await get(emu, "alice", "/content/search", cql='text ~ "step two"')
    assert titles(by_text) == ["checklist.txt"]
    _, comments = await get(emu, "alice", "/search", cql=f"type = comment and container = {guide}")
    validate("v1", "GET", SEARCH, 200, comments)
    assert len(comments["results"]) == 2
    assert {r["iconCssClass"] for r in comments["results"]} == {"aui-icon content-type-comment"}
    _, pages = await get(emu, "alice", "/content/search", cql=f"ancestor = {guide}")
    assert titles(pages) == ["Rollback"]  # ancestor covers pages, not comments or files


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_archived_spaces_only_on_request(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    emu.site.spaces["PUB"].status = "archived"
    _, default = await get(emu, "bob", "/search", cql="type = page")
    assert default["results"] == []
    _, archived = await get(emu, "bob", "/search", cql="type = page", includeArchivedSpaces="true")
    assert result_titles(archived) == ["Public Home"]


# ---- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("path", ["/content/search", "/search"])
async def test_bob_never_sees_eng_results(flavor: Flavor, path: str) -> None:
    emu = make_emulator(flavor)
    queries = [
        "type in (page, blogpost, comment, attachment)",
        'space = "ENG"',
        "text ~ deploy or title ~ home",
        "creator = currentUser() or label in (deploy, runbook, release)",
    ]
    for cql in queries:
        status, body = await get(emu, "bob", path, cql=cql)
        assert status == 200
        items = (
            body["results"]
            if path == "/content/search"
            else [r["content"] for r in body["results"]]
        )
        spaces = {emu.site.content[c["id"]].space_key for c in items}
        assert spaces <= {"PUB"}, (cql, spaces)
    _, everything = await get(emu, "bob", path, cql="type = page")
    found = titles(everything) if path == "/content/search" else result_titles(everything)
    assert found == ["Public Home"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_dave_never_sees_incident_secrets(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    secret = page_id(emu, "Incident secrets")
    for cql in (
        'title ~ "incident"',
        f"id = {secret}",
        f"ancestor = {secret} or parent = {secret}",
        'text ~ "pager" or text ~ "roster"',
        "space = ENG and type = page",
    ):
        for path in ("/content/search", "/search"):
            _, body = await get(emu, "dave", path, cql=cql)
            found = titles(body) if path == "/content/search" else result_titles(body)
            assert "Incident secrets" not in found
            assert "On-call roster" not in found
    _, carol = await get(emu, "carol", "/content/search", cql=f"ancestor = {secret}")
    assert titles(carol) == ["On-call roster"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_anonymous_sees_only_anonymous_spaces(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    emu.site.anonymous_access = True
    _, body = await get(emu, None, "/content/search", cql="type = page")
    assert titles(body) == ["Public Home"]


# ---- users, dates, context -----------------------------------------------------------------------


async def test_creator_takes_account_ids_on_cloud() -> None:
    emu = make_emulator("cloud")
    dave = emu.site.users["dave"]
    _, by_id = await get(emu, "alice", "/content/search", cql=f'creator = "{dave.account_id}"')
    assert titles(by_id) == ["Rollback"]
    _, by_name = await get(emu, "alice", "/content/search", cql="creator = dave")
    assert titles(by_name) == []
    _, mine = await get(emu, "dave", "/content/search", cql="contributor = currentUser()")
    assert titles(mine) == ["Deployment guide", "Rollback"]


async def test_creator_takes_usernames_and_user_keys_on_dc() -> None:
    emu = make_emulator("dc")
    dave = emu.site.users["dave"]
    _, by_name = await get(emu, "alice", "/content/search", cql="creator = dave")
    assert titles(by_name) == ["Rollback"]
    _, by_key = await get(emu, "alice", "/content/search", cql=f"creator = {dave.user_key}")
    assert titles(by_key) == ["Rollback"]
    _, mine = await get(emu, "dave", "/content/search", cql="creator = currentUser()")
    assert titles(mine) == ["Rollback"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_date_functions_use_the_site_clock(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    emu.site.clock = lambda: datetime(2025, 3, 6, 9, 0, tzinfo=UTC)
    cql = 'lastmodified > now("-1d") and lastmodified <= now()'
    _, day = await get(emu, "alice", "/content/search", cql=cql + " order by lastmodified")
    assert titles(day) == ["Deployment guide", "Re: Deployment guide"]
    _, month = await get(
        emu, "alice", "/content/search", cql="created >= startOfMonth(-1M) and type = page"
    )
    assert titles(month) == ["Deployment guide", "Rollback"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_cqlcontext_sets_current_space_and_statuses(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    _, body = await get(
        emu,
        "alice",
        "/content/search",
        cql="space = currentSpace() and type = blogpost",
        cqlcontext='{"spaceKey":"ENG"}',
    )
    assert titles(body) == ["Release 1.0 shipped"]
    emu.site.content[page_id(emu, "Rollback")].status = "trashed"
    _, live = await get(emu, "alice", "/content/search", cql="title = Rollback")
    assert titles(live) == []
    _, trashed = await get(
        emu,
        "alice",
        "/content/search",
        cql="title = Rollback",
        cqlcontext='{"contentStatuses":["trashed"]}',
    )
    assert titles(trashed) == ["Rollback"]
    status, bad = await get(emu, "alice", "/content/search", cql="type = page", cqlcontext="{")
    assert status == 400
    assert "cqlcontext" in bad["message"]


# ---- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("path", ["/content/search", "/search"])
@pytest.mark.parametrize(
    "cql", ["type = ", "bogus = 1", "space = ENG and", 'title = "open', "created > yesterday"]
)
async def test_bad_cql_is_a_400_could_not_parse(flavor: Flavor, path: str, cql: str) -> None:
    emu = make_emulator(flavor)
    status, body = await get(emu, "alice", path, cql=cql)
    assert status == 400
    assert body["statusCode"] == 400
    assert body["message"] == f"Could not parse cql : {cql}"


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("path", ["/content/search", "/search"])
async def test_missing_cql_is_a_400(flavor: Flavor, path: str) -> None:
    emu = make_emulator(flavor)
    status, body = await get(emu, "alice", path)
    assert status == 400
    assert body["statusCode"] == 400


async def test_cloud_search_rejects_user_fields() -> None:
    emu = make_emulator("cloud")
    status, body = await get(emu, "alice", "/search", cql='user.fullname ~ "alice"')
    assert status == 400
    assert body["message"].startswith("Could not parse cql")


async def test_current_space_without_context_is_a_400() -> None:
    emu = make_emulator("cloud")
    status, body = await get(emu, "alice", "/content/search", cql="space = currentSpace()")
    assert status == 400
    assert body["message"] == "Could not parse cql : space = currentSpace()"


# ---- paging -------------------------------------------------------------------------------------


async def follow(
    client: httpx.AsyncClient, first_url: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every page of a search, following ``_links.next`` (relative to ``_links.base``)."""
    pages = []
    r = await client.get(first_url, params=params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        nxt = body["_links"].get("next")
        if nxt is None:
            return pages
        assert not nxt.startswith("http")
        r = await client.get(body["_links"]["base"] + nxt)


@pytest.mark.parametrize("path", ["/content/search", "/search"])
async def test_cloud_cursor_paging_visits_every_result_once(path: str) -> None:
    emu = make_emulator("cloud", big_fixture(23))
    spec_path = CONTENT_SEARCH if path == "/content/search" else SEARCH
    expected = sorted(f"Item {i:03d}" for i in range(23))
    async with client_for(emu, "alice") as client:
        pages = await follow(
            client, v1(emu, path), {"cql": "space = BIG order by title", "limit": 5}
        )
    seen: list[str] = []
    for body in pages:
        validate("v1", "GET", spec_path, 200, body)
        seen += titles(body) if path == "/content/search" else result_titles(body)
        assert body["limit"] == 5
    assert seen == expected
    assert [b["size"] for b in pages] == [5, 5, 5, 5, 3]
    second = pages[1]["_links"]
    assert "cursor=" in second["next"]
    assert second["next"].startswith(f"/rest/api{path}?")
    assert "cursor=" in second["prev"]
    assert "prev" not in pages[0]["_links"]
    if path == "/search":
        assert {b["totalSize"] for b in pages} == {23}


async def test_cloud_prev_link_returns_the_previous_page() -> None:
    emu = make_emulator("cloud", big_fixture(12))
    async with client_for(emu, "alice") as client:
        pages = await follow(
            client, v1(emu, "/content/search"), {"cql": "space = BIG order by title", "limit": 4}
        )
        back = await client.get(pages[2]["_links"]["base"] + pages[2]["_links"]["prev"])
    assert titles(back.json()) == titles(pages[1])


async def test_cloud_cursor_must_belong_to_the_query() -> None:
    emu = make_emulator("cloud", big_fixture(12))
    async with client_for(emu, "alice") as client:
        first = await client.get(
            v1(emu, "/content/search"), params={"cql": "space = BIG", "limit": 4}
        )
        cursor = parse_qs(urlsplit(first.json()["_links"]["next"]).query)["cursor"][0]
        other = await client.get(
            v1(emu, "/content/search"), params={"cql": "type = page", "cursor": cursor}
        )
        junk = await client.get(
            v1(emu, "/content/search"), params={"cql": "space = BIG", "cursor": "@@@"}
        )
    assert other.status_code == 400
    assert junk.status_code == 400


@pytest.mark.parametrize("path", ["/content/search", "/search"])
async def test_dc_start_limit_paging(path: str) -> None:
    emu = make_emulator("dc", big_fixture(23))
    async with client_for(emu, "alice") as client:
        pages = await follow(
            client, v1(emu, path), {"cql": "space = BIG order by title", "limit": 10}
        )
        r = await client.get(
            v1(emu, path), params={"cql": "space = BIG order by title", "start": 20, "limit": 10}
        )
    seen: list[str] = []
    for body in pages:
        seen += titles(body) if path == "/content/search" else result_titles(body)
    assert seen == sorted(f"Item {i:03d}" for i in range(23))
    assert [b["start"] for b in pages] == [0, 10, 20]
    assert "start=10" in pages[0]["_links"]["next"]
    assert "limit=10" in pages[0]["_links"]["next"]
    tail = r.json()
    assert tail["start"] == 20
    assert tail["size"] == 3
    assert "next" not in tail["_links"]


@pytest.mark.parametrize(
    ("flavor", "expand", "limit"),
    [
        ("dc", None, 1000),
        ("dc", "version", 200),
        ("dc", "body.storage", 50),
        ("dc", "space,body.view", 50),
        ("cloud", None, 250),
        ("cloud", "body.storage", 250),
        ("cloud", "body.export_view", 25),
        ("cloud", "body.styled_view,version", 25),
    ],
)
async def test_content_search_caps_are_echoed_in_limit(
    flavor: Flavor, expand: str | None, limit: int
) -> None:
    emu = make_emulator(flavor)
    params: dict[str, Any] = {"cql": "type = page", "limit": 5000}
    if expand:
        params["expand"] = expand
    status, body = await get(emu, "alice", "/content/search", **params)
    assert status == 200
    assert body["limit"] == limit
    _, default = await get(emu, "alice", "/content/search", cql="type = page")
    assert default["limit"] == 25


@pytest.mark.parametrize(("flavor", "limit"), [("cloud", 25), ("dc", 50)])
async def test_search_caps_follow_content_expansions(flavor: Flavor, limit: int) -> None:
    emu = make_emulator(flavor)
    expand = "content.body.export_view" if flavor == "cloud" else "content.body.storage"
    _, body = await get(emu, "alice", "/search", cql="type = page", limit=900, expand=expand)
    assert body["limit"] == limit


# ---- big sites, gateway, a real client ----------------------------------------------------------


async def test_text_search_over_a_big_site() -> None:
    emu = make_emulator("cloud", big_fixture(3000))
    _, body = await get(emu, "alice", "/search", cql='text ~ "number 2999"', limit=5)
    assert result_titles(body) == ["Item 2999"]
    _, odd = await get(emu, "alice", "/search", cql="space = BIG and text ~ odd", limit=1)
    assert odd["totalSize"] == 1500


async def test_search_through_the_gateway_links_keep_the_gateway_context() -> None:
    emu = make_emulator("cloud", big_fixture(6))
    base = f"/ex/confluence/{emu.site.cloud_id}/wiki/rest/api"
    async with client_for(emu, "alice") as client:
        r = await client.get(f"{base}/search", params={"cql": "space = BIG", "limit": 4})
    body = r.json()
    assert r.status_code == 200
    assert body["_links"]["context"] == f"/ex/confluence/{emu.site.cloud_id}/wiki"
    assert body["_links"]["base"].endswith(f"/ex/confluence/{emu.site.cloud_id}/wiki")
    assert body["_links"]["next"].startswith("/rest/api/search?")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_atlassian_python_api_cql(flavor: Flavor) -> None:
    emu = make_emulator(flavor)
    user = emu.site.users["alice"]
    login = user.email if flavor == "cloud" else user.username
    with running(emu) as url:
        confluence = Confluence(  # type: ignore[no-untyped-call]
            url=url, username=login, password=user.secret, cloud=flavor == "cloud"
        )
        cql = 'space = ENG and label = "deploy"'
        found = confluence.cql(cql, limit=10)  # type: ignore[no-untyped-call]
        assert [r["content"]["title"] for r in found["results"]] == ["Deployment guide"]
        with pytest.raises(Exception, match="cannot be parsed"):
            confluence.cql("space = = ENG")  # type: ignore[no-untyped-call]
