"""atlassian-python-api (a real third-party client) against the DC emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import atlassian
import pytest

from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.render_v1 import attachment_bytes
from radex.confluence.emulator.serve import running

PAGES = 320


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, str]]:
    """A DC emulator (context /confluence) over a generated 320-page site, on real HTTP."""
    site = build_site(generate_fixture(PAGES, seed=0), flavor="dc", admin=("admin", "s3cret"))
    emu = create_emulator(site, EmulatorConfig(flavor="dc", context_path="/confluence"))
    with running(emu) as base_url:
        yield emu, base_url


def confluence(**kwargs: Any) -> Any:
    """An ``atlassian.Confluence`` client (the library is untyped)."""
    return cast(Any, atlassian.Confluence)(**kwargs)


@pytest.fixture(scope="module")
def client(served: tuple[Emulator, str]) -> Any:
    """atlassian-python-api logged in as the site admin with basic auth."""
    _, base_url = served
    return confluence(url=base_url, username="admin", password="s3cret", cloud=False)


def first_with_attachments(emu: Emulator) -> Any:
    """The first page that has attachments."""
    return next(
        emu.site.content[a.parent_id or ""]
        for a in emu.site.content.values()
        if a.type == "attachment"
    )


def test_base_url_has_the_context_path(served: tuple[Emulator, str]) -> None:
    _, base_url = served
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/confluence")


def test_lists_spaces(client: Any) -> None:
    spaces = client.get_all_spaces(start=0, limit=50)
    keys = [s["key"] for s in spaces["results"]]
    assert keys == sorted(keys)
    assert {"ENG", "HR", "OPS"} <= set(keys)
    eng = client.get_space("ENG")
    assert eng["homepage"]["type"] == "page"
    assert "plain" in eng["description"]


def test_reads_a_page_with_its_storage_body(served: tuple[Emulator, str], client: Any) -> None:
    emu, _ = served
    page = next(c for c in emu.site.content.values() if c.type == "page")
    got = client.get_page_by_id(page.id, expand="body.storage,version,ancestors")
    assert got["title"] == page.title
    assert got["body"]["storage"]["value"] == page.body
    assert got["version"]["number"] == page.version
    by_title = client.get_page_by_title("ENG", page.title)
    assert by_title["id"] == page.id


def test_pages_through_a_large_space(served: tuple[Emulator, str], client: Any) -> None:
    emu, _ = served
    expected = [
        c.id for c in emu.site.content.values() if c.type == "page" and c.space_key == "ENG"
    ]
    assert len(expected) >= 300
    streamed = list(client.get_all_pages_from_space_as_generator("ENG", limit=50))
    assert [p["id"] for p in streamed] == expected
    assert all(p["version"]["number"] >= 1 and p["space"]["key"] == "ENG" for p in streamed)
    at_once = client.get_all_pages_from_space("ENG", start=0, limit=1000)
    assert [p["id"] for p in at_once] == expected  # silently capped at 500 ≥ PAGES
    followed = list(client._get_paged("rest/api/content", params={"spaceKey": "ENG", "limit": 100}))
    assert [p["id"] for p in followed] == expected


def test_reads_labels_and_attachments(served: tuple[Emulator, str], client: Any) -> None:
    emu, _ = served
    labelled = next(c for c in emu.site.content.values() if c.type == "page" and c.labels)
    labels = client.get_page_labels(labelled.id)
    assert [lab["name"] for lab in labels["results"]] == [lab.name for lab in labelled.labels]
    page = first_with_attachments(emu)
    attachments = client.get_attachments_from_content(page.id)["results"]
    expected = [a for a in emu.site.children(page.id, "attachment")]
    assert [a["title"] for a in attachments] == [a.title for a in expected]
    first = attachments[0]
    raw = client.get(first["_links"]["download"], not_json_response=True)
    assert raw == attachment_bytes(emu.site, expected[0], expected[0].current)
    in_memory = client.download_attachments_from_page(page.id, to_memory=True)
    assert set(in_memory) == {a.title for a in expected}
    assert in_memory[expected[0].title].getvalue() == raw


def test_runs_a_cql_query(client: Any) -> None:
    found = client.cql('type = page and space = "ENG"', limit=10)
    assert len(found["results"]) == 10
    assert all(r["content"]["type"] == "page" for r in found["results"])
    assert found["totalSize"] >= 300


def test_updates_a_page(served: tuple[Emulator, str], client: Any) -> None:
    emu, _ = served
    page = next(c for c in emu.site.content.values() if c.type == "page" and c.parent_id)
    before = page.version
    client.update_page(page.id, page.title, "<p>Rewritten by a client.</p>", version_comment="cc")
    after = client.get_page_by_id(page.id, expand="body.storage,version")
    assert after["version"]["number"] == before + 1
    assert after["version"]["message"] == "cc"
    assert after["body"]["storage"]["value"] == "<p>Rewritten by a client.</p>"
    labelled = client.set_page_label(page.id, "client-made")
    assert "client-made" in [lab["name"] for lab in labelled["results"]]


def test_personal_access_token(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    pat = emu.site.issue_token("admin", "pat")
    with_pat = confluence(url=base_url, token=pat, cloud=False)
    assert with_pat.get_space("OPS", expand=None)["key"] == "OPS"
    me = with_pat.get("rest/api/user/current")
    assert me["username"] == "admin"
    assert me["type"] == "known"
    wrong = confluence(url=base_url, token="not-a-token", cloud=False)
    with pytest.raises(Exception, match=r"401|Unauthorized|authentication"):
        wrong.get_space("OPS", expand=None)
