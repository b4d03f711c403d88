"""Sending one request politely: site limiter, auth, retries with backoff, errors as values."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from radex.confluence.auth import Credential
from radex.confluence.client.limiter import SiteLimiter, Sleep, points_cost
from radex.confluence.client.observe import Observer
from radex.errors import (
    AuthError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RadexError,
    RateLimitedError,
    TransientError,
    UpstreamError,
)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: tuple[float, float] = (0.7, 1.3)
    max_retry_after: float = 3600.0  # waits longer than this are not sat out: raise instead

    def backoff(self, attempt: int, draw: float) -> float:
        """Exponential backoff (×2 per attempt) with jitter, capped."""
        lo, hi = self.jitter
        delay: float = min(self.max_delay, self.base_delay * 2.0**attempt)
        return delay * (lo + (hi - lo) * draw)


def retry_after(resp: httpx.Response, *, now: float) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or date), else the reset."""
    raw = resp.headers.get("retry-after") or resp.headers.get("beta-retry-after")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = resp.headers.get("x-ratelimit-reset")
    if reset:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, when.timestamp() - now)
        except ValueError:
            return None
    return None


def error_message(resp: httpx.Response) -> str:
    """The human text inside a v1, v2 or gateway error body (or the start of a non-JSON one)."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip().replace("\n", " ")
        return text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            parts = [str(first.get(k)) for k in ("title", "detail") if first.get(k)]
            if not parts and isinstance(first.get("message"), dict):
                parts = [str(first["message"].get("key", ""))]
            if parts:
                return ": ".join(parts)
        for key in ("message", "error_description", "error", "reason"):
            if body.get(key):
                return str(body[key])
    return resp.reason_phrase


class Transport:
    """Sends requests for one site with its shared limiter, auth, retries and observation."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credential: Credential,
        limiter: SiteLimiter,
        observer: Observer,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        wall: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.http = http
        self.credential = credential
        self.limiter = limiter
        self.observer = observer
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.wall = wall
        self.draw = draw
        self._deprecated_seen: set[str] = set()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        follow_redirects: bool = False,
        objects: int = 0,
        identity: bool = False,
        expect: tuple[int, ...] = (),
        retries: int | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response (or one in ``expect``), else raise.

        ``objects`` is how many objects the call may return (for the OAuth points estimate);
        ``idempotent`` overrides the method's default; a non-idempotent request is retried only
        after a 429, which Confluence sends before doing anything. ``retries`` overrides the
        policy's retry count (list calls that are already shrinking their pages use fewer).
        """
        max_errors = self.policy.max_retries if retries is None else retries
        max_throttles = self.policy.max_retries
        method = method.upper()
        safe = method in IDEMPOTENT if idempotent is None else idempotent
        path = urlsplit(url).path
        errors = throttles = 0
        refreshed = False
        while True:
            estimate = points_cost(method, objects, identity)
            async with self.limiter.slot(estimate) as waited:
                if waited > 0:
                    self.observer.emit("wait", seconds=round(waited, 3), path=path, why="limiter")
                send_headers = {"Accept": "application/json", **(headers or {})}
                send_headers.update(await self.credential.headers(self.http))
                self.observer.count("requests")
                failure: httpx.TransportError | None = None
                resp: httpx.Response | None = None
                reason = ""
                try:
                    resp = await self.http.request(
                        method,
                        url,
                        params=_clean(params),
                        json=json,
                        files=files,
                        data=data,
                        headers=send_headers,
                        follow_redirects=follow_redirects,
                    )
                except httpx.TimeoutException as exc:
                    reason, failure = "timeout", exc
                except httpx.TransportError as exc:
                    untrusted = _certificate_failure(exc)
                    if untrusted is not None:  # not worth retrying: it fails the same way
                        raise UpstreamError(
                            f"{method} {path} failed: the TLS certificate of "
                            f"{urlsplit(url).netloc} is not trusted ({untrusted})",
                            hint="if the site uses a private certificate authority, "
                            "point SSL_CERT_FILE at a file holding its certificate",
                        ) from exc
                    reason, failure = "connection", exc
            if resp is None:
                assert failure is not None
                if not safe or errors >= max_errors:
                    self.observer.emit("failure", path=path, method=method, reason=reason)
                    hint = (
                        "the request may have been applied; check before sending it again"
                        if not safe
                        else "check that the site is reachable, then try again"
                    )
                    raise TransientError(
                        f"{method} {path} failed: {reason} ({failure.__class__.__name__})",
                        hint=hint,
                    ) from failure
                await self._backoff(errors, path, method, reason)
                errors += 1
                continue

            self.observer.count(f"responses.{resp.status_code}")
            self._observe_headers(resp, path)
            if self.limiter.config.points_per_hour:
                actual = points_cost(method, _result_count(resp), identity)
                self.limiter.settle_points(estimate, actual)
            status = resp.status_code
            if status < 400 or status in expect:
                return resp
            if status == 401 and not refreshed and await self.credential.refresh(self.http):
                refreshed = True
                self.observer.emit("token_refreshed", path=path)
                continue
            if status == 429 or (status == 503 and resp.headers.get("retry-after")):
                if throttles < max_throttles and (safe or status == 429):
                    wait = retry_after(resp, now=self.wall())
                    if wait is None or wait <= 0:
                        wait = self.policy.backoff(throttles, self.draw())
                    if wait > self.policy.max_retry_after:
                        raise self._error(resp, method, path)
                    self.limiter.slow_down()
                    self.limiter.pause(wait)
                    self.observer.emit(
                        "retry",
                        path=path,
                        method=method,
                        status=status,
                        reason="throttled",
                        attempt=throttles + 1,
                        wait=round(wait, 3),
                    )
                    self.observer.count("retries.throttled")
                    throttles += 1
                    continue
            elif status in RETRY_STATUSES and safe and errors < max_errors:
                await self._backoff(errors, path, method, f"http {status}")
                errors += 1
                continue
            raise self._error(resp, method, path)

    async def _backoff(self, attempt: int, path: str, method: str, reason: str) -> None:
        wait = self.policy.backoff(attempt, self.draw())
        self.observer.emit(
            "retry",
            path=path,
            method=method,
            reason=reason,
            attempt=attempt + 1,
            wait=round(wait, 3),
        )
        self.observer.count("retries." + reason.split()[0])
        self.observer.emit("wait", seconds=round(wait, 3), path=path, why=reason)
        await self.sleep(wait)

    def _observe_headers(self, resp: httpx.Response, path: str) -> None:
        h = resp.headers
        near = h.get("x-ratelimit-nearlimit", "").lower() == "true"
        limit, remaining = h.get("x-ratelimit-limit"), h.get("x-ratelimit-remaining")
        if not near and limit and remaining:
            try:
                near = float(remaining) < 0.2 * float(limit)
            except ValueError:
                near = False
        if near:
            self.limiter.slow_down(0.8)
            self.observer.emit("near_limit", path=path, remaining=remaining)
        elif resp.status_code < 400:
            self.limiter.recover()
        points = h.get("ratelimit") or h.get("beta-ratelimit")
        if points:
            remaining_points, reset = _parse_points(points)
            if remaining_points is not None:
                self.limiter.note_points_remaining(remaining_points, reset)
        deprecated = "deprecation" in h or h.get("warning", "").startswith("299")
        if deprecated and path not in self._deprecated_seen:
            self._deprecated_seen.add(path)
            self.observer.emit(
                "deprecated",
                path=path,
                deprecation=h.get("deprecation", ""),
                warning=h.get("warning", ""),
            )

    def _error(self, resp: httpx.Response, method: str, path: str) -> RadexError:
        status = resp.status_code
        said = error_message(resp)
        what = f"{method} {path} answered {status}: {said}"
        self.observer.emit("failure", path=path, method=method, status=status, detail=said)
        who = self.credential.describe()
        if status == 400:
            return InputError(what, hint="the request was refused as invalid; see the message")
        if status == 401:
            if "scope" in said.lower():
                return AuthError(
                    what, hint=f"the {who} lacks a scope this call needs; grant it and try again"
                )
            if "expired" in said.lower():
                return AuthError(what, hint=f"the {who} has expired; create a new one")
            return AuthError(what, hint=f"the {who} was rejected; check it and try again")
        if status == 403:
            return PermissionDeniedError(what, hint=f"the {who} may not do this")
        if status == 404:
            return NotFoundError(what, hint=f"it does not exist or the {who} may not see it")
        if status == 409:
            return ConflictError(what)
        if status == 410:
            return UpstreamError(
                what, hint="Confluence has removed this endpoint; upgrade RADEX or report it"
            )
        if status == 413:
            return InputError(what, hint="the content is too large for Confluence")
        if status == 429:
            return RateLimitedError(
                what,
                retry_after=retry_after(resp, now=self.wall()),
                hint="Confluence keeps throttling; lower the request rate or try later",
            )
        if status >= 500:
            return TransientError(what, hint="Confluence failed; try again later")
        return UpstreamError(what)


def _certificate_failure(exc: BaseException) -> str | None:
    """Why the server's TLS certificate was refused, when that is what ``exc`` comes from."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore, which wraps the ssl error
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or seen.reason or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}


def _result_count(resp: httpx.Response) -> int:
    if not resp.headers.get("content-type", "").startswith("application/json"):
        return 0
    try:
        body = resp.json()
    except ValueError:
        return 0
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return len(body["results"])
    if isinstance(body, list):
        return len(body)
    return 1


def _parse_points(value: str) -> tuple[float | None, float | None]:
    """``"global-app-quota";r=120;t=30`` → (120, 30)."""
    remaining: float | None = None
    reset: float | None = None
    for part in value.split(";"):
        key, _, raw = part.strip().partition("=")
        try:
            if key == "r":
                remaining = float(raw)
            elif key == "t":
                reset = float(raw)
        except ValueError:
            continue
    return remaining, reset
