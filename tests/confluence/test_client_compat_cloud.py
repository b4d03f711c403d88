"""atlassian-python-api (a real third-party client) against the Cloud emulator over loopback HTTP.

Two generations of the library are in use and both are driven exactly as their users drive
them; the installed one is picked at import time:

- 5.x: ``Confluence(url, cloud=True, api_version=2)`` is ``ConfluenceCloud``, which reads and
  writes through ``/wiki/api/v2``; for CQL, label writes and attachment listings its classic
  Cloud client calls ``/wiki/rest/api`` relative to the URL it is given.
- 4.x (what the bench extras pin, via llama-index-readers-confluence): ``Confluence(url,
  cloud=True)`` calls the classic ``/wiki/rest/api`` paths, and pages through a space with
  ``get_all_pages_by_space_ids_confluence_cloud`` over ``/wiki/api/v2/pages``.

Either way the library talks HTTP to what it believes is Confluence Cloud; the emulator must
answer every path it calls as Confluence does. Its own ``get``/``put`` transport is also used
on v2 paths to check error handling (409, 400) the way a caller of the library sees it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from emulator_kit import make_emulator
from requests import HTTPError

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.model import Content, User
from radex.confluence.emulator.serve import running

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from atlassian import Confluence

LIB_MAJOR = int(version("atlassian-python-api").split(".")[0])
PAGES = 320


def _quiet(factory: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return factory(*args, **kwargs)


class Library:
    """One generation of the library, used through its own public methods."""

    def __init__(self, base_url: str, user: User) -> None:
        self.base_url = base_url  # http://127.0.0.1:PORT/wiki
        self.login = (user.email, user.secret)

    def transport(self) -> Any:
        """A client whose ``get``/``put`` resolve paths against ``/wiki``."""
        raise NotImplementedError

    def space_keys(self) -> list[str]:
        raise NotImplementedError

    def page(self, page_id: str) -> tuple[str, str, int]:
        """(title, storage body, version number)."""
        raise NotImplementedError

    def space_page_ids(self, space_key: str, space_id: str) -> list[str]:
        """Every current page of a space, through the library's pagination."""
        raise NotImplementedError

    def labels(self, page_id: str) -> set[str]:
        raise NotImplementedError

    def attachments(self, page_id: str) -> dict[str, int]:
        """Attachment title → file size."""
        raise NotImplementedError

    def cql(self, query: str) -> set[str]:
        raise NotImplementedError

    def add_label(self, page_id: str, name: str) -> None:
        raise NotImplementedError

    def update(self, page_id: str, title: str, body: str, current_version: int) -> int:
        """Write a new version; returns its number."""
        raise NotImplementedError


class Library5(Library):
    """atlassian-python-api 5.x: ``ConfluenceCloud`` (v2) plus its classic Cloud client."""

    def v2(self) -> Any:
        return _quiet(
            Confluence, url=self.base_url, username=self.login[0], password=self.login[1],
            cloud=True, api_version=2,
        )  # fmt: skip

    def classic(self) -> Any:
        return _quiet(
            Confluence, url=f"{self.base_url}/rest/api", username=self.login[0],
            password=self.login[1], cloud=True,
        )  # fmt: skip

    def transport(self) -> Any:
        return self.v2()

    def space_keys(self) -> list[str]:
        return [s["key"] for s in self.v2().get_spaces(limit=2)]

    def page(self, page_id: str) -> tuple[str, str, int]:
        client = self.v2()
        got = client.get_page_by_id(page_id, body_format="storage")
        # The client renders get_body=False as body-format=none, which Confluence refuses.
        with pytest.raises(HTTPError) as refused:
            client.get_page_by_id(page_id, get_body=False)
        assert refused.value.response.status_code == 400
        return got["title"], got["body"]["storage"]["value"], got["version"]["number"]

    def space_page_ids(self, space_key: str, space_id: str) -> list[str]:
        pages = self.v2().get_pages(space_id=space_id, body_format="storage", limit=25)
        assert all(p["body"]["storage"]["representation"] == "storage" for p in pages)
        return [p["id"] for p in pages]

    def labels(self, page_id: str) -> set[str]:
        return {lab["name"] for lab in self.v2().get_page_labels(page_id)}

    def attachments(self, page_id: str) -> dict[str, int]:
        client = self.v2()
        found = client.get(f"api/v2/pages/{page_id}/attachments")["results"]
        classic = self.classic().get_attachments(page_id)["results"]
        assert {a["title"] for a in classic} == {a["title"] for a in found}
        return {a["title"]: a["fileSize"] for a in found}

    def cql(self, query: str) -> set[str]:
        # ConfluenceCloud.search() calls /wiki/api/v2/search, which Confluence does not have.
        with pytest.raises(HTTPError) as missing:
            self.v2().search(query="", cql=query)
        assert missing.value.response.status_code == 404
        return {r["id"] for r in self.classic().cql(query)["results"]}

    def add_label(self, page_id: str, name: str) -> None:
        self.classic().add_content_labels(page_id, [{"prefix": "global", "name": name}])

    def update(self, page_id: str, title: str, body: str, current_version: int) -> int:
        client = self.v2()
        updated = client.update_page(
            page_id, title=title, body=body, status="current", version=current_version
        )
        assert updated["version"]["message"] == "Updated via Python API"
        # An update without a status is refused, as Confluence Cloud refuses it.
        with pytest.raises(HTTPError) as no_status:
            client.update_page(page_id, body="<p>y</p>", version=current_version + 1)
        assert no_status.value.response.status_code == 400
        return int(updated["version"]["number"])


class Library4(Library):
    """atlassian-python-api 4.x: the classic ``Confluence`` client in Cloud mode."""

    def client(self) -> Any:
        return _quiet(
            Confluence, url=self.base_url, username=self.login[0], password=self.login[1],
            cloud=True,
        )  # fmt: skip

    def transport(self) -> Any:
        return self.client()

    def space_keys(self) -> list[str]:
        return [s["key"] for s in self.client().get_all_spaces(limit=2)["results"]] + [
            s["key"] for s in self.client().get_all_spaces(start=2, limit=50)["results"]
        ]

    def page(self, page_id: str) -> tuple[str, str, int]:
        got = self.client().get_page_by_id(page_id, expand="body.storage,version")
        return got["title"], got["body"]["storage"]["value"], got["version"]["number"]

    def space_page_ids(self, space_key: str, space_id: str) -> list[str]:
        pages = self.client().get_all_pages_by_space_ids_confluence_cloud(
            [space_id], batch_size=40, status="current", body_format="storage"
        )
        assert all(p["body"]["storage"]["representation"] == "storage" for p in pages)
        return [p["id"] for p in pages]

    def labels(self, page_id: str) -> set[str]:
        return {lab["name"] for lab in self.client().get_page_labels(page_id)["results"]}

    def attachments(self, page_id: str) -> dict[str, int]:
        found = self.client().get_attachments_from_content(page_id)["results"]
        return {a["title"]: a["extensions"]["fileSize"] for a in found}

    def cql(self, query: str) -> set[str]:
        return {r["content"]["id"] for r in self.client().cql(query)["results"]}

    def add_label(self, page_id: str, name: str) -> None:
        self.client().set_page_label(page_id, name)

    def update(self, page_id: str, title: str, body: str, current_version: int) -> int:
        updated = self.client().update_page(page_id, title, body=body)
        return int(updated["version"]["number"])


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Emulator, Library]]:
    emu = make_emulator(fixture=generate_fixture(PAGES, seed=0))
    admin = next(u for u in emu.site.users.values() if u.admin)
    with running(emu) as base_url:
        lib = Library5(base_url, admin) if LIB_MAJOR >= 5 else Library4(base_url, admin)
        yield emu, lib


def labelled_page_with_attachments(emu: Emulator) -> Content:
    site = emu.site
    return next(
        c
        for c in sorted(site.content.values(), key=lambda c: int(c.id) if c.id.isdigit() else 0)
        if c.type == "page"
        and c.space_key == "ENG"
        and c.status == "current"
        and c.labels
        and site.children(c.id, "attachment")
    )


def test_lists_spaces(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    assert sorted(lib.space_keys()) == sorted(emu.site.spaces)


def test_reads_a_page_with_its_storage_body(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = labelled_page_with_attachments(emu)
    assert lib.page(page.id) == (page.title, page.body, page.version)


def test_pages_through_a_large_space(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    eng = emu.site.spaces["ENG"]
    expected = {c.id for c in emu.site.in_space("ENG", "page") if c.status == "current"}
    assert len(expected) >= 300
    seen = lib.space_page_ids("ENG", eng.id)
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_reads_labels_and_attachments(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = labelled_page_with_attachments(emu)
    assert lib.labels(page.id) >= {lab.name for lab in page.labels}
    files = lib.attachments(page.id)
    assert set(files) == {a.title for a in emu.site.children(page.id, "attachment")}
    # the v2 downloadLink, fetched with the library's own transport
    client = lib.transport()
    first = client.get(f"api/v2/pages/{page.id}/attachments")["results"][0]
    data = client.get(first["downloadLink"].lstrip("/"), not_json_response=True)
    assert isinstance(data, bytes)
    assert len(data) == first["fileSize"] == files[first["title"]]


def test_runs_a_cql_query(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = labelled_page_with_attachments(emu)
    label = page.labels[0].name
    found = lib.cql(f'type = page AND space = "ENG" AND label = "{label}"')
    tagged = {
        c.id
        for c in emu.site.in_space("ENG", "page")
        if c.status == "current" and label in {lab.name for lab in c.labels}
    }
    assert page.id in found
    assert found <= tagged


def test_adds_a_label_then_reads_it_back(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = labelled_page_with_attachments(emu)
    lib.add_label(page.id, "compat")
    assert "compat" in lib.labels(page.id)
    v2_labels = lib.transport().get(f"api/v2/pages/{page.id}/labels")["results"]
    assert "compat" in {lab["name"] for lab in v2_labels}


def test_updates_a_page(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = next(
        c for c in emu.site.in_space("ENG", "page") if c.status == "current" and not c.labels
    )
    title, _, number = lib.page(page.id)
    new = lib.update(page.id, title, "<p>Rewritten by atlassian-python-api.</p>", number)
    assert new == number + 1
    assert lib.page(page.id) == (title, "<p>Rewritten by atlassian-python-api.</p>", new)


def test_v2_conflict_reaches_the_library_as_409(site: tuple[Emulator, Library]) -> None:
    emu, lib = site
    page = next(
        c for c in emu.site.in_space("ENG", "page") if c.status == "current" and c.version > 1
    )
    stale = {
        "id": page.id,
        "status": "current",
        "title": page.title,
        "body": {"representation": "storage", "value": "<p>late</p>"},
        "version": {"number": page.version},
    }
    with pytest.raises(HTTPError) as conflict:
        lib.transport().put(f"api/v2/pages/{page.id}", data=stale)
    response = conflict.value.response
    assert response.status_code == 409
    assert response.json()["errors"][0]["title"] == (
        "Version must be incremented when updating a page. "
        f"Current Version: [{page.version}]. Provided version: [{page.version}]"
    )
