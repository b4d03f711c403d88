"""Data Center specifics of the v1 surface: context path, links, PATs, classic web UI paths."""

from __future__ import annotations

import base64

from emulator_kit import BASE, check_v1, client_for, make_emulator, page_id, v1


async def test_links_carry_the_context_path() -> None:
    emu = make_emulator("dc", context_path="/confluence")
    async with client_for(emu, "alice") as c:
        first = check_v1(emu, await c.get(v1(emu, "/content"), params={"limit": 1}))
        links = first["_links"]
        assert links["base"] == f"{BASE}/confluence"
        assert links["context"] == "/confluence"
        assert links["next"] == "/rest/api/content?limit=1&start=1"
        assert links["self"] == f"{BASE}/confluence/rest/api/content"
        second = check_v1(emu, await c.get(links["base"] + links["next"]))
        assert second["start"] == 1
        assert second["_links"]["prev"] == "/rest/api/content?limit=1&start=0"
        assert (await c.get("/rest/api/content")).status_code == 404


async def test_classic_web_ui_paths() -> None:
    emu = make_emulator("dc")
    blog = page_id(emu, "Release 1.0 shipped")
    guide = page_id(emu, "Deployment guide")
    async with client_for(emu, "alice") as c:
        post = check_v1(emu, await c.get(v1(emu, f"/content/{blog}")))
        assert post["_links"]["webui"] == "/display/ENG/2025/05/01/Release+1.0+shipped"
        odd = await c.post(
            v1(emu, "/content"),
            json={"type": "page", "title": "Q&A: what?", "space": {"key": "ENG"}},
        )
        made = check_v1(emu, odd, "POST")
        assert made["_links"]["webui"] == f"/pages/viewpage.action?pageId={made['id']}"
        assert made["_links"]["edit"] == f"/pages/resumedraft.action?draftId={made['id']}"
        assert made["extensions"] == {"position": "none"}
        comments = check_v1(emu, await c.get(v1(emu, f"/content/{guide}/child/comment")))
        cid = comments["results"][0]["id"]
        assert comments["results"][0]["_links"]["webui"] == (
            f"/display/ENG/Deployment+guide?focusedCommentId={cid}#comment-{cid}"
        )


async def test_personal_access_tokens_and_basic_auth() -> None:
    emu = make_emulator("dc")
    pat = emu.site.issue_token("carol", "pat")
    async with client_for(emu) as c:
        bearer = await c.get(v1(emu, "/user/current"), headers={"Authorization": f"Bearer {pat}"})
        assert check_v1(emu, bearer)["username"] == "carol"
        carol = emu.site.users["carol"]
        raw = base64.b64encode(f"carol:{carol.secret}".encode()).decode()
        basic = await c.get(v1(emu, "/space/OPS"), headers={"Authorization": f"Basic {raw}"})
        assert check_v1(emu, basic)["key"] == "OPS"
        nobody = await c.get(v1(emu, "/space/OPS"), headers={"Authorization": "Bearer nope"})
        assert nobody.status_code == 401


async def test_cloud_scoped_token_through_the_gateway() -> None:
    emu = make_emulator("cloud")
    alice = emu.site.users["alice"]
    token = emu.site.issue_token(
        "alice", "scoped", scopes=frozenset({"read:content-details:confluence"})
    )
    raw = base64.b64encode(f"{alice.email}:{token}".encode()).decode()
    pid = page_id(emu, "Deployment guide")
    gw = f"/ex/confluence/{emu.site.cloud_id}/wiki/rest/api"
    async with client_for(emu) as c:
        headers = {"Authorization": f"Basic {raw}"}
        history = await c.get(f"{gw}/content/{pid}/history", headers=headers)
        assert history.status_code == 200
        assert history.json()["_links"]["base"] == f"{BASE}{gw[: -len('/rest/api')]}"
        label = await c.post(f"{gw}/content/{pid}/label", json=[{"name": "x"}], headers=headers)
        assert label.status_code == 401
