"""Checking a credential up front, and saying what is wrong in words a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx

from radex.confluence.client import parse
from radex.confluence.client.transport import error_message
from radex.errors import (
    AuthError,
    InputError,
    RadexError,
    RateLimitedError,
    TransientError,
    UpstreamError,
)
from radex.types import Person

if TYPE_CHECKING:
    from radex.confluence.client.base import ConfluenceClient

Problem = Literal[
    "unreachable",
    "not_confluence",
    "wrong_credentials",
    "expired",
    "missing_scope",
    "anonymous",
    "forbidden",
]
PROBE_STATUSES = (400, 401, 403, 404, 405, 410)


@dataclass(frozen=True)
class CredentialCheck:
    """The verdict on a credential: ok, or the problem with a message and a hint."""

    ok: bool
    message: str
    problem: Problem | None = None
    hint: str = ""
    user: Person | None = None
    missing_scopes: tuple[str, ...] = ()

    def raise_for_problem(self) -> None:
        """Raise the matching ``radex.errors`` error when the check failed."""
        if self.ok:
            return
        if self.problem == "unreachable":
            raise TransientError(self.message, hint=self.hint)
        if self.problem == "not_confluence":
            raise InputError(self.message, hint=self.hint)
        raise AuthError(self.message, hint=self.hint)


def _fail(problem: Problem, message: str, hint: str, **kw: object) -> CredentialCheck:
    return CredentialCheck(False, message, problem, hint, **kw)  # type: ignore[arg-type]


def _is_json(resp: httpx.Response) -> bool:
    return "json" in resp.headers.get("content-type", "")


def _judge_401(client: ConfluenceClient, resp: httpx.Response) -> CredentialCheck:
    said = error_message(resp)
    who = client.credential.describe()
    if "expired" in said.lower():
        return _fail(
            "expired",
            f"the {who} has expired (Confluence said: {said})",
            "create a new token (or authorize again) and save it in RADEX",
        )
    if "scope" in said.lower() and client.credential.kind == "api_token":
        return _fail(
            "wrong_credentials",
            f"Confluence refused the {who} on the site itself (it said: {said})",
            "this looks like a scoped API token: add it as a scoped token, which RADEX sends "
            "through api.atlassian.com",
        )
    if client.credential.kind == "pat":
        hint = "check the personal access token; create a new one under Profile › Settings"
    elif client.deployment == "dc":
        hint = "check the username and password"
    else:
        hint = "check the email address and the API token (id.atlassian.com › Security)"
    return _fail("wrong_credentials", f"Confluence rejected the {who} (it said: {said})", hint)


async def validate(client: ConfluenceClient) -> CredentialCheck:
    """Try the credential: who it is, and whether it can list spaces and pages."""
    try:
        root = await client.api_root()
        identity = await client.transport.request(
            "GET", f"{root}/rest/api/user/current", expect=PROBE_STATUSES, retries=0
        )
    except (TransientError, httpx.HTTPError) as exc:
        return _fail(
            "unreachable",
            f"could not reach {client.urls.site}: {exc}",
            "check the address and that this machine can reach it",
        )
    except InputError as exc:
        return _fail("not_confluence", exc.message, exc.hint or "")
    except AuthError as exc:
        return _fail("expired", exc.message, exc.hint or "authorize again")
    except (RateLimitedError, UpstreamError) as exc:
        return _fail("unreachable", exc.message, exc.hint or "try again later")
    where = f"{root}/rest/api"
    if identity.status_code in (404, 405, 410) or not _is_json(identity):
        return _fail(
            "not_confluence",
            f"{where} answered {identity.status_code} "
            f"({identity.headers.get('content-type', 'no content type')}): this is not the "
            "REST API of a Confluence site",
            "use the address you open Confluence at in a browser"
            + (
                ", including any context path such as /confluence"
                if client.deployment == "dc"
                else ""
            ),
        )
    if identity.status_code == 401:
        said = error_message(identity)
        if "scope" not in said.lower() or client.credential.kind == "api_token":
            return _judge_401(client, identity)
    user: Person | None = None
    if identity.status_code == 200:
        user = parse.person_v1(identity.json())
        if user.kind == "anonymous":
            what = (
                "the personal access token was not recognised, and Confluence answered as an "
                "anonymous user instead of refusing it (Data Center does this on sites with "
                "anonymous access)"
                if client.credential.kind == "pat"
                else "Confluence answered as an anonymous user: the credential was ignored"
            )
            return _fail(
                "anonymous",
                what,
                "create a new token for the account RADEX should use and paste it again",
            )
    return await _probe_reads(client, user)


async def _probe_reads(client: ConfluenceClient, user: Person | None) -> CredentialCheck:
    root = await client.api_root()
    if client.deployment == "cloud":
        probes = [
            (f"{root}/api/v2/spaces", "read:space:confluence"),
            (f"{root}/api/v2/pages", "read:page:confluence"),
        ]
    else:
        probes = [(f"{root}/rest/api/space", "")]
    missing: list[str] = []
    for url, scope in probes:
        try:
            resp = await client.transport.request(
                "GET", url, params={"limit": 1}, expect=PROBE_STATUSES, retries=0
            )
        except RadexError as exc:
            return _fail("unreachable", str(exc), "try again later", user=user)
        if resp.status_code == 401:
            if "scope" in error_message(resp).lower():
                missing.append(scope)
                continue
            return _judge_401(client, resp)
        if resp.status_code == 403:
            return _fail(
                "forbidden",
                f"the {client.credential.describe()} may not use the REST API "
                f"({error_message(resp)})",
                "ask a Confluence administrator to allow API access for this account",
                user=user,
            )
        if resp.status_code != 200 or not _is_json(resp):
            return _fail(
                "not_confluence",
                f"{url} answered {resp.status_code}: this is not a Confluence REST API",
                "check the site address",
                user=user,
            )
    if missing:
        return _fail(
            "missing_scope",
            f"the {client.credential.describe()} lacks the scope(s) {', '.join(missing)}",
            "create the token (or authorize the app) again with these scopes: "
            + ", ".join(missing),
            user=user,
            missing_scopes=tuple(missing),
        )
    name = user.display_name if user else "an account without read:user scope"
    return CredentialCheck(True, f"connected as {name}", user=user)
