"""Writes in both flavours: create, update (version + 1, conflicts), move, trash, labels, files."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator_kit import make_emulator, page_id
from test_client_kit import client_on, token_for

from radex.confluence.client import ConfluenceClient
from radex.confluence.emulator import ops
from radex.confluence.emulator.app import Emulator
from radex.errors import ConflictError, InputError


@pytest.fixture(params=["cloud", "dc"])
def emu(request: pytest.FixtureRequest) -> Emulator:
    extra = {"legacy_v1": "gone"} if request.param == "cloud" else {}
    return make_emulator(request.param, **extra)


@pytest.fixture
async def alice(emu: Emulator) -> AsyncIterator[ConfluenceClient]:
    async with client_on(emu, token_for(emu, "alice")) as client:
        yield client


async def test_create_page_and_blog_post(emu: Emulator, alice: ConfluenceClient) -> None:
    home = page_id(emu, "Engineering Home")
    page = await alice.create_page("ENG", "Runbook", "<p>step 1</p>", parent_id=home)
    assert (page.title, page.version.number, page.parent_id) == ("Runbook", 1, home)
    stored = emu.site.content[page.id]
    assert (stored.title, stored.body, stored.parent_id) == ("Runbook", "<p>step 1</p>", home)
    assert stored.author == "alice"
    listed = {p.title: p.body async for p in alice.pages("ENG")}
    assert listed["Runbook"] == "<p>step 1</p>"
    post = await alice.create_page("ENG", "Weekly notes", "<p>hi</p>", kind="blogpost")
    assert post.kind == "blogpost"
    assert emu.site.content[post.id].type == "blogpost"
    with pytest.raises(InputError):
        await alice.create_page("ENG", "Runbook", "<p>again</p>")  # title taken in the space
    with pytest.raises(InputError):
        await alice.create_page("ENG", "  ", "<p>x</p>")


async def test_update_writes_version_plus_one(emu: Emulator, alice: ConfluenceClient) -> None:
    pid = page_id(emu, "Rollback")
    page = await alice.update_page(pid, version=1, body="<p>new</p>", message="clearer")
    assert page.version.number == 2
    assert page.body == "<p>new</p>"
    stored = emu.site.content[pid]
    assert (stored.version, stored.body, stored.current.message) == (2, "<p>new</p>", "clearer")
    assert stored.title == "Rollback"
    renamed = await alice.update_page(pid, version=2, title="Rolling back")
    assert renamed.version.number == 3
    assert emu.site.content[pid].body == "<p>new</p>"


async def test_stale_version_is_a_conflict_and_writes_nothing(
    emu: Emulator, alice: ConfluenceClient
) -> None:
    pid = page_id(emu, "Deployment guide")  # at version 3
    before = emu.site.content[pid].body
    with pytest.raises(ConflictError) as err:
        await alice.update_page(pid, version=2, body="<p>mine</p>")
    assert "version 3" in err.value.message
    assert "based on version 2" in err.value.message
    assert "re-read" in (err.value.hint or "")
    assert emu.site.content[pid].version == 3
    assert emu.site.content[pid].body == before


async def test_a_write_racing_another_is_reported_not_forced(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")

    async def someone_else_saves_first(request: httpx.Request) -> None:
        if request.method == "PUT" and pid in request.url.path:
            content = emu.site.content[pid]
            dave = emu.site.users["dave"]
            ops.update_content(
                emu.site, dave, content, version_number=content.version + 1, body="<p>theirs</p>"
            )

    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app),
        event_hooks={"request": [someone_else_saves_first]},
    )
    async with http, client_on(emu, token_for(emu, "alice"), http=http) as client:
        with pytest.raises(ConflictError) as err:
            await client.update_page(pid, version=1, body="<p>mine</p>")
    assert "version 2" in err.value.message
    assert emu.site.content[pid].body == "<p>theirs</p>"  # theirs was kept, ours not forced


class _LoseFirstPutResponse(httpx.AsyncBaseTransport):
    """Delivers the first PUT, then pretends the response never came back."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.puts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "PUT":
            self.puts += 1
            if self.puts == 1:
                await response.aread()
                raise httpx.ReadTimeout("response lost", request=request)
        return response


async def test_a_retried_write_that_already_landed_is_not_a_conflict(emu: Emulator) -> None:
    pid = page_id(emu, "Rollback")
    transport = _LoseFirstPutResponse(httpx.ASGITransport(app=emu.app))
    async with (
        httpx.AsyncClient(transport=transport) as http,
        client_on(emu, token_for(emu, "alice"), http=http) as client,
    ):
        page = await client.update_page(pid, version=1, body="<p>once</p>")
    assert transport.puts == 2
    assert page.version.number == 2
    assert page.body == "<p>once</p>"
    assert emu.site.content[pid].version == 2


async def test_move_page(emu: Emulator, alice: ConfluenceClient) -> None:
    home = page_id(emu, "Engineering Home")
    pid = page_id(emu, "Rollback")
    moved = await alice.move_page(pid, home)
    assert moved.parent_id == home
    assert emu.site.content[pid].parent_id == home
    assert emu.site.content[pid].body == "<p>Use <code>make rollback</code>.</p>"
    assert [a.id for a in await alice.ancestors(pid)] == [home]


async def test_trash_and_list_trash(emu: Emulator, alice: ConfluenceClient) -> None:
    pid = page_id(emu, "Rollback")
    await alice.trash(pid)
    assert emu.site.content[pid].status == "trashed"
    assert pid not in {p.id async for p in alice.pages("ENG")}
    trashed = [p async for p in alice.trashed("ENG")]
    assert [(p.id, p.status) for p in trashed] == [(pid, "trashed")]


async def test_labels_add_and_remove(emu: Emulator, alice: ConfluenceClient) -> None:
    pid = page_id(emu, "Rollback")
    now = await alice.add_labels(pid, ["Ops", "howto"])
    assert {lab.name for lab in now} >= {"ops", "howto"}
    assert {lab.name async for lab in alice.labels(pid)} == {"ops", "howto"}
    await alice.remove_label(pid, "ops")
    await alice.remove_label(pid, "never-there")  # absent: nothing to do, no error
    assert [lab.name async for lab in alice.labels(pid)] == ["howto"]
    with pytest.raises(InputError):
        await alice.add_labels(pid, ["two words"])


async def test_upload_attachment_new_and_new_version(
    emu: Emulator, alice: ConfluenceClient
) -> None:
    pid = page_id(emu, "Rollback")
    first = await alice.upload_attachment(
        pid, "notes.txt", b"v1 text", media_type="text/plain", comment="first"
    )
    assert (first.filename, first.container_id, first.version.number) == ("notes.txt", pid, 1)
    second = await alice.upload_attachment(pid, "notes.txt", b"v2 text", media_type="text/plain")
    assert second.version.number == 2
    assert second.id == first.id
    listed = [a async for a in alice.attachments(pid)]
    assert [(a.filename, a.version.number) for a in listed] == [("notes.txt", 2)]
    assert await alice.download(listed[0]) == b"v2 text"
