"""v1 attachments: listing, uploads (XSRF header), versions, 302 download and the file URL."""

from __future__ import annotations

import re

import pytest
from emulator_kit import check_v1, client_for, make_emulator, page_id, v1

from radex.confluence.emulator.app import Emulator

FLAVOURS = [("cloud", ""), ("dc", ""), ("dc", "/confluence")]
NOCHECK = {"X-Atlassian-Token": "nocheck"}


@pytest.fixture(params=FLAVOURS, ids=["cloud", "dc", "dc-ctx"])
def emu(request: pytest.FixtureRequest) -> Emulator:
    """An emulator per flavour: Cloud, DC at the root, DC under /confluence."""
    flavor, context = request.param
    if flavor == "dc":
        return make_emulator("dc", context_path=context)
    return make_emulator("cloud")


def site_path(emu: Emulator, link: str) -> str:
    """A ``_links.download`` made into a request path on the test client."""
    return ("/wiki" if emu.config.flavor == "cloud" else emu.config.context_path) + link


async def test_list_attachments_shape_and_filters(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        body = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/child/attachment")))
        names = [a["title"] for a in body["results"]]
        assert names == ["checklist.txt", "diagram.png"]
        png = body["results"][1]
        assert png["id"].startswith("att")
        assert png["type"] == "attachment"
        assert png["extensions"]["mediaType"] == "image/png"
        assert png["metadata"]["mediaType"] == "image/png"
        assert png["version"]["number"] == 2
        assert png["container"]["id"] == pid
        link = png["_links"]["download"]
        assert re.fullmatch(
            rf"/download/attachments/{pid}/diagram\.png\?version=2&modificationDate=\d+&api=v2",
            link,
        )
        data = await c.get(site_path(emu, link))
        assert data.status_code == 200
        assert data.content.startswith(b"\x89PNG")
        assert data.headers["content-type"] == "image/png"
        assert png["extensions"]["fileSize"] == len(data.content)
        one = check_v1(
            emu,
            await c.get(
                v1(emu, f"/content/{pid}/child/attachment"), params={"filename": "checklist.txt"}
            ),
        )
        assert [a["title"] for a in one["results"]] == ["checklist.txt"]
        typed = check_v1(
            emu,
            await c.get(
                v1(emu, f"/content/{pid}/child/attachment"), params={"mediaType": "image/png"}
            ),
        )
        assert [a["title"] for a in typed["results"]] == ["diagram.png"]
        paged = check_v1(
            emu, await c.get(v1(emu, f"/content/{pid}/child/attachment"), params={"limit": 1})
        )
        assert paged["size"] == 1
        assert "next" in paged["_links"]


async def test_upload_requires_xsrf_header(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    files = {"file": ("notes.txt", b"hello", "text/plain")}
    async with client_for(emu, "alice") as c:
        url = v1(emu, f"/content/{pid}/child/attachment")
        denied = await c.post(url, files=files)
        assert denied.status_code == 403
        assert denied.json()["message"] == "XSRF check failed"
        wrong = await c.post(url, files=files, headers={"X-Atlassian-Token": "please"})
        assert wrong.status_code == 403
        made = await c.post(url, files=files, data={"comment": "first"}, headers=NOCHECK)
        body = check_v1(emu, made, "POST")
        att = body["results"][0]
        assert att["title"] == "notes.txt"
        assert att["version"]["number"] == 1
        assert att["extensions"]["comment"] == "first"
        assert att["extensions"]["fileSize"] == 5
        again = await c.post(url, files=files, headers={"X-Atlassian-Token": "no-check"})
        assert again.status_code == 400
        assert again.json()["message"].startswith(
            "Cannot add a new attachment with same file name as an existing attachment"
        )
        none = await c.post(url, data={"comment": "x"}, headers=NOCHECK)
        assert none.status_code == 400


async def test_put_versions_data_and_downloads(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    url = v1(emu, f"/content/{pid}/child/attachment")
    async with client_for(emu, "dave") as c:
        first = await c.put(url, files={"file": ("plan.csv", b"a,b\n1,2\n")}, headers=NOCHECK)
        att = check_v1(emu, first, "PUT")["results"][0]
        assert att["extensions"]["mediaType"] == "text/csv"
        second = await c.put(url, files={"file": ("plan.csv", b"a,b\n3,4\n")}, headers=NOCHECK)
        assert check_v1(emu, second, "PUT")["results"][0]["version"]["number"] == 2
        data_url = v1(emu, f"/content/{pid}/child/attachment/{att['id']}/data")
        third = await c.post(
            data_url, files={"file": ("ignored.csv", b"a,b\n5,6\n", "text/csv")}, headers=NOCHECK
        )
        updated = check_v1(emu, third, "POST")
        assert updated["title"] == "plan.csv"
        assert updated["version"]["number"] == 3
        current = await c.get(site_path(emu, updated["_links"]["download"]))
        assert current.content == b"a,b\n5,6\n"
        old = await c.get(
            site_path(emu, f"/download/attachments/{pid}/plan.csv"), params={"version": 1}
        )
        assert old.content == b"a,b\n1,2\n"
        missing = await c.get(
            site_path(emu, f"/download/attachments/{pid}/plan.csv"), params={"version": 9}
        )
        assert missing.status_code == 404
        redirect = await c.get(
            v1(emu, f"/content/{pid}/child/attachment/{att['id']}/download"),
            params={"version": 2},
        )
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert f"/download/attachments/{pid}/plan.csv?version=2&" in location
        followed = await c.get(location)
        assert followed.content == b"a,b\n3,4\n"
        wrong_page = await c.get(
            v1(emu, f"/content/{page_id(emu, 'Rollback')}/child/attachment/{att['id']}/download")
        )
        assert wrong_page.status_code == 404
        versions = check_v1(emu, await c.get(v1(emu, f"/content/{att['id']}/version")))
        assert [v["number"] for v in versions["results"]] == [3, 2, 1]


async def test_attachment_permissions(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    public = page_id(emu, "Public Home")
    async with client_for(emu, "carol") as c:
        made = await c.post(
            v1(emu, f"/content/{secret}/child/attachment"),
            files={"file": ("codes.txt", b"4242")},
            headers=NOCHECK,
        )
        link = check_v1(emu, made, "POST")["results"][0]["_links"]["download"]
        assert (await c.get(site_path(emu, link))).content == b"4242"
    async with client_for(emu, "alice") as c:
        assert (await c.get(site_path(emu, link))).status_code == 404
        hidden = await c.get(v1(emu, f"/content/{secret}/child/attachment"))
        assert hidden.status_code == 404
        readonly = await c.post(
            v1(emu, f"/content/{public}/child/attachment"),
            files={"file": ("x.txt", b"x")},
            headers=NOCHECK,
        )
        assert readonly.status_code == 403


async def test_deleting_an_attachment_removes_it() -> None:
    emu = make_emulator("dc")
    pid = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        listing = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/child/attachment")))
        att = listing["results"][0]
        assert (await c.delete(v1(emu, f"/content/{att['id']}"))).status_code == 204
        after = check_v1(emu, await c.get(v1(emu, f"/content/{pid}/child/attachment")))
        assert [a["title"] for a in after["results"]] == ["diagram.png"]
        gone = await c.get(v1(emu, f"/content/{att['id']}"), params={"status": "trashed"})
        assert gone.status_code == 404
