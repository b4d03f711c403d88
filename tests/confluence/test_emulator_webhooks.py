"""The emulator's webhooks over real loopback HTTP, checked by radex.confluence.webhooks.

Data Center: registrations through ``/rest/api/webhooks`` and HMAC-signed, id-only bodies.
Cloud: Connect-style app webhooks with JWT (qsh) authorisation. Deliveries are queued and sent
from a background thread, so a slow or dead receiver never holds up or fails a write.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_kit import SITE, admin_auth, auth, make_emulator, page_id

from radex.confluence import webhooks as rx
from radex.confluence.emulator import AppWebhook, WebhookHub, build_site
from radex.confluence.emulator import ops as site_ops
from radex.confluence.emulator import webhooks as emulator_webhooks
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.serve import ServeOptions, build_emulator, running
from radex.confluence.emulator.webhooks import CONTENT_EVENTS, connect_jwt
from radex.errors import InputError, WebhookAuthError

SECRET = "dc-webhook-secret-" + "0123456789abcdef" * 2
SHARED = "connect-shared-secret-" + "0123456789abcdef" * 2
NOCHECK = {"X-Atlassian-Token": "nocheck"}
RADEX = Path(sys.executable).with_name("radex")


# ---- a loopback receiver --------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One request the receiver got."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP server on 127.0.0.1 that records POSTs; ``hold`` makes it stall until set."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.hits: list[Hit] = []
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                path, _, query = self.path.partition("?")
                owner.hits.append(Hit("POST", path, query, dict(self.headers.items()), body))
                owner.arrived.set()
                if owner.hold is not None:
                    owner.hold.wait(15)
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The receiver's origin."""
        return f"http://127.0.0.1:{self.server.server_port}"


@contextmanager
def receiver(status: int = 204) -> Iterator[Receiver]:
    """A running receiver, shut down afterwards."""
    rec = Receiver(status)
    rec.thread.start()
    try:
        yield rec
    finally:
        if rec.hold is not None:
            rec.hold.set()
        rec.server.shutdown()
        rec.server.server_close()


def dead_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


@contextmanager
def served(emu: Emulator) -> Iterator[httpx.Client]:
    """The emulator on loopback and an httpx client on it as the site admin."""
    with (
        running(emu) as base,
        httpx.Client(base_url=base, headers=admin_auth(emu), trust_env=False, timeout=10) as client,
    ):
        yield client


def origin(client: httpx.Client) -> str:
    """``http://127.0.0.1:port`` of the emulator a client talks to."""
    url = client.base_url
    return f"{url.scheme}://{url.host}:{url.port}"


def register(client: httpx.Client, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    """POST /rest/api/webhooks and return the created registration."""
    body = {"name": "radex", "url": url, "events": events, **extra}
    response = client.post("/rest/api/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def storage(value: str) -> dict[str, Any]:
    """A v1 body.storage object."""
    return {"storage": {"value": value, "representation": "storage"}}


def dc_events(hits: list[Hit], secret: str = SECRET) -> list[rx.ContentEvent]:
    """Verify each DC delivery's signature and parse it."""
    return [rx.read_dc(hit.body, hit.headers, secret=secret) for hit in hits]


def cloud_events(emu: Emulator, hits: list[Hit]) -> list[rx.ContentEvent]:
    """Verify each Cloud delivery's JWT (issuer = the site's client key) and parse it."""
    return [
        rx.read_cloud(
            hit.body,
            hit.headers,
            secret=SHARED,
            method=hit.method,
            path=hit.path,
            query=hit.query,
            client_key=emu.webhooks.client_key,
        )
        for hit in hits
    ]


# ---- Data Center: the registration API ------------------------------------------------------


@pytest.fixture(scope="module")
def dc_client() -> Iterator[httpx.Client]:
    """One served DC emulator for the validation tests (they register nothing)."""
    with served(make_emulator("dc")) as client:
        yield client


def test_dc_webhook_rest_api_round_trip() -> None:
    emu = make_emulator("dc", context_path="/confluence")
    with served(emu) as c:
        made = register(
            c,
            "http://127.0.0.1:9/hook",
            ["page_updated", "page_removed"],
            configuration={"secret": SECRET, "note": "kept"},
        )
        assert made["id"] == 1
        assert made["name"] == "radex"
        assert made["events"] == ["page_updated", "page_removed"]
        assert made["active"] is True
        assert made["configuration"] == {"note": "kept"}  # the secret is write-only
        assert isinstance(made["createdDate"], int)
        assert made["_links"]["self"].endswith("/confluence/rest/api/webhooks/1")
        second = register(c, "https://example.invalid/h", ["label_added"], active=False)
        listed = c.get("/rest/api/webhooks").json()
        assert [h["id"] for h in listed["results"]] == [1, 2]
        assert listed["size"] == 2
        assert listed["_links"]["base"].endswith("/confluence")
        only = c.get("/rest/api/webhooks", params={"event": "label_added"}).json()
        assert [h["id"] for h in only["results"]] == [second["id"]]
        assert c.get("/rest/api/webhooks/2").json()["active"] is False
        assert c.delete("/rest/api/webhooks/2").status_code == 204
        assert c.get("/rest/api/webhooks/2").status_code == 404
        assert c.delete("/rest/api/webhooks/2").status_code == 404
        missing = c.get("/rest/api/webhooks/abc")
        assert missing.status_code == 404
        assert missing.json()["message"] == "No webhook found with id: abc"
        assert [h.id for h in emu.webhooks.registered] == [1]


def test_dc_webhook_api_is_for_site_admins_only() -> None:
    emu = make_emulator("dc")
    with served(emu) as c:
        body = {"name": "x", "url": "http://127.0.0.1:9/h", "events": ["page_updated"]}
        denied = c.post("/rest/api/webhooks", json=body, headers=auth(emu, "alice"))
        assert denied.status_code == 403
        assert "administrator" in denied.json()["message"]
        assert c.get("/rest/api/webhooks", headers=auth(emu, "alice")).status_code == 403
        anonymous = httpx.post(str(c.base_url) + "/rest/api/webhooks", json=body, trust_env=False)
        assert anonymous.status_code == 401
        assert emu.webhooks.registered == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "http://127.0.0.1:9/h", "events": ["page_updated"]}, "'name' is required"),
        ({"name": "x", "events": ["page_updated"]}, "'url' is required"),
        ({"name": "x", "url": "ftp://h/x", "events": ["page_updated"]}, "absolute http"),
        ({"name": "x", "url": "/relative", "events": ["page_updated"]}, "absolute http"),
        ({"name": "x", "url": "http://127.0.0.1:9/h"}, "'events' must be a non-empty list"),
        ({"name": "x", "url": "http://127.0.0.1:9/h", "events": []}, "non-empty list"),
        ({"name": "x", "url": "http://127.0.0.1:9/h", "events": [1]}, "non-empty list"),
        (
            {"name": "x", "url": "http://127.0.0.1:9/h", "events": ["page_update"]},
            "Unknown webhook event\\(s\\): page_update",
        ),
        (
            {
                "name": "x",
                "url": "http://127.0.0.1:9/h",
                "events": ["page_updated"],
                "configuration": "s",
            },
            "'configuration' must be an object",
        ),
        (
            {
                "name": "x",
                "url": "http://127.0.0.1:9/h",
                "events": ["page_updated"],
                "configuration": {"secret": 5},
            },
            "'configuration' must be an object of string values",
        ),
        (
            {
                "name": "x",
                "url": "http://127.0.0.1:9/h",
                "events": ["page_updated"],
                "configuration": {"secret": "s" * 256},
            },
            "at most 255",
        ),
        (
            {
                "name": "x",
                "url": "http://127.0.0.1:9/h",
                "events": ["page_updated"],
                "active": "yes",
            },
            "'active' must be true or false",
        ),
        ({"name": "x" * 256, "url": "http://h/", "events": ["page_updated"]}, "at most 255"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_dc_webhook_bad_bodies_get_clear_400s(
    dc_client: httpx.Client, body: Any, message: str
) -> None:
    response = dc_client.post("/rest/api/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["statusCode"] == 400
    assert re.search(message, response.json()["message"])


def test_dc_webhook_invalid_json_is_a_400(dc_client: httpx.Client) -> None:
    response = dc_client.post(
        "/rest/api/webhooks", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Request body is not valid JSON"


def test_cloud_has_no_webhook_rest_api() -> None:
    emu = make_emulator("cloud")
    with running(emu) as base:
        body = {"name": "x", "url": "http://127.0.0.1:9/h", "events": ["page_updated"]}
        got = httpx.post(f"{base}/rest/api/webhooks", json=body, headers=admin_auth(emu))
        assert got.status_code == 404


# ---- Data Center: deliveries ----------------------------------------------------------------


def test_dc_every_kind_of_change_is_delivered_signed_and_parses() -> None:
    emu = make_emulator("dc", context_path="/confluence")
    pid = page_id(emu, "Rollback")
    home = page_id(emu, "Engineering Home")
    with receiver() as rec, served(emu) as c:
        register(
            c, rec.url + "/confluence-hook", list(CONTENT_EVENTS), configuration={"secret": SECRET}
        )
        edit = c.put(
            f"/rest/api/content/{pid}",
            json={
                "type": "page",
                "title": "Rollback",
                "version": {"number": 2},
                "body": storage("<p>Use <code>make rollback</code> twice.</p>"),
            },
        )
        assert edit.status_code == 200, edit.text
        move = c.put(
            f"/rest/api/content/{pid}",
            json={"type": "page", "version": {"number": 3}, "ancestors": [{"id": home}]},
        )
        assert move.status_code == 200, move.text
        assert c.post(f"/rest/api/content/{pid}/label", json=[{"name": "Ops"}]).status_code == 200
        assert c.delete(f"/rest/api/content/{pid}/label/ops").status_code == 204
        restrict = c.put(
            f"/rest/api/content/{pid}/restriction",
            json=[{"operation": "read", "restrictions": {"user": [{"username": "alice"}]}}],
        )
        assert restrict.status_code == 200, restrict.text
        comment = c.post(
            "/rest/api/content",
            json={
                "type": "comment",
                "container": {"id": pid, "type": "page"},
                "body": storage("<p>Looks right.</p>"),
            },
        )
        assert comment.status_code == 200, comment.text
        upload = c.post(
            f"/rest/api/content/{pid}/child/attachment",
            files={"file": ("steps.txt", b"one\ntwo\n", "text/plain")},
            headers=NOCHECK,
        )
        assert upload.status_code == 200, upload.text
        attachment_id = upload.json()["results"][0]["id"]
        assert c.delete(f"/rest/api/content/{pid}").status_code == 204
        purge = c.delete(f"/rest/api/content/{pid}", params={"status": "trashed"})
        assert purge.status_code == 204
        assert emu.webhooks.flush(10)
        hits = list(rec.hits)
    assert {hit.path for hit in hits} == {"/confluence-hook"}
    events = dc_events(hits)
    assert [(e.event, e.content_type) for e in events] == [
        ("page_updated", "page"),
        ("page_updated", "page"),
        ("page_moved", "page"),
        ("label_added", "page"),
        ("label_removed", "page"),
        ("content_permissions_updated", "page"),  # PUT replaces read and update: one each
        ("content_permissions_updated", "page"),
        ("comment_created", "comment"),
        ("attachment_created", "attachment"),
        ("page_trashed", "page"),
        ("page_removed", "page"),
    ]
    assert events[3].label == "ops"
    assert events[4].label == "ops"
    assert events[7].content_id == comment.json()["id"]
    assert events[8].content_id == attachment_id
    assert {e.content_id for e in events if e.content_type == "page"} == {pid}
    admin = next(u for u in emu.site.users.values() if u.admin)
    assert {e.actor for e in events} == {admin.user_key}
    raw = json.loads(hits[0].body)
    assert set(raw) == {"timestamp", "event", "userKey", "page", "updateTrigger"}
    assert raw["page"] == {"id": int(pid)}  # Data Center sends ids only, as numbers
    assert raw["updateTrigger"] == "edit_page"
    assert "updateTrigger" not in json.loads(hits[2].body)  # the move
    attempts = emu.webhooks.deliveries
    assert len(attempts) == len(hits)
    assert all(a.status == 204 and a.error is None and a.ok for a in attempts)


def test_dc_tampered_bodies_and_wrong_secrets_are_rejected() -> None:
    emu = make_emulator("dc")
    pid = page_id(emu, "Public Home")
    with receiver() as rec, served(emu) as c:
        register(c, rec.url + "/h", ["page_updated"], configuration={"secret": SECRET})
        body = {"type": "page", "title": "Public Home", "version": {"number": 2}}
        assert c.put(f"/rest/api/content/{pid}", json=body).status_code == 200
        assert emu.webhooks.flush(10)
    (hit,) = rec.hits
    assert rx.read_dc(hit.body, hit.headers, secret=SECRET).content_id == pid
    tampered = hit.body.replace(pid.encode(), b"1")
    with pytest.raises(WebhookAuthError) as info:
        rx.read_dc(tampered, hit.headers, secret=SECRET)
    assert info.value.reason == "mismatch"
    with pytest.raises(WebhookAuthError):
        rx.read_dc(hit.body, hit.headers, secret="not-" + SECRET)
    unsigned = {k: v for k, v in hit.headers.items() if k.lower() != "x-hub-signature"}
    with pytest.raises(WebhookAuthError) as missing:
        rx.read_dc(hit.body, unsigned, secret=SECRET)
    assert missing.value.reason == "missing"


def test_dc_subscriptions_secrets_and_inactive_hooks() -> None:
    emu = make_emulator("dc")
    pid = page_id(emu, "Public Home")
    with receiver() as rec, served(emu) as c:
        register(c, rec.url + "/plain", ["page_updated"])
        register(c, rec.url + "/signed", ["label_added"], configuration={"secret": SECRET})
        register(c, rec.url + "/off", ["page_updated", "label_added"], active=False)
        body = {"type": "page", "title": "Public Home", "version": {"number": 2}}
        assert c.put(f"/rest/api/content/{pid}", json=body).status_code == 200
        assert c.post(f"/rest/api/content/{pid}/label", json={"name": "faq"}).status_code == 200
        assert emu.webhooks.flush(10)
    by_path = {hit.path: hit for hit in rec.hits}
    assert sorted(by_path) == ["/plain", "/signed"]
    plain = by_path["/plain"]
    assert rx.header(plain.headers, "X-Hub-Signature") is None  # no secret, no signature
    assert rx.parse_event(plain.body).event == "page_updated"
    signed = dc_events([by_path["/signed"]])[0]
    assert (signed.event, signed.label) == ("label_added", "faq")


def test_dc_drafts_send_nothing_until_published() -> None:
    emu = make_emulator("dc")
    with receiver() as rec, served(emu) as c:
        register(
            c, rec.url + "/h", ["page_created", "page_updated"], configuration={"secret": SECRET}
        )
        draft = c.post(
            "/rest/api/content",
            json={
                "type": "page",
                "title": "Draft plan",
                "status": "draft",
                "space": {"key": "ENG"},
                "body": storage("<p>wip</p>"),
            },
        )
        assert draft.status_code == 200, draft.text
        assert emu.webhooks.flush(10)
        assert rec.hits == []
        published = c.put(
            f"/rest/api/content/{draft.json()['id']}",
            json={"type": "page", "status": "current", "version": {"number": 2}},
        )
        assert published.status_code == 200, published.text
        assert emu.webhooks.flush(10)
    assert [(e.event, e.content_id) for e in dc_events(rec.hits)] == [
        ("page_created", draft.json()["id"])
    ]


# ---- Cloud: app (Connect) webhooks ----------------------------------------------------------


def cloud_emulator(url: str, **hook: Any) -> Emulator:
    """A Cloud emulator with one app webhook."""
    emu = make_emulator("cloud")
    emu.webhooks.add_app(AppWebhook(url, SHARED, **hook))
    return emu


def test_cloud_app_webhooks_are_jwt_signed_and_parse() -> None:
    with receiver() as rec:
        emu = cloud_emulator(rec.url + "/connect/webhook?app=radex")
        pid = page_id(emu, "Rollback")
        home = page_id(emu, "Engineering Home")
        with (
            running(emu) as base,
            httpx.Client(base_url=base, headers=admin_auth(emu), trust_env=False, timeout=10) as c,
        ):
            update = {
                "id": pid,
                "status": "current",
                "title": "Rollback plan",
                "body": {"representation": "storage", "value": "<p>new</p>"},
                "version": {"number": 2, "message": "retitle"},
            }
            assert c.put(f"/api/v2/pages/{pid}", json=update).status_code == 200
            move = {**update, "version": {"number": 3}, "parentId": home}
            assert c.put(f"/api/v2/pages/{pid}", json=move).status_code == 200
            assert c.post(f"/rest/api/content/{pid}/label", json=[{"name": "ops"}]).is_success
            admin = next(u for u in emu.site.users.values() if u.admin)
            grant = [
                {
                    "operation": "update",
                    "restrictions": {"user": [{"accountId": admin.account_id}]},
                }
            ]
            assert c.put(f"/rest/api/content/{pid}/restriction", json=grant).is_success
            assert c.delete(f"/api/v2/pages/{pid}").status_code == 204
            purge = c.delete(f"/api/v2/pages/{pid}", params={"purge": "true"})
            assert purge.status_code == 204
            assert emu.webhooks.flush(10)
        hits = list(rec.hits)
    assert {hit.path for hit in hits} == {"/connect/webhook"}
    assert all(hit.query.startswith("app=radex&event=") for hit in hits)
    events = cloud_events(emu, hits)
    assert [e.event for e in events] == [
        "page_updated",
        "page_updated",
        "page_moved",
        "label_added",
        "content_permissions_updated",  # PUT replaces read and update: one event each
        "content_permissions_updated",
        "page_trashed",
        "page_removed",
    ]
    assert {(e.content_id, e.content_type, e.space_key) for e in events} == {(pid, "page", "ENG")}
    assert [e.version for e in events] == [2, 3, 3, 3, 3, 3, 3, 3]
    assert events[3].label == "ops"
    assert {e.actor for e in events} == {admin.account_id}
    first = json.loads(hits[0].body)
    page = first["page"]
    assert page["idAsString"] == pid
    assert page["title"] == "Rollback plan"
    assert page["contentType"] == "page"
    assert page["spaceId"] == int(emu.site.spaces["ENG"].id)
    assert page["self"] == f"{base.removesuffix('/wiki')}/wiki/spaces/ENG/pages/{pid}/Rollback+plan"
    assert page["creatorAccountId"] == emu.site.users["dave"].account_id
    assert page["lastModifierAccountId"] == admin.account_id
    assert isinstance(page["modificationDate"], int)
    assert isinstance(page["creationDate"], int)
    assert first["accountType"] == "customer"
    assert first["updateTrigger"] == "edit_page"
    assert first["suppressNotifications"] is False
    assert "event" not in first  # Cloud routes by URL
    claims = rx.verify_connect_jwt(
        rx.header(hits[0].headers, "Authorization"),
        secret=SHARED,
        method="POST",
        path=hits[0].path,
        query=hits[0].query,
    )
    assert claims["iss"] == emu.webhooks.client_key
    assert claims["sub"] == admin.account_id
    assert claims["exp"] - claims["iat"] == 180


def test_cloud_comments_attachments_and_blog_posts() -> None:
    with receiver() as rec:
        emu = cloud_emulator(
            rec.url + "/hook",
            events=frozenset({"comment_created", "blog_updated", "attachment_created"}),
        )
        pid = page_id(emu, "Deployment guide")
        blog = page_id(emu, "Release 1.0 shipped")
        with (
            running(emu) as base,
            httpx.Client(base_url=base, headers=admin_auth(emu), trust_env=False, timeout=10) as c,
        ):
            comment = c.post(
                "/api/v2/footer-comments",
                json={"pageId": pid, "body": {"representation": "storage", "value": "<p>ok</p>"}},
            )
            assert comment.status_code == 201, comment.text
            upload = c.post(
                f"/rest/api/content/{pid}/child/attachment",
                files={"file": ("notes.txt", b"hello", "text/plain")},
                headers=NOCHECK,
            )
            assert upload.status_code == 200, upload.text
            post = {
                "id": blog,
                "status": "current",
                "title": "Release 1.0 shipped",
                "body": {"representation": "storage", "value": "<p>We shipped it.</p>"},
                "version": {"number": 2},
            }
            assert c.put(f"/api/v2/blogposts/{blog}", json=post).status_code == 200
            # an event the app did not subscribe to sends nothing
            assert c.put(
                f"/api/v2/pages/{pid}/title", json={"status": "current", "title": "DG"}
            ).is_success
            assert emu.webhooks.flush(10)
        hits = list(rec.hits)
    events = cloud_events(emu, hits)
    assert [(e.event, e.content_type) for e in events] == [
        ("comment_created", "comment"),
        ("attachment_created", "attachment"),
        ("blog_updated", "blogpost"),
    ]
    assert events[0].content_id == comment.json()["id"]
    assert events[0].container_id == pid
    assert events[1].content_id == upload.json()["results"][0]["id"]
    assert events[1].container_id == pid
    assert events[2].content_id == blog
    assert "blog" in json.loads(hits[2].body)


def test_cloud_expired_tokens_and_wrong_secrets_are_rejected() -> None:
    with receiver() as rec:
        emu = cloud_emulator(rec.url + "/hook", jwt_ttl_s=-120)  # tokens already expired
        pid = page_id(emu, "Public Home")
        with served(emu) as c:
            labels = c.post(f"/rest/api/content/{pid}/label", json=[{"name": "a"}])
            assert labels.status_code == 200
            assert emu.webhooks.flush(10)
        (hit,) = rec.hits
    args: dict[str, Any] = {
        "secret": SHARED,
        "method": "POST",
        "path": hit.path,
        "query": hit.query,
        "client_key": emu.webhooks.client_key,
    }
    with pytest.raises(WebhookAuthError) as expired:
        rx.read_cloud(hit.body, hit.headers, **args)
    assert expired.value.reason == "expired"
    fresh = {"Authorization": "JWT " + rx_token(emu, hit)}
    assert rx.read_cloud(hit.body, fresh, **args).label == "a"
    with pytest.raises(WebhookAuthError) as wrong:
        rx.read_cloud(hit.body, fresh, **{**args, "secret": SHARED + "x"})
    assert wrong.value.reason == "mismatch"
    with pytest.raises(WebhookAuthError) as moved:
        rx.read_cloud(hit.body, fresh, **{**args, "query": "event=page_removed"})
    assert moved.value.reason == "qsh"
    with pytest.raises(WebhookAuthError) as other_site:
        rx.read_cloud(hit.body, fresh, **{**args, "client_key": "other"})
    assert other_site.value.reason == "issuer"


def rx_token(emu: Emulator, hit: Hit) -> str:
    """A fresh token for a captured request, made the way the emulator makes them."""
    return connect_jwt(
        f"http://127.0.0.1{hit.path}?{hit.query}", secret=SHARED, issuer=emu.webhooks.client_key
    )


def test_app_webhooks_are_cloud_only_and_validated() -> None:
    dc = make_emulator("dc")
    with pytest.raises(ValueError, match="Cloud only"):
        dc.webhooks.add_app(AppWebhook("http://127.0.0.1:9/h", SHARED))
    with pytest.raises(ValueError, match="absolute http"):
        AppWebhook("127.0.0.1:9/h", SHARED)
    with pytest.raises(ValueError, match="shared secret"):
        AppWebhook("http://127.0.0.1:9/h", "")
    with pytest.raises(ValueError, match="unknown webhook events: nope"):
        AppWebhook("http://127.0.0.1:9/h", SHARED, frozenset({"nope"}))


# ---- delivery never blocks or breaks the write -----------------------------------------------


def test_a_dead_receiver_does_not_slow_or_fail_the_write() -> None:
    emu = make_emulator("dc")
    pid = page_id(emu, "Public Home")
    with served(emu) as c:
        register(c, dead_url(), ["page_updated"], configuration={"secret": SECRET})
        started = time.monotonic()
        body = {"type": "page", "title": "Public Home", "version": {"number": 2}}
        response = c.put(f"/rest/api/content/{pid}", json=body)
        took = time.monotonic() - started
        assert response.status_code == 200
        assert took < 1.0
        assert emu.webhooks.flush(10)
    (attempt,) = emu.webhooks.deliveries
    assert attempt.status is None
    assert attempt.error is not None
    assert "Connect" in attempt.error
    assert not attempt.ok
    assert attempt.event == "page_updated"


def test_a_stalled_receiver_does_not_hold_up_writes() -> None:
    with receiver(status=500) as rec:
        rec.hold = threading.Event()
        emu = cloud_emulator(rec.url + "/slow")
        pid = page_id(emu, "Public Home")
        with served(emu) as c:
            started = time.monotonic()
            for n in (1, 2, 3):
                labels = c.post(f"/rest/api/content/{pid}/label", json=[{"name": f"l{n}"}])
                assert labels.status_code == 200
            took = time.monotonic() - started
            assert rec.arrived.wait(10)  # the first delivery is being held
            assert took < 1.0
            assert not emu.webhooks.flush(0.2)  # still pending
            stats = httpx.get(origin(c) + "/_emulator/webhooks", trust_env=False).json()
            assert stats["pending"] == 3
            assert stats["apps"][0]["url"].endswith("/slow")
            rec.hold.set()
            assert emu.webhooks.flush(10)
            stats = httpx.get(origin(c) + "/_emulator/webhooks", trust_env=False).json()
    assert [d["status"] for d in stats["deliveries"]] == [500, 500, 500]  # recorded, no retries
    assert [e.label for e in cloud_events(emu, rec.hits)] == ["l1", "l2", "l3"]


def test_the_queue_is_bounded_and_drops_what_does_not_fit() -> None:
    site = build_site(copy.deepcopy(SITE), flavor="dc")
    hub = WebhookHub(site, queue_size=2, idle_s=0.2)
    site.listeners.append(hub.on_change)
    page = next(c for c in site.content.values() if c.title == "Public Home")
    admin = next(u for u in site.users.values() if u.admin)
    with receiver() as rec:
        rec.hold = threading.Event()
        hub.register(name="h", url=rec.url + "/h", events=["label_added"], secret=SECRET)
        site_ops.add_labels(site, admin, page, [("global", "first")])
        assert rec.arrived.wait(10)  # in flight, not in the queue
        started = time.monotonic()
        site_ops.add_labels(site, admin, page, [("global", f"n{i}") for i in range(6)])
        assert time.monotonic() - started < 0.5
        assert hub.dropped == 4
        rec.hold.set()
        assert hub.flush(10)
    attempts = hub.deliveries
    assert [a.error for a in attempts if a.status is None] == ["queue full"] * 4
    assert [a.status for a in attempts if a.status is not None] == [204, 204, 204]
    assert [e.label for e in dc_events(rec.hits)] == ["first", "n0", "n1"]
    hub.clear()
    assert (hub.deliveries, hub.dropped) == ([], 0)


def test_a_failing_payload_builder_never_breaks_the_write(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("payload bug")

    monkeypatch.setattr(emulator_webhooks, "dc_payload", broken)
    emu = make_emulator("dc")
    emu.webhooks.register(name="h", url=dead_url(), events=["page_updated"])
    page = next(c for c in emu.site.content.values() if c.title == "Public Home")
    admin = next(u for u in emu.site.users.values() if u.admin)
    site_ops.update_content(emu.site, admin, page, version_number=2, title="Still saved")
    assert page.title == "Still saved"
    assert "webhook emission failed for page_updated" in caplog.text
    assert emu.webhooks.flush(1)
    assert emu.webhooks.deliveries == []


# ---- the CLI ---------------------------------------------------------------------------------


def test_serve_options_configure_app_webhooks() -> None:
    emu = build_emulator(
        ServeOptions(
            flavor="cloud",
            app_webhook="http://127.0.0.1:9/hook",
            app_webhook_events="page_updated, page_removed",
        )
    )
    (hook,) = emu.webhooks.apps
    assert hook.events == {"page_updated", "page_removed"}
    assert hook.secret.startswith("shared-")  # derived from the seed
    again = build_emulator(ServeOptions(flavor="cloud", app_webhook="http://127.0.0.1:9/hook"))
    assert again.webhooks.apps[0].secret == hook.secret
    assert again.webhooks.apps[0].events == frozenset()
    with pytest.raises(InputError, match="Data Center register webhooks with POST"):
        build_emulator(ServeOptions(flavor="dc", app_webhook="http://127.0.0.1:9/hook"))
    with pytest.raises(InputError, match="unknown webhook event"):
        build_emulator(
            ServeOptions(flavor="cloud", app_webhook="http://127.0.0.1:9/h", app_webhook_events="x")
        )
    with pytest.raises(InputError, match="need --app-webhook"):
        build_emulator(ServeOptions(flavor="cloud", app_webhook_secret="s"))
    with pytest.raises(InputError, match="absolute http"):
        build_emulator(ServeOptions(flavor="cloud", app_webhook="nowhere"))


def test_radex_emulator_serve_sends_app_webhooks() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with receiver() as rec:
        proc = subprocess.Popen(
            [
                str(RADEX),
                "emulator",
                "serve",
                "--port",
                str(port),
                "--token",
                "tok",
                "--app-webhook",
                rec.url + "/cli",
                "--app-webhook-secret",
                SHARED,
                "--app-webhook-events",
                "label_added",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert proc.stdout is not None
            lines: list[str] = []
            while not lines or "Ctrl-C" not in lines[-1]:
                line = proc.stdout.readline()
                assert line, "\n".join(lines)
                lines.append(line.strip())
            hook_line = next(line for line in lines if line.startswith("app webhook:"))
            assert f"POST {rec.url}/cli" in hook_line
            assert f"shared secret {SHARED}" in hook_line
            client_key = hook_line.split("clientKey ")[1].split()[0]
            base = f"http://127.0.0.1:{port}/wiki"
            creds = ("admin@example.com", "tok")
            deadline = time.monotonic() + 15
            while True:
                try:
                    pages = httpx.get(f"{base}/api/v2/pages", auth=creds, trust_env=False)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            pid = pages.json()["results"][0]["id"]
            added = httpx.post(
                f"{base}/rest/api/content/{pid}/label",
                json=[{"name": "from-cli"}],
                auth=creds,
                trust_env=False,
            )
            assert added.status_code == 200
            assert rec.arrived.wait(10)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        (hit,) = rec.hits
    event = rx.read_cloud(
        hit.body,
        hit.headers,
        secret=SHARED,
        method="POST",
        path=hit.path,
        query=hit.query,
        client_key=client_key,
    )
    assert (event.event, event.content_id, event.label) == ("label_added", pid, "from-cli")
