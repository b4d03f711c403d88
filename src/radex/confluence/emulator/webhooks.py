"""Webhooks the emulated site sends when content changes: Data Center and Cloud (Connect) style.

Data Center: webhooks registered through ``/rest/api/webhooks`` (see ``routes_v1_webhooks``);
bodies carry ids only and, with a secret, ``X-Hub-Signature: sha256=<HMAC-SHA256 hex>``.
Cloud: there is no REST registration, so the emulator is given Connect-style *app* webhooks
(:class:`AppWebhook`); each delivery goes to ``url`` with ``event=<name>`` added to its query and
``Authorization: JWT <HS256 token>`` whose ``qsh`` covers method, path and query.

Deliveries never block the write that caused them: the listener builds the body at once (so a
purged page is still described) and queues it; one background thread posts it, best effort,
without retries, and records the attempt. ``WebhookHub.flush`` waits for the queue to drain.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import jwt

from radex.confluence.emulator.http import epoch_ms
from radex.confluence.emulator.model import Content, Label, Site, User
from radex.confluence.emulator.render_v2 import content_webui
from radex.confluence.webhooks import EVENT_PARAM, query_string_hash

log = logging.getLogger(__name__)

# What the emulator emits (see ops.py); both flavours use these names.
CONTENT_EVENTS: tuple[str, ...] = (
    *(f"page_{v}" for v in ("created", "updated", "moved", "trashed", "restored", "removed")),
    *(f"blog_{v}" for v in ("created", "updated", "moved", "trashed", "restored", "removed")),
    "comment_created",
    "comment_updated",
    "comment_removed",
    "attachment_created",
    "attachment_updated",
    "attachment_removed",
    "label_added",
    "label_removed",
    "content_permissions_updated",
)
# Further events real sites offer: accepted in registrations, never sent by the emulator.
_OTHER_EVENTS = (
    "page_children_reordered",
    "page_archived",
    "page_unarchived",
    "attachment_trashed",
    "attachment_restored",
    "label_created",
    "label_deleted",
    "space_created",
    "space_updated",
    "space_removed",
    "space_permissions_updated",
    "space_logo_updated",
    "user_created",
    "user_removed",
    "user_deactivated",
    "user_reactivated",
    "group_created",
    "group_removed",
)
KNOWN_EVENTS: frozenset[str] = frozenset((*CONTENT_EVENTS, *_OTHER_EVENTS))

_TYPE_KEY = {"page": "page", "blogpost": "blog", "comment": "comment", "attachment": "attachment"}
DEFAULT_JWT_TTL_S = 180  # Connect tokens live three minutes
USER_AGENT = "Confluence-Emulator (radex) webhooks"

request_origin: ContextVar[str | None] = ContextVar("radex_emulator_origin", default=None)
"""``scheme://host:port`` of the request being served, for the absolute links Cloud sends."""


def url_problem(url: str) -> str | None:
    """Why a webhook URL is unusable (absolute http/https with a host), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"'{url[:80]}' is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{url[:80]}' is not an absolute http(s) URL"
    return None


def unknown_events(events: list[str] | tuple[str, ...] | frozenset[str]) -> list[str]:
    """The event names the emulator does not know, sorted."""
    return sorted(set(events) - KNOWN_EVENTS)


@dataclass(frozen=True)
class AppWebhook:
    """A Connect app's webhook modules: one receiver URL, its shared secret, the events wanted."""

    url: str
    secret: str
    events: frozenset[str] = frozenset()  # empty: every content event
    client_key: str = ""  # the JWT ``iss``; "" = the site's client key (WebhookHub.client_key)
    jwt_ttl_s: int = DEFAULT_JWT_TTL_S

    def __post_init__(self) -> None:
        problem = url_problem(self.url)
        if problem:
            raise ValueError(problem)
        if not self.secret:
            raise ValueError("an app webhook needs a shared secret")
        if unknown := unknown_events(self.events):
            raise ValueError(f"unknown webhook events: {', '.join(unknown)}")

    def wants(self, event: str) -> bool:
        """True when this app subscribed to the event."""
        return not self.events or event in self.events


@dataclass
class DcWebhook:
    """A Data Center webhook registration (``POST /rest/api/webhooks``)."""

    id: int
    name: str
    url: str
    events: tuple[str, ...]
    secret: str = ""
    active: bool = True
    configuration: dict[str, str] = field(default_factory=dict)  # without the secret
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: what was sent where, and what came back (status or error)."""

    target: str  # "dc:<id>" or "app:<index>"
    event: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    error: str | None
    elapsed_s: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


@dataclass(frozen=True)
class _Job:
    target: str
    event: str
    url: str
    body: bytes
    secret: str
    kind: Literal["dc", "cloud"]
    issuer: str = ""
    subject: str = ""
    ttl_s: int = DEFAULT_JWT_TTL_S


@dataclass
class _Seen:
    status: str
    labels: tuple[Label, ...]


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _numeric(value: str) -> int | str:
    digits = value[3:] if value.startswith("att") else value
    return int(digits) if digits.isdigit() else value


class WebhookHub:
    """Turns the site's change events into webhook deliveries and sends them in the background."""

    def __init__(
        self,
        site: Site,
        *,
        queue_size: int = 1000,
        timeout_s: float = 10.0,
        keep: int = 1000,
        idle_s: float = 2.0,
    ) -> None:
        self.site = site
        self.timeout_s = timeout_s
        self.idle_s = idle_s
        self.base_url = "http://127.0.0.1"  # origin for Cloud links outside a request
        self.dropped = 0
        self._hooks: dict[int, DcWebhook] = {}
        self._next_id = 1
        self.apps: list[AppWebhook] = []
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=queue_size)
        self._cond = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._deliveries: collections.deque[Delivery] = collections.deque(maxlen=keep)
        self._seen: dict[str, _Seen] = {
            c.id: _Seen(c.status, tuple(c.labels)) for c in site.content.values()
        }

    # ---- configuration ----------------------------------------------------------------------

    @property
    def client_key(self) -> str:
        """The Connect client key of this site (the default JWT issuer)."""
        h = hashlib.sha256(f"clientKey:{self.site.cloud_id}".encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def add_app(self, hook: AppWebhook) -> None:
        """Subscribe a Connect app (Cloud only)."""
        if self.site.flavor != "cloud":
            raise ValueError("Connect app webhooks exist on Cloud only; DC has /rest/api/webhooks")
        self.apps.append(hook)

    def register(
        self,
        *,
        name: str,
        url: str,
        events: list[str],
        secret: str = "",
        active: bool = True,
        configuration: dict[str, str] | None = None,
    ) -> DcWebhook:
        """Register a Data Center webhook; the caller has validated the fields."""
        with self._cond:
            hook_id = self._next_id
            self._next_id += 1
        now = self.site.clock()
        hook = DcWebhook(
            hook_id,
            name,
            url,
            tuple(dict.fromkeys(events)),
            secret,
            active,
            dict(configuration or {}),
            now,
            now,
        )
        self._hooks[hook_id] = hook
        return hook

    def get(self, hook_id: int) -> DcWebhook | None:
        """A registration by id."""
        return self._hooks.get(hook_id)

    def remove(self, hook_id: int) -> bool:
        """Delete a registration; False when there was none."""
        return self._hooks.pop(hook_id, None) is not None

    @property
    def registered(self) -> list[DcWebhook]:
        """Data Center registrations, by id."""
        return [self._hooks[k] for k in sorted(self._hooks)]

    # ---- what happened ----------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """Delivery attempts so far (the most recent ``keep``), oldest first."""
        with self._cond:
            return list(self._deliveries)

    def clear(self) -> None:
        """Forget recorded attempts and the drop count."""
        with self._cond:
            self._deliveries.clear()
            self.dropped = 0

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery has been attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stats(self) -> dict[str, Any]:
        """A JSON summary for ``GET /_emulator/webhooks``."""
        recent = self.deliveries[-100:]
        return {
            "registered": [
                {"id": h.id, "name": h.name, "url": h.url, "events": list(h.events)}
                for h in self.registered
            ],
            "apps": [
                {"url": a.url, "events": sorted(a.events) or ["*"], "clientKey": self.issuer(a)}
                for a in self.apps
            ],
            "pending": self._pending,
            "dropped": self.dropped,
            "deliveries": [
                {
                    "target": d.target,
                    "event": d.event,
                    "url": d.url,
                    "status": d.status,
                    "error": d.error,
                    "elapsedMs": round(d.elapsed_s * 1000, 1),
                }
                for d in recent
            ],
        }

    def issuer(self, app: AppWebhook) -> str:
        """The JWT issuer of an app's deliveries."""
        return app.client_key or self.client_key

    # ---- the listener (runs inside the write: must be quick and must not raise) -------------

    def on_change(self, event: str, content: Content, user: User | None) -> None:
        """``Site.changed`` listener: queue one delivery per subscriber of the event."""
        try:
            self._on_change(event, content, user)
        except Exception:
            log.exception("webhook emission failed for %s on %s", event, content.id)

    def _on_change(self, event: str, content: Content, user: User | None) -> None:
        before = self._seen.get(content.id, _Seen("current", ()))
        label = self._label(event, content, before)
        if event.endswith("_removed"):
            self._seen.pop(content.id, None)
        else:
            self._seen[content.id] = _Seen(content.status, tuple(content.labels))
        if content.status == "draft" or (event.endswith("_removed") and before.status == "draft"):
            return  # Confluence sends nothing for unpublished drafts
        if event.endswith("_updated") and before.status == "draft":
            event = event.removesuffix("_updated") + "_created"  # publishing a draft
        now = self.site.clock()
        hooks = [h for h in self._hooks.values() if h.active and event in h.events]
        apps = [(i, a) for i, a in enumerate(self.apps) if a.wants(event)]
        if hooks:
            body = _json(dc_payload(self.site, event, content, user, label, now))
            for hook in hooks:
                self._enqueue(_Job(f"dc:{hook.id}", event, hook.url, body, hook.secret, "dc"))
        if apps:
            origin = request_origin.get() or self.base_url
            body = _json(cloud_payload(self.site, event, content, user, label, now, origin))
            for index, app in apps:
                self._enqueue(
                    _Job(
                        f"app:{index}",
                        event,
                        _with_event(app.url, event),
                        body,
                        app.secret,
                        "cloud",
                        self.issuer(app),
                        user.account_id if user else "",
                        app.jwt_ttl_s,
                    )
                )

    @staticmethod
    def _label(event: str, content: Content, before: _Seen) -> Label | None:
        if event == "label_added":
            old = {lab.name for lab in before.labels}
            return next((lab for lab in reversed(content.labels) if lab.name not in old), None)
        if event == "label_removed":
            now = {lab.name for lab in content.labels}
            return next((lab for lab in before.labels if lab.name not in now), None)
        return None

    # ---- the queue and the sender -----------------------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        with self._cond:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self.dropped += 1
                self._deliveries.append(
                    Delivery(job.target, job.event, job.url, {}, job.body, None, "queue full", 0.0)
                )
                return
            self._pending += 1
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="emulator-webhooks", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 5.0))
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as client:
            while True:
                try:
                    job = self._queue.get(timeout=self.idle_s)
                except queue.Empty:
                    with self._cond:
                        if self._queue.empty():
                            self._worker = None
                            return
                    continue
                try:
                    delivery = self._send(client, job)
                except Exception as exc:  # never let one delivery stop the sender
                    delivery = Delivery(
                        job.target, job.event, job.url, {}, job.body, None, repr(exc), 0.0
                    )
                with self._cond:
                    self._deliveries.append(delivery)
                    self._pending -= 1
                    self._cond.notify_all()

    def _send(self, client: httpx.Client, job: _Job) -> Delivery:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        if job.kind == "dc" and job.secret:
            digest = hmac.new(job.secret.encode(), job.body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        elif job.kind == "cloud":
            headers["Authorization"] = "JWT " + connect_jwt(
                job.url, secret=job.secret, issuer=job.issuer, subject=job.subject, ttl_s=job.ttl_s
            )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = client.post(job.url, content=job.body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        elapsed = time.monotonic() - started
        return Delivery(job.target, job.event, job.url, headers, job.body, status, error, elapsed)


def _with_event(url: str, event: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != EVENT_PARAM]
    query.append((EVENT_PARAM, event))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def connect_jwt(
    url: str,
    *,
    secret: str,
    issuer: str,
    subject: str = "",
    ttl_s: int = DEFAULT_JWT_TTL_S,
    method: str = "POST",
) -> str:
    """An HS256 Connect JWT for one request to ``url`` (its origin taken as the app base URL)."""
    parts = urlsplit(url)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "iat": now,
        "exp": now + ttl_s,
        "qsh": query_string_hash(method, parts.path, parts.query),
    }
    if subject:
        claims["sub"] = subject
    return jwt.encode(claims, secret, algorithm="HS256")


# ---- payloads -----------------------------------------------------------------------------


def _event_base(event: str, content: Content, now: datetime) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if event.endswith("_updated") and content.type in ("page", "blogpost", "comment"):
        extra["updateTrigger"] = "edit_page"
    return {"timestamp": epoch_ms(now), **extra}


def _label_json(label: Label | None) -> dict[str, Any]:
    return {"label": {"name": label.name, "prefix": label.prefix}} if label else {}


def dc_payload(
    site: Site,
    event: str,
    content: Content,
    user: User | None,
    label: Label | None,
    now: datetime,
) -> dict[str, Any]:
    """A Data Center body: ``{timestamp, event, userKey, <type>: {id}}`` (+ label, trigger)."""
    key = _TYPE_KEY.get(content.type, "content")
    body: dict[str, Any] = {
        "timestamp": epoch_ms(now),
        "event": event,
        "userKey": user.user_key if user else None,
        key: {"id": _numeric(content.id)},
    }
    body.update(_label_json(label))
    base = _event_base(event, content, now)
    if "updateTrigger" in base:
        body["updateTrigger"] = base["updateTrigger"]
    return body


def _account(site: Site, username: str) -> str | None:
    user = site.users.get(username) or site.find_user(username)
    return user.account_id if user else None


def _self_link(site: Site, content: Content, origin: str) -> str:
    container = site.content.get(content.parent_id or "")
    if content.type == "comment" and container is not None:
        path = content_webui(site, container)
        return f"{origin}/wiki{path}?focusedCommentId={content.id}#comment-{content.id}"
    if content.type == "attachment" and container is not None:
        return (
            f"{origin}/wiki/pages/viewpageattachments.action?pageId={container.id}"
            f"&preview=/{container.id}/{content.id}/{quote(content.title)}"
        )
    return f"{origin}/wiki{content_webui(site, content)}"


def cloud_content(site: Site, content: Content, origin: str) -> dict[str, Any]:
    """The content object of a Cloud (Connect) webhook body."""
    space = site.spaces.get(content.space_key)
    space_id: int | str | None = None
    if space is not None:
        space_id = int(space.id) if space.id.isdigit() else space.id
    body: dict[str, Any] = {
        "id": content.id,
        "idAsString": content.id,
        "creatorAccountId": _account(site, content.author),
        "spaceKey": content.space_key,
        "spaceId": space_id,
        "modificationDate": epoch_ms(content.updated_at),
        "lastModifierAccountId": _account(site, content.current.author),
        "self": _self_link(site, content, origin),
        "title": content.title,
        "creationDate": epoch_ms(content.created_at),
        "contentType": content.type,
        "version": content.version,
    }
    container = site.content.get(content.parent_id or "")
    if content.type in ("comment", "attachment") and container is not None:
        body["container"] = {
            "id": container.id,
            "idAsString": container.id,
            "contentType": container.type,
            "title": container.title,
        }
    return body


def cloud_payload(
    site: Site,
    event: str,
    content: Content,
    user: User | None,
    label: Label | None,
    now: datetime,
    origin: str,
) -> dict[str, Any]:
    """A Cloud (Connect) body: ``{<type>: {…}, userAccountId, accountType, timestamp, …}``."""
    key = _TYPE_KEY.get(content.type, "content")
    body: dict[str, Any] = {key: cloud_content(site, content, origin)}
    body.update(_label_json(label))
    body.update(
        {
            "userAccountId": user.account_id if user else None,
            "accountType": "customer",
            **_event_base(event, content, now),
            "suppressNotifications": bool(
                event.endswith("_updated") and content.current.minor_edit
            ),
        }
    )
    return body
