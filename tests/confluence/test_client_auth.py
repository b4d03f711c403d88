"""Every credential kind against the emulator, the OAuth dance end to end, and validate()."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from emulator_kit import BASE, make_emulator
from test_client_kit import (
    ALL_SCOPES,
    REDIRECT,
    asgi_http,
    basic_for,
    client_on,
    oauth_app,
    oauth_dance,
    scoped_for,
    token_for,
)

from radex.confluence.auth import (
    ApiToken,
    BasicAuth,
    OAuthTokens,
    PersonalAccessToken,
    SiteUrls,
    exchange_code,
    normalise_site_url,
    refresh_tokens,
)
from radex.confluence.client import ConfluenceClient, DataCenterClient
from radex.confluence.emulator.model import utcnow
from radex.confluence.emulator.serve import running
from radex.errors import AuthError, InputError


async def _space_keys(client: ConfluenceClient) -> list[str]:
    return sorted([s.key async for s in client.spaces()])


# ---- Cloud API tokens ---------------------------------------------------------------------------


async def test_cloud_api_token_is_sent_preemptively() -> None:
    emu = make_emulator("cloud")
    emu.site.anonymous_access = True  # anonymous would see PUB only: auth must be sent up front
    async with client_on(emu, token_for(emu, "alice")) as client:
        assert await _space_keys(client) == ["ENG", "PUB"]
        assert await client.api_root() == f"{BASE}/wiki"
        check = await client.validate()
    assert check.ok, check
    assert check.user is not None
    assert check.user.display_name == "Alice Adams"
    assert check.user.id == emu.site.users["alice"].account_id


async def test_scoped_token_goes_through_the_gateway_with_a_discovered_cloud_id() -> None:
    emu = make_emulator("cloud")
    async with client_on(emu, scoped_for(emu, "carol")) as client:
        root = await client.api_root()
        assert root == f"{BASE}/ex/confluence/{emu.site.cloud_id}/wiki"
        assert await _space_keys(client) == ["ENG", "OPS", "PUB"]
        titles = [p.title async for p in client.pages("OPS")]
        check = await client.validate()
    assert titles == ["Ops Home"]
    assert check.ok, check
    gateway_calls = [k for k in emu.requests if k.startswith("GET v2:/spaces")]
    assert gateway_calls


async def test_scoped_token_lacking_a_scope_is_named_by_validate() -> None:
    emu = make_emulator("cloud")
    scopes = frozenset({"read:space:confluence", "read:user:confluence"})
    async with client_on(emu, scoped_for(emu, "alice", scopes)) as client:
        check = await client.validate()
        with pytest.raises(AuthError) as err:
            await client.pages("ENG").collect()
    assert not check.ok
    assert check.problem == "missing_scope"
    assert check.missing_scopes == ("read:page:confluence",)
    assert "read:page:confluence" in check.hint
    assert "scope" in str(err.value)


async def test_scoped_token_used_on_the_site_is_explained() -> None:
    emu = make_emulator("cloud")
    user = emu.site.users["alice"]
    secret = emu.site.issue_token("alice", "scoped", scopes=ALL_SCOPES)
    async with client_on(emu, ApiToken(user.email, secret)) as client:
        check = await client.validate()
    assert check.problem == "wrong_credentials"
    assert "scoped" in check.hint


# ---- OAuth 2.0 (3LO) ----------------------------------------------------------------------------


async def test_authorization_url_carries_what_atlassian_requires() -> None:
    emu = make_emulator("cloud")
    request = oauth_app(emu).authorization_url(login_hint="bob")
    parts = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == emu.config.oauth_authorize_path
    assert query["audience"] == "api.atlassian.com"
    assert query["response_type"] == "code"
    assert query["prompt"] == "consent"
    assert query["redirect_uri"] == REDIRECT
    assert query["state"] == request.state
    assert len(request.state) >= 16
    assert "offline_access" in query["scope"].split()
    other = oauth_app(emu).authorization_url()
    assert other.state != request.state


async def test_oauth_dance_end_to_end() -> None:
    emu = make_emulator("cloud")
    saved: list[OAuthTokens] = []
    async with asgi_http(emu) as http:
        credential = await oauth_dance(emu, http, "carol", saved=saved)
        assert credential.cloud_id == emu.site.cloud_id
        assert len(saved) == 1
        assert saved[0].refresh_token
        async with client_on(emu, credential, http=http) as client:
            assert await _space_keys(client) == ["ENG", "OPS", "PUB"]
            pages = [p.title async for p in client.pages("ENG")]
            assert "On-call roster" in pages  # carol is in sre
            check = await client.validate()
    assert check.ok
    assert check.user is not None
    assert check.user.id == emu.site.users["carol"].account_id


async def test_oauth_refreshes_before_expiry_and_hands_over_rotated_tokens() -> None:
    emu = make_emulator("cloud")
    saved: list[OAuthTokens] = []
    now = [1_000_000.0]
    async with asgi_http(emu) as http:
        credential = await oauth_dance(emu, http, "alice", saved=saved, clock=lambda: now[0])
        first = saved[-1]
        async with client_on(emu, credential, http=http) as client:
            await client.space("ENG")
            assert credential.refreshes == 0
            now[0] += 3600 - 30  # inside the refresh margin
            await client.page(next(iter(emu.site.content)))
            assert credential.refreshes == 1
            assert len(saved) == 2
            second = saved[-1]
            assert second.refresh_token != first.refresh_token
            assert second.access_token != first.access_token
            assert credential.tokens is second
        # the old refresh token was used up by the rotation
        with pytest.raises(AuthError) as err:
            await refresh_tokens(oauth_app(emu), http, first.refresh_token or "")
    assert "re-authorize" in (err.value.hint or "")


async def test_oauth_refreshes_once_after_a_401_even_under_concurrency() -> None:
    emu = make_emulator("cloud")
    saved: list[OAuthTokens] = []
    async with asgi_http(emu) as http:
        credential = await oauth_dance(emu, http, "alice", saved=saved)
        async with client_on(emu, credential, http=http) as client:
            await client.space("ENG")
            later = utcnow() + timedelta(hours=2)
            emu.site.clock = lambda: later  # the server now sees the access token as expired
            ids = [c.id for c in emu.site.content.values() if c.type == "page"][:2]
            pages = await asyncio.gather(*(client.page(i) for i in ids))
    assert [p.id for p in pages] == ids
    assert credential.refreshes == 1
    assert len(saved) == 2


async def test_oauth_errors_say_what_to_do() -> None:
    emu = make_emulator("cloud")
    app = oauth_app(emu)
    async with asgi_http(emu) as http:
        with pytest.raises(AuthError) as state:
            await exchange_code(app, http, "c", returned_state="x", expected_state="y")
        with pytest.raises(AuthError) as code:
            await exchange_code(app, http, "not-a-code")
        bad = type(app)(**{**app.__dict__, "client_secret": "wrong"})
        with pytest.raises(AuthError) as secret:
            await exchange_code(bad, http, "whatever")
    assert "state" in state.value.message
    assert "start the authorization again" in (code.value.hint or "")
    assert "client id and secret" in (secret.value.hint or "")


async def test_oauth_without_offline_access_cannot_refresh() -> None:
    emu = make_emulator("cloud")
    scopes = ALL_SCOPES - {"offline_access"}
    now = [1_000_000.0]
    async with asgi_http(emu) as http:
        credential = await oauth_dance(emu, http, "alice", scopes=scopes, clock=lambda: now[0])
        assert credential.tokens.refresh_token is None
        async with client_on(emu, credential, http=http) as client:
            now[0] += 7200
            with pytest.raises(AuthError) as err:
                await client.space("ENG")
    assert "offline_access" in (err.value.hint or "")


# ---- Data Center --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pat", "basic"])
async def test_dc_pat_and_basic(kind: str) -> None:
    emu = make_emulator("dc")
    credential = token_for(emu, "carol") if kind == "pat" else basic_for(emu, "carol")
    async with client_on(emu, credential) as client:
        assert await _space_keys(client) == ["ENG", "OPS", "PUB"]
        check = await client.validate()
    assert check.ok
    assert check.user is not None
    assert check.user.username == "carol"
    assert check.user.id == emu.site.users["carol"].user_key


async def test_dc_context_path() -> None:
    emu = make_emulator("dc", context_path="/confluence")
    async with client_on(emu, token_for(emu, "alice")) as client:
        assert client.urls.site.endswith("/confluence")
        titles = [p.title async for p in client.pages("ENG")]
    assert "Deployment guide" in titles


async def test_dc_bad_pat_answered_as_anonymous_is_detected() -> None:
    emu = make_emulator("dc")
    emu.site.anonymous_access = True
    async with client_on(emu, PersonalAccessToken("not-a-real-token")) as client:
        check = await client.validate()
    assert not check.ok
    assert check.problem == "anonymous"
    assert "anonymous" in check.message
    assert "token" in check.hint
    with pytest.raises(AuthError):
        check.raise_for_problem()


# ---- validate(): what is wrong, in words --------------------------------------------------------


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
async def test_validate_wrong_token(flavor: str) -> None:
    emu = make_emulator(flavor)  # type: ignore[arg-type]
    credential = (
        ApiToken("alice@example.com", "wrong") if flavor == "cloud" else BasicAuth("alice", "wrong")
    )
    async with client_on(emu, credential) as client:
        check = await client.validate()
    assert check.problem == "wrong_credentials"
    assert "rejected" in check.message


async def test_validate_expired_token() -> None:
    emu = make_emulator("cloud")
    user = emu.site.users["alice"]
    secret = emu.site.issue_token(
        "alice", "scoped", scopes=ALL_SCOPES, expires_at=utcnow() - timedelta(days=1)
    )
    async with client_on(emu, type(scoped_for(emu, "alice"))(user.email, secret)) as client:
        check = await client.validate()
    assert check.problem == "expired"
    assert "new token" in check.hint


@pytest.mark.parametrize(
    ("flavor", "client_kind", "context"),
    [("dc", "cloud", ""), ("cloud", "dc", ""), ("dc", "dc", "/confluence")],
)
async def test_validate_not_a_confluence_url(flavor: str, client_kind: str, context: str) -> None:
    emu = make_emulator(flavor, context_path=context)  # type: ignore[arg-type]
    credential = (
        ApiToken("alice@example.com", "x") if client_kind == "cloud" else BasicAuth("alice", "x")
    )
    async with asgi_http(emu) as http:
        client = ConfluenceClient.connect(SiteUrls(BASE, BASE, BASE), credential, http=http)
        check = await client.validate()
    assert check.problem == "not_confluence", check
    assert "not" in check.message
    assert check.hint
    with pytest.raises(InputError):
        check.raise_for_problem()


async def test_validate_unreachable_site() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    credential = PersonalAccessToken("x")
    client = ConfluenceClient.connect(f"http://127.0.0.1:{port}", credential, timeout=2)
    async with client:
        check = await client.validate()
    assert check.problem == "unreachable"
    assert f"127.0.0.1:{port}" in check.message


def test_credential_must_match_the_deployment() -> None:
    with pytest.raises(InputError) as err:
        DataCenterClient(SiteUrls(BASE), ApiToken("a@b.c", "t"))
    assert "Cloud" in err.value.message


def test_site_urls_are_normalised() -> None:
    assert normalise_site_url("acme.atlassian.net/wiki/spaces/ENG", "cloud") == (
        "https://acme.atlassian.net"
    )
    assert normalise_site_url("https://wiki.corp/confluence/display/ENG/Home", "dc") == (
        "https://wiki.corp/confluence"
    )
    assert normalise_site_url("http://h:8090/", "dc") == "http://h:8090"
    with pytest.raises(InputError):
        normalise_site_url("ftp://x", "dc")


def test_secrets_stay_out_of_reprs() -> None:
    creds: list[Any] = [
        ApiToken("a@b.c", "SECRET1"),
        PersonalAccessToken("SECRET2"),
        BasicAuth("u", "SECRET3"),
        OAuthTokens("SECRET4", 0.0, "SECRET5"),
    ]
    for cred in creds:
        assert "SECRET" not in repr(cred)


async def test_over_real_loopback_http() -> None:
    emu = make_emulator("cloud", latency_ms=1)
    user = emu.site.users["alice"]
    with running(emu) as base:
        origin = base.removesuffix("/wiki")
        client = ConfluenceClient.connect(
            SiteUrls(origin, origin, origin), ApiToken(user.email, user.secret)
        )
        async with client:
            pages = [p async for p in client.pages("ENG")]
            check = await client.validate()
    assert check.ok
    assert {p.title for p in pages} == {"Engineering Home", "Deployment guide", "Rollback"}
    assert all(p.body for p in pages)
    assert pages[0].web_url is not None
    assert pages[0].web_url.startswith(base)


async def test_dc_basic_over_loopback_http_with_context_path() -> None:
    emu = make_emulator("dc", context_path="/confluence")
    with running(emu) as base:
        client = ConfluenceClient.connect(base, basic_for(emu, "alice"))
        async with client:
            assert await _space_keys(client) == ["ENG", "PUB"]
