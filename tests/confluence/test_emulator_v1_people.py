"""v1 restrictions, permission check, users and groups in both identity styles."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from emulator_kit import SITE, check_v1, client_for, make_emulator, page_id, v1

from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.model import Flavor, User

FLAVOURS = [("cloud", ""), ("dc", ""), ("dc", "/confluence")]


@pytest.fixture(params=FLAVOURS, ids=["cloud", "dc", "dc-ctx"])
def emu(request: pytest.FixtureRequest) -> Emulator:
    """An emulator per flavour: Cloud, DC at the root, DC under /confluence."""
    flavor, context = request.param
    if flavor == "dc":
        return make_emulator("dc", context_path=context)
    return make_emulator("cloud")


def ref(emu: Emulator, username: str) -> dict[str, str]:
    """How a request body names a user in this flavour."""
    user = emu.site.users[username]
    if emu.config.flavor == "cloud":
        return {"type": "known", "accountId": user.account_id}
    return {"type": "known", "username": user.username}


def user_query(emu: Emulator, username: str) -> dict[str, str]:
    """How a query string names a user in this flavour."""
    user = emu.site.users[username]
    if emu.config.flavor == "cloud":
        return {"accountId": user.account_id}
    return {"username": user.username}


def status(response: httpx.Response, code: int) -> dict[str, Any]:
    """Assert a v1 error body with this status and return it."""
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == code
    return body


# ---- restrictions ----------------------------------------------------------------------------


async def test_restrictions_by_operation(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    async with client_for(emu, "carol") as c:
        params = {"expand": "restrictions.user,restrictions.group"}
        body = check_v1(
            emu,
            await c.get(v1(emu, f"/content/{secret}/restriction/byOperation"), params=params),
        )
        read, update = body["read"], body["update"]
        assert read["operation"] == "read"
        assert [g["name"] for g in read["restrictions"]["group"]["results"]] == ["sre"]
        assert read["restrictions"]["user"]["results"] == []
        carol = update["restrictions"]["user"]["results"][0]
        if emu.config.flavor == "cloud":
            assert carol["accountId"] == emu.site.users["carol"].account_id
            assert read["restrictions"]["group"]["results"][0]["id"]
        else:
            assert carol["username"] == "carol"
            assert carol["userKey"]
        bare = check_v1(emu, await c.get(v1(emu, f"/content/{secret}/restriction/byOperation")))
        # users and groups are expanded by default (clients such as LangChain's loader rely on it)
        assert bare["read"]["restrictions"] == read["restrictions"]
        one = check_v1(
            emu,
            await c.get(
                v1(emu, f"/content/{secret}/restriction/byOperation/update"),
                params={"expand": "restrictions.user"},
            ),
        )
        assert one["operation"] == "update"
        assert one["restrictions"]["user"]["size"] == 1
        listing = check_v1(emu, await c.get(v1(emu, f"/content/{secret}/restriction")))
        assert [r["operation"] for r in listing["results"]] == ["read", "update"]
        assert listing["restrictionsHash"]
        assert (
            await c.get(v1(emu, f"/content/{secret}/restriction/byOperation/dance"))
        ).status_code == 400
    async with client_for(emu, "alice") as c:
        hidden = await c.get(v1(emu, f"/content/{secret}/restriction/byOperation"))
        status(hidden, 404)


async def test_restrictions_replace_add_and_remove(emu: Emulator) -> None:
    pid = page_id(emu, "Deployment guide")
    url = v1(emu, f"/content/{pid}/restriction")
    async with client_for(emu, "alice") as c:
        replaced = await c.put(
            url,
            json=[
                {
                    "operation": "update",
                    "restrictions": {"user": [ref(emu, "alice")], "group": []},
                },
                {
                    "operation": "read",
                    "restrictions": {
                        "user": [ref(emu, "alice")],
                        "group": [{"type": "group", "name": "sre"}],
                    },
                },
            ],
        )
        body = check_v1(emu, replaced, "PUT")
        read = body["results"][0]
        assert [g["name"] for g in read["restrictions"]["group"]["results"]] == ["sre"]
        assert read["restrictions"]["user"]["size"] == 1
        assert emu.site.content[pid].restrictions["update"].users == {"alice"}
        self_lockout = await c.put(
            url,
            json={
                "results": [{"operation": "read", "restrictions": {"user": [ref(emu, "carol")]}}]
            },
        )
        assert "your own access" in status(self_lockout, 400)["message"]
        added = await c.post(
            url,
            json=[
                {"operation": "update", "restrictions": {"user": {"results": [ref(emu, "dave")]}}},
                {"operation": "read", "restrictions": {"user": [ref(emu, "dave")]}},
            ],
        )
        check_v1(emu, added, "POST")
        assert emu.site.content[pid].restrictions["update"].users == {"alice", "dave"}
        unknown = await c.post(
            url, json=[{"operation": "read", "restrictions": {"group": [{"name": "nobody"}]}}]
        )
        status(unknown, 400)
    async with client_for(emu, "bob") as c:  # bob cannot even see ENG
        status(await c.delete(url), 404)
    async with client_for(emu, "dave") as c:  # dave may edit, so he may clear them
        cleared = check_v1(emu, await c.delete(url), "DELETE")
        assert all(r["restrictions"]["user"]["size"] == 0 for r in cleared["results"])
    assert emu.site.content[pid].restrictions["read"].is_empty()


async def test_restrictions_need_edit_rights(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    emu.site.users["dave"].groups.add("sre")  # dave can read the page but not edit it
    async with client_for(emu, "dave") as c:
        denied = await c.delete(v1(emu, f"/content/{secret}/restriction"))
        status(denied, 403)


async def test_single_subject_restriction_endpoints(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    base = v1(emu, f"/content/{secret}/restriction/byOperation")
    async with client_for(emu, "carol") as c:
        has = await c.get(f"{base}/update/user", params=user_query(emu, "carol"))
        assert has.status_code == 200
        status(await c.get(f"{base}/update/user", params=user_query(emu, "dave")), 404)
        put = await c.put(f"{base}/update/user", params=user_query(emu, "dave"))
        assert put.status_code == 200
        assert emu.site.content[secret].restrictions["update"].users == {"carol", "dave"}
        assert (
            await c.delete(f"{base}/update/user", params=user_query(emu, "dave"))
        ).status_code == 200
        assert (await c.get(f"{base}/read/group/sre")).status_code == 200
        status(await c.get(f"{base}/read/group/eng"), 404)
        assert (await c.put(f"{base}/read/group/eng")).status_code == 200
        assert emu.site.content[secret].restrictions["read"].groups == {"sre", "eng"}
        if emu.config.flavor == "cloud":
            gid = emu.site.groups["eng"].id
            assert (await c.get(f"{base}/read/byGroupId/{gid}")).status_code == 200
            assert (await c.delete(f"{base}/read/byGroupId/{gid}")).status_code == 200
            assert emu.site.content[secret].restrictions["read"].groups == {"sre"}


async def test_permission_check(emu: Emulator) -> None:
    secret = page_id(emu, "Incident secrets")
    url = v1(emu, f"/content/{secret}/permission/check")
    alice, carol = emu.site.users["alice"], emu.site.users["carol"]

    def ident(user: User) -> str:
        return user.account_id if emu.config.flavor == "cloud" else user.username

    async with client_for(emu, "carol") as c:
        no = await c.post(
            url, json={"subject": {"type": "user", "identifier": ident(alice)}, "operation": "read"}
        )
        body = check_v1(emu, no, "POST")
        assert body["hasPermission"] is False
        assert body["errors"][0]["translation"] == "User does not have permission to the content"
        yes = await c.post(
            url,
            json={"subject": {"type": "user", "identifier": ident(carol)}, "operation": "update"},
        )
        assert check_v1(emu, yes, "POST") == {"hasPermission": True}
        group = await c.post(
            url, json={"subject": {"type": "group", "identifier": "sre"}, "operation": "read"}
        )
        grouped = check_v1(emu, group, "POST")  # sre alone cannot view the ENG space
        assert grouped["hasPermission"] is False
        assert grouped["errors"][0]["translation"] == "Group does not have permission to the space"
        guide = v1(emu, f"/content/{page_id(emu, 'Deployment guide')}/permission/check")
        eng = await c.post(
            guide, json={"subject": {"type": "group", "identifier": "eng"}, "operation": "update"}
        )
        assert check_v1(emu, eng, "POST") == {"hasPermission": True}
        anon = await c.post(
            url,
            json={"subject": {"type": "user", "identifier": "anonymous"}, "operation": "read"},
        )
        assert check_v1(emu, anon, "POST")["errors"][0]["translation"].startswith("Anonymous")
        bad = await c.post(
            url, json={"subject": {"type": "user", "identifier": "x"}, "operation": "fly"}
        )
        status(bad, 400)
    async with client_for(emu, "alice") as c:
        status(await c.post(url, json={"subject": {}, "operation": "read"}), 404)


# ---- users and groups ------------------------------------------------------------------------


async def test_user_lookup_per_flavour(emu: Emulator) -> None:
    alice = emu.site.users["alice"]
    async with client_for(emu, "bob") as c:
        body = check_v1(emu, await c.get(v1(emu, "/user"), params=user_query(emu, "alice")))
        assert body["displayName"] == "Alice Adams"
        assert body["type"] == "known"
        me = check_v1(emu, await c.get(v1(emu, "/user/current")))
        assert me["displayName"] == "Bob Brown"
        if emu.config.flavor == "cloud":
            assert body["accountId"] == alice.account_id
            assert "username" not in body
            assert body["email"] == "alice@example.com"
            assert body["publicName"]
            status(await c.get(v1(emu, "/user"), params={"username": "alice"}), 400)
            status(await c.get(v1(emu, "/user"), params={"accountId": "nope"}), 404)
            bulk = check_v1(
                emu,
                await c.get(
                    v1(emu, "/user/bulk"),
                    params=[("accountId", alice.account_id), ("accountId", "nope")],
                ),
            )
            assert [u["displayName"] for u in bulk["results"]] == ["Alice Adams"]
        else:
            assert body["username"] == "alice"
            assert body["userKey"] == alice.user_key
            assert "accountId" not in body
            by_key = check_v1(emu, await c.get(v1(emu, "/user"), params={"key": alice.user_key}))
            assert by_key["username"] == "alice"
            status(await c.get(v1(emu, "/user"), params={"username": "zed"}), 404)
            status(await c.get(v1(emu, "/user")), 400)
            assert (
                await c.get(v1(emu, "/user/bulk"), params={"accountId": "x"})
            ).status_code == 404
        anon = check_v1(emu, await c.get(v1(emu, "/user/anonymous")))
        assert anon["type"] == "anonymous"


async def test_current_user_when_anonymous() -> None:
    fixture = copy.deepcopy(SITE)
    fixture["anonymous_access"] = True
    flavors: tuple[Flavor, ...] = ("cloud", "dc")
    for flavor in flavors:
        emu = make_emulator(flavor, fixture)
        async with client_for(emu) as c:
            me = check_v1(emu, await c.get(v1(emu, "/user/current")))
            assert me["type"] == "anonymous"
            status(await c.get(v1(emu, "/group")), 401)


async def test_groups_and_members(emu: Emulator) -> None:
    async with client_for(emu, "alice") as c:
        groups = check_v1(emu, await c.get(v1(emu, "/group")))
        names = [g["name"] for g in groups["results"]]
        assert {"eng", "sre", "confluence-administrators"} <= set(names)
        assert names == sorted(names)
        assert groups["limit"] == 200
        one = check_v1(emu, await c.get(v1(emu, "/group/sre")))
        assert one == {**one, "type": "group", "name": "sre"}
        status(await c.get(v1(emu, "/group/nobody")), 404)
        members = check_v1(emu, await c.get(v1(emu, "/group/eng/member")))
        assert [u["displayName"] for u in members["results"]] == [
            "Alice Adams",
            "Carol Chen",
            "Dave Diaz",
        ]
        paged = check_v1(emu, await c.get(v1(emu, "/group/eng/member"), params={"limit": 2}))
        assert paged["size"] == 2
        assert "next" in paged["_links"]
        mine = check_v1(
            emu, await c.get(v1(emu, "/user/memberof"), params=user_query(emu, "carol"))
        )
        assert [g["name"] for g in mine["results"]] == ["eng", "sre"]
        if emu.config.flavor == "cloud":
            by_query = check_v1(emu, await c.get(v1(emu, "/group/member"), params={"name": "sre"}))
            assert [u["displayName"] for u in by_query["results"]] == ["Carol Chen"]
            gid = emu.site.groups["sre"].id
            by_id = check_v1(emu, await c.get(v1(emu, "/group/by-id"), params={"id": gid}))
            assert by_id["name"] == "sre"
            assert by_id["id"] == gid
            ids = check_v1(emu, await c.get(v1(emu, f"/group/{gid}/membersByGroupId")))
            assert ids["size"] == 1
        else:
            assert "id" not in one
            miss = await c.get(v1(emu, "/group/member"), params={"name": "sre"})
            assert miss.status_code == 404
