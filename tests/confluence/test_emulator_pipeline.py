"""The emulator's request pipeline: auth, gateway, OAuth 3LO, faults, limits and counters."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from radex.confluence.emulator import (
    EmulatorConfig,
    FaultSpec,
    RateLimitConfig,
    build_site,
    create_emulator,
)
from radex.confluence.emulator.app import Emulator
from radex.errors import InputError

FIXTURE: dict[str, Any] = {
    "users": [
        {
            "username": "alice",
            "display_name": "Alice",
            "email": "alice@example.com",
            "groups": ["eng"],
        },
        {"username": "bob", "display_name": "Bob", "email": "bob@example.com", "groups": []},
    ],
    "spaces": [
        {
            "key": "ENG",
            "name": "Engineering",
            "permissions": {"view": {"groups": ["eng"]}, "edit": {"groups": ["eng"]}},
            "pages": [{"title": "Home", "body": "<p>hello</p>"}],
        },
        {
            "key": "PUB",
            "name": "Public",
            "permissions": {"view": {"groups": ["eng"], "users": ["bob"], "anonymous": True}},
        },
    ],
}


def emulator(flavor: str = "cloud", **config: Any) -> Emulator:
    site = build_site(FIXTURE, flavor=flavor)  # type: ignore[arg-type]
    return create_emulator(site, EmulatorConfig(flavor=flavor, **config))  # type: ignore[arg-type]


@pytest.fixture
async def cloud() -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    emu = emulator("cloud")
    transport = httpx.ASGITransport(app=emu.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wiki.test") as client:
        yield emu, client


def basic(login: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_cloud_basic_auth_with_email_and_api_token(cloud: Any) -> None:
    emu, client = cloud
    alice = emu.site.users["alice"]
    ok = await client.get("/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret))
    assert ok.status_code == 200
    assert [s["key"] for s in ok.json()["results"]] == ["ENG", "PUB"]
    wrong = await client.get("/wiki/api/v2/spaces", headers=basic(alice.email, "nope"))
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["status"] == 401


async def test_space_visibility_follows_permissions(cloud: Any) -> None:
    emu, client = cloud
    bob = emu.site.users["bob"]
    resp = await client.get("/wiki/rest/api/space", headers=basic(bob.email, bob.secret))
    assert [s["key"] for s in resp.json()["results"]] == ["PUB"]


async def test_anonymous_is_refused_unless_the_site_allows_it(cloud: Any) -> None:
    emu, client = cloud
    assert (await client.get("/wiki/rest/api/space")).status_code == 401
    emu.site.anonymous_access = True
    resp = await client.get("/wiki/rest/api/space")
    assert resp.status_code == 200
    assert [s["key"] for s in resp.json()["results"]] == ["PUB"]


async def test_v1_error_body_has_confluence_shape(cloud: Any) -> None:
    _, client = cloud
    resp = await client.get("/wiki/rest/api/space", headers=basic("x@example.com", "y"))
    body = resp.json()
    assert resp.status_code == 401
    assert body["statusCode"] == 401
    assert body["data"]["successful"] is False
    assert isinstance(body["message"], str)


async def test_tenant_info_and_gateway_paths(cloud: Any) -> None:
    emu, client = cloud
    cloud_id = (await client.get("/_edge/tenant_info")).json()["cloudId"]
    assert cloud_id == emu.site.cloud_id
    alice = emu.site.users["alice"]
    scoped = emu.site.issue_token("alice", "scoped", scopes=frozenset({"read:space:confluence"}))
    gw = f"/ex/confluence/{cloud_id}/wiki/api/v2/spaces"
    assert (await client.get(gw, headers=basic(alice.email, scoped))).status_code == 200
    # scoped tokens only work through the gateway
    site_resp = await client.get("/wiki/api/v2/spaces", headers=basic(alice.email, scoped))
    assert site_resp.status_code == 401
    # unknown cloud id
    bad = await client.get(
        "/ex/confluence/nope/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret)
    )
    assert bad.status_code == 404
    # the v2 next link keeps the gateway prefix
    resp = await client.get(gw, params={"limit": 1}, headers=basic(alice.email, scoped))
    assert resp.json()["_links"]["next"].startswith(
        f"/ex/confluence/{cloud_id}/wiki/api/v2/spaces?"
    )


async def test_scoped_token_lacking_the_scope_is_refused(cloud: Any) -> None:
    emu, client = cloud
    alice = emu.site.users["alice"]
    token = emu.site.issue_token("alice", "scoped", scopes=frozenset({"write:page:confluence"}))
    resp = await client.get(
        f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2/spaces", headers=basic(alice.email, token)
    )
    assert resp.status_code == 401
    assert "scope" in resp.json()["errors"][0]["title"]


async def test_oauth_three_legged_dance_with_rotating_refresh_tokens(cloud: Any) -> None:
    emu, client = cloud
    emu.oauth.register("app", "s3cret", "http://127.0.0.1/callback")
    authz = await client.get(
        "/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": "app",
            "scope": "read:space:confluence offline_access",
            "redirect_uri": "http://127.0.0.1/callback",
            "state": "xyz",
            "response_type": "code",
            "prompt": "consent",
            "login_hint": "alice",
        },
    )
    assert authz.status_code == 302
    location = httpx.URL(authz.headers["location"])
    assert location.params["state"] == "xyz"
    form = {
        "grant_type": "authorization_code",
        "client_id": "app",
        "client_secret": "s3cret",
        "code": location.params["code"],
        "redirect_uri": "http://127.0.0.1/callback",
    }
    tokens = (await client.post("/oauth/token", json=form)).json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    # the code is single-use
    assert (await client.post("/oauth/token", json=form)).status_code == 403
    sites = (
        await client.get(
            "/oauth/token/accessible-resources", headers=bearer(tokens["access_token"])
        )
    ).json()
    assert sites[0]["id"] == emu.site.cloud_id
    assert "read:space:confluence" in sites[0]["scopes"]
    gw = f"/ex/confluence/{sites[0]['id']}/wiki/api/v2/spaces"
    assert (await client.get(gw, headers=bearer(tokens["access_token"]))).status_code == 200
    # OAuth tokens are refused on the site domain
    direct = await client.get("/wiki/api/v2/spaces", headers=bearer(tokens["access_token"]))
    assert direct.status_code == 401
    # deprecated v1 reads answer 410 through the OAuth gateway
    gone = await client.get(
        f"/ex/confluence/{emu.site.cloud_id}/wiki/rest/api/space",
        headers=bearer(tokens["access_token"]),
    )
    assert gone.status_code == 410
    refresh = {"grant_type": "refresh_token", "client_id": "app", "client_secret": "s3cret"}
    first = (
        await client.post(
            "/oauth/token", data={**refresh, "refresh_token": tokens["refresh_token"]}
        )
    ).json()
    assert first["refresh_token"] != tokens["refresh_token"]
    reused = await client.post(
        "/oauth/token", data={**refresh, "refresh_token": tokens["refresh_token"]}
    )
    assert reused.status_code == 403, "a used refresh token must not work twice"
    second = await client.post(
        "/oauth/token", data={**refresh, "refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200


async def test_expired_oauth_token_is_refused(cloud: Any) -> None:
    emu, client = cloud
    from datetime import UTC, datetime, timedelta

    token = emu.site.issue_token(
        "alice",
        "oauth",
        scopes=frozenset({"read:space:confluence"}),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    resp = await client.get(
        f"/ex/confluence/{emu.site.cloud_id}/wiki/api/v2/spaces", headers=bearer(token)
    )
    assert resp.status_code == 401


@pytest.mark.parametrize("context", ["", "/confluence"])
async def test_dc_pat_basic_and_anonymous_fallback(context: str) -> None:
    emu = emulator("dc", context_path=context)
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://dc.test"
    ) as c:
        url = f"{context}/rest/api/space"
        pat = await c.get(url, headers=bearer(alice.secret))
        assert pat.status_code == 200
        assert pat.json()["_links"]["base"] == f"http://dc.test{context}"
        assert pat.json()["_links"]["context"] == context
        assert (await c.get(url, headers=basic("alice", alice.secret))).status_code == 200
        assert (await c.get(url, headers=basic("alice", "wrong"))).status_code == 401
        assert (await c.get(url, headers=bearer("bad-pat"))).status_code == 401
        emu.site.anonymous_access = True
        # CONFSERVER-98199: a bad PAT on a site with anonymous access is served as anonymous
        anon = await c.get(url, headers=bearer("bad-pat"))
        assert anon.status_code == 200
        assert [s["key"] for s in anon.json()["results"]] == ["PUB"]


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [("429", 429, "1"), ("429-no-retry-after", 429, None), ("500", 500, None), ("503", 503, "1")],
)
async def test_each_fault_kind(kind: str, status: int, retry_after: str | None) -> None:
    emu = emulator("cloud", faults=FaultSpec.parse(f"{kind}:1.0"))
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://w.test"
    ) as c:
        resp = await c.get("/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret))
    assert resp.status_code == status
    assert resp.headers.get("retry-after") == retry_after
    assert emu.faults.injected[kind] == 1


async def test_timeout_fault_hangs_then_answers_504() -> None:
    emu = emulator("cloud", faults=FaultSpec.parse("timeout:1.0"), fault_timeout_s=0.05)
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://w.test"
    ) as c:
        resp = await c.get("/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret))
    assert resp.status_code == 504


def test_faults_are_deterministic_per_request_and_attempt() -> None:
    def run(seed: int) -> list[str | None]:
        emu = emulator("cloud", faults=FaultSpec.parse("429:0.3,500:0.2"), fault_seed=seed)
        return [emu.faults.decide("GET", f"/p/{i % 7}") for i in range(200)]

    assert run(1) == run(1)
    assert run(1) != run(2)
    decisions = run(3)
    assert 0.35 < sum(d is not None for d in decisions) / len(decisions) < 0.65


async def test_poison_content_always_fails() -> None:
    site = build_site(FIXTURE, flavor="cloud")
    home = next(c for c in site.content.values() if c.title == "Home")
    emu = create_emulator(
        site, EmulatorConfig(flavor="cloud", faults=FaultSpec.parse(f"poison:{home.id}"))
    )
    alice = site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://w.test"
    ) as c:
        for _ in range(3):
            resp = await c.get(
                f"/wiki/api/v2/pages/{home.id}", headers=basic(alice.email, alice.secret)
            )
            assert resp.status_code == 500


@pytest.mark.parametrize("spec", ["429", "bogus:0.1", "500:x", "500:1.5", "429:0.7,500:0.7"])
def test_bad_fault_specs_are_explained(spec: str) -> None:
    with pytest.raises(InputError):
        FaultSpec.parse(spec)


async def test_cloud_rate_limit_headers_and_429() -> None:
    emu = emulator("cloud", rate_limit=RateLimitConfig(capacity=5, fill_rate=1, interval_s=60))
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://w.test"
    ) as c:
        seen = [
            await c.get("/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret))
            for _ in range(6)
        ]
    assert [r.status_code for r in seen] == [200] * 5 + [429]
    assert seen[0].headers["x-ratelimit-limit"] == "5"
    assert seen[0].headers["x-ratelimit-remaining"] == "4"
    assert seen[4].headers["x-ratelimit-nearlimit"] == "true"
    last = seen[5]
    assert int(last.headers["retry-after"]) >= 1
    assert last.headers["ratelimit-reason"].startswith("confluence-quota")
    assert last.headers["x-ratelimit-reset"].endswith("Z")


async def test_dc_rate_limit_headers_on_every_response() -> None:
    emu = emulator("dc", rate_limit=RateLimitConfig(capacity=2, fill_rate=1, interval_s=30))
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://d.test"
    ) as c:
        seen = [await c.get("/rest/api/space", headers=bearer(alice.secret)) for _ in range(3)]
    assert [r.status_code for r in seen] == [200, 200, 429]
    for r in seen:
        assert r.headers["x-ratelimit-interval-seconds"] == "30"
        assert r.headers["x-ratelimit-fillrate"] == "1"
    assert seen[0].headers["retry-after"] == "0"
    assert int(seen[2].headers["retry-after"]) > 0


@pytest.mark.parametrize(("mode", "status"), [("warn", 200), ("serve", 200), ("gone", 410)])
async def test_deprecated_cloud_v1_reads(mode: str, status: int) -> None:
    emu = emulator("cloud", legacy_v1=mode)
    alice = emu.site.users["alice"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://w.test"
    ) as c:
        resp = await c.get("/wiki/rest/api/space", headers=basic(alice.email, alice.secret))
    assert resp.status_code == status
    assert ("deprecation" in resp.headers) == (mode == "warn")
    if mode == "warn":
        assert resp.headers["warning"].startswith('299 - "Deprecated API')


async def test_request_counters_and_stats_endpoint(cloud: Any) -> None:
    emu, client = cloud
    alice = emu.site.users["alice"]
    for _ in range(3):
        await client.get("/wiki/api/v2/spaces", headers=basic(alice.email, alice.secret))
    stats = (await client.get("/_emulator/stats")).json()
    assert stats["requests"]["GET v2:/spaces"] == 3
    assert stats["total"] == 3
    await client.post("/_emulator/stats/reset")
    assert (await client.get("/_emulator/stats")).json()["total"] == 0
