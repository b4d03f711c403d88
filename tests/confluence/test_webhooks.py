"""radex.confluence.webhooks: DC signatures, Connect JWTs with qsh, and payload parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from radex.confluence.webhooks import (
    ContentEvent,
    canonical_request,
    event_from_query,
    header,
    parse_event,
    query_string_hash,
    read_cloud,
    read_dc,
    sign_dc,
    verify_connect_jwt,
    verify_dc,
)
from radex.errors import (
    ConfigError,
    InputError,
    PermissionDeniedError,
    RadexError,
    WebhookAuthError,
    WebhookPayloadError,
)

SECRET = "dc-webhook-secret-0123456789abcdef"
SHARED = "connect-shared-secret-" + "0123456789abcdef" * 3
CLIENT_KEY = "5c2b8d1e-0a41-4f6e-9b0e-2f7d3c9a1b42"
DC_BODY = json.dumps(
    {
        "timestamp": 1767225600000,
        "event": "page_updated",
        "userKey": "ff8080817abc",
        "page": {"id": 1015809},
        "updateTrigger": "edit_page",
    },
    separators=(",", ":"),
).encode()


def reason_of(exc: pytest.ExceptionInfo[WebhookAuthError]) -> str:
    return exc.value.reason


# ---- Data Center signatures -----------------------------------------------------------------


def test_sign_dc_is_hmac_sha256_hex_of_the_raw_body() -> None:
    want = hmac.new(SECRET.encode(), DC_BODY, hashlib.sha256).hexdigest()
    assert sign_dc(DC_BODY, SECRET) == f"sha256={want}"
    verify_dc(DC_BODY, f"sha256={want}", SECRET)
    verify_dc(DC_BODY, f"SHA256={want.upper()}", SECRET)  # hex and scheme case do not matter


def test_dc_tampered_body_wrong_secret_and_bad_headers_are_refused() -> None:
    good = sign_dc(DC_BODY, SECRET)
    with pytest.raises(WebhookAuthError, match="does not match") as tampered:
        verify_dc(DC_BODY.replace(b"1015809", b"1015810"), good, SECRET)
    assert reason_of(tampered) == "mismatch"
    with pytest.raises(WebhookAuthError) as wrong:
        verify_dc(DC_BODY, good, SECRET + "x")
    assert reason_of(wrong) == "mismatch"
    with pytest.raises(WebhookAuthError, match="X-Hub-Signature header is missing") as missing:
        verify_dc(DC_BODY, None, SECRET)
    assert reason_of(missing) == "missing"
    with pytest.raises(WebhookAuthError) as blank:
        verify_dc(DC_BODY, "  ", SECRET)
    assert reason_of(blank) == "missing"
    sha1 = "sha1=" + hmac.new(SECRET.encode(), DC_BODY, hashlib.sha1).hexdigest()
    with pytest.raises(WebhookAuthError, match="scheme 'sha1'") as scheme:
        verify_dc(DC_BODY, sha1, SECRET)
    assert reason_of(scheme) == "scheme"
    with pytest.raises(WebhookAuthError) as bare:
        verify_dc(DC_BODY, good.removeprefix("sha256="), SECRET)
    assert reason_of(bare) == "scheme"
    with pytest.raises(WebhookAuthError) as odd:
        verify_dc(DC_BODY, "sha256=ünïcode", SECRET)
    assert reason_of(odd) == "mismatch"


def test_dc_without_a_configured_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no webhook secret"):
        verify_dc(DC_BODY, sign_dc(DC_BODY, "x"), "")


def test_error_classes_sit_in_the_radex_tree() -> None:
    assert issubclass(WebhookAuthError, PermissionDeniedError)
    assert issubclass(WebhookPayloadError, InputError)
    assert issubclass(WebhookAuthError, RadexError)
    exc = WebhookAuthError("no", reason="missing", hint="add one")
    assert (exc.reason, str(exc)) == ("missing", "no (add one)")


def test_read_dc_finds_the_header_in_any_case() -> None:
    headers = {"x-hub-signature": sign_dc(DC_BODY, SECRET), "Content-Type": "application/json"}
    assert header(headers, "X-Hub-Signature") == headers["x-hub-signature"]
    assert header(headers, "Authorization") is None
    event = read_dc(DC_BODY, headers, secret=SECRET)
    assert (event.event, event.content_id, event.content_type) == (
        "page_updated",
        "1015809",
        "page",
    )
    with pytest.raises(WebhookAuthError):
        read_dc(DC_BODY + b" ", headers, secret=SECRET)


# ---- the Connect query string hash ----------------------------------------------------------


def test_qsh_matches_a_real_connect_capture() -> None:
    # A JWT a Connect host sent to an add-on at /addon/ (qsh claim and canonical string from a
    # public capture): the jwt parameter is excluded, keys sorted, values RFC 3986 encoded.
    query = (
        "lic=none&tz=Europe%2FMoscow&cp=%2Fjira&user_key=admin&loc=en-US&user_id=admin"
        "&jwt=eyJhbGciOiJIUzI1NiJ9.e30.x&xdm_e=http%3A%2F%2Flocalhost%3A2990"
        "&xdm_c=channel-servlet-click-me&xdm_p=1"
    )
    assert canonical_request("get", "/addon/", query) == (
        "GET&/addon&cp=%2Fjira&lic=none&loc=en-US&tz=Europe%2FMoscow&user_id=admin"
        "&user_key=admin&xdm_c=channel-servlet-click-me&xdm_e=http%3A%2F%2Flocalhost%3A2990"
        "&xdm_p=1"
    )
    assert query_string_hash("GET", "/addon/", query) == (
        "3a6ff1b66f60eb275d0e4cb6be4261d5d3b0216b91c58dc6524509227ef346de"
    )


@pytest.mark.parametrize(
    ("method", "path", "query", "base_path", "canonical"),
    [
        ("GET", "/", "param=foo", "", "GET&/&param=foo"),
        ("post", "/user", "", "", "POST&/user&"),
        ("POST", "", "", "", "POST&/&"),
        ("POST", "/hooks/", "event=page_updated", "", "POST&/hooks&event=page_updated"),
        ("POST", "/app/hooks", "", "/app", "POST&/hooks&"),
        ("POST", "/app", "", "/app/", "POST&/&"),
        ("POST", "/apply", "", "/app", "POST&/apply&"),  # not below the base path
        ("GET", "/a&b", "", "", "GET&/a%26b&"),
        ("GET", "/x", "b=2&a=3&a=1&c", "", "GET&/x&a=1,3&b=2&c="),
        ("GET", "/x", "q=a b*c~d&q2=%E2%82%AC", "", "GET&/x&q=a%20b%2Ac~d&q2=%E2%82%AC"),
        ("GET", "/x", "jwt=abc&z=1", "", "GET&/x&z=1"),
    ],
)
def test_canonical_requests(
    method: str, path: str, query: str, base_path: str, canonical: str
) -> None:
    assert canonical_request(method, path, query, base_path=base_path) == canonical
    want = hashlib.sha256(canonical.encode()).hexdigest()
    assert query_string_hash(method, path, query, base_path=base_path) == want


# ---- Connect JWTs ---------------------------------------------------------------------------


def token(
    *,
    path: str = "/hooks",
    query: str = "event=page_updated",
    secret: str = SHARED,
    iss: str = CLIENT_KEY,
    iat: float | None = None,
    exp: float | None = None,
    drop: str = "",
    qsh: str | None = None,
    algorithm: str = "HS256",
) -> str:
    now = int(time.time()) if iat is None else int(iat)
    claims: dict[str, Any] = {
        "iss": iss,
        "sub": "5f1e0a",
        "iat": now,
        "exp": now + 180 if exp is None else int(exp),
        "qsh": qsh if qsh is not None else query_string_hash("POST", path, query),
    }
    claims.pop(drop, None)
    return jwt.encode(claims, secret, algorithm=algorithm)


def verify(authorization: str | None, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "secret": SHARED,
        "method": "POST",
        "path": "/hooks",
        "query": "event=page_updated",
        "client_key": CLIENT_KEY,
    }
    args.update(kw)
    return verify_connect_jwt(authorization, **args)


def refused(authorization: str | None, **kw: Any) -> str:
    with pytest.raises(WebhookAuthError) as info:
        verify(authorization, **kw)
    return reason_of(info)


def test_a_valid_connect_jwt_returns_its_claims() -> None:
    claims = verify(f"JWT {token()}")
    assert claims["iss"] == CLIENT_KEY
    assert claims["sub"] == "5f1e0a"
    assert verify(f"jwt {token()}", client_key=None)["iss"] == CLIENT_KEY
    # the token may also come as the jwt query parameter, which the qsh leaves out
    assert verify(None, query=f"event=page_updated&jwt={token()}")["iss"] == CLIENT_KEY


def test_expiry_honours_a_small_leeway() -> None:
    now = time.time()
    past = token(iat=now - 400, exp=now - 5)
    assert verify(f"JWT {past}")["iss"] == CLIENT_KEY  # within the default 10 s leeway
    assert refused(f"JWT {past}", leeway_s=0) == "expired"
    assert refused(f"JWT {token(iat=now - 400, exp=now - 60)}") == "expired"
    assert refused(f"JWT {token(iat=now + 600, exp=now + 900)}") == "expired"  # issued later
    assert verify(f"JWT {past}", now=now - 100)["iss"] == CLIENT_KEY


def test_wrong_secret_tampering_and_wrong_request_are_refused() -> None:
    assert refused(f"JWT {token(secret=SHARED + 'x')}") == "mismatch"
    head, claims, sig = token().split(".")
    forged = json.loads(jwt.utils.base64url_decode(claims))
    forged["iss"] = "someone-else"
    body = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    assert refused(f"JWT {head}.{body}.{sig}", client_key=None) == "mismatch"
    assert refused(f"JWT {token()}", query="event=page_removed") == "qsh"
    assert refused(f"JWT {token()}", path="/other") == "qsh"
    assert refused(f"JWT {token()}", method="PUT") == "qsh"
    assert refused(f"JWT {token(qsh='context-qsh')}") == "qsh"
    assert refused(f"JWT {token(iss='another-site')}") == "issuer"


def test_malformed_tokens_and_headers_are_refused() -> None:
    assert refused(None) == "missing"
    assert refused("") == "missing"
    assert refused(f"Bearer {token()}") == "scheme"
    assert refused("JWT") == "scheme"
    assert refused("JWT not-a-token") == "malformed"
    assert refused(f"JWT {token(drop='qsh')}") == "malformed"
    assert refused(f"JWT {token(drop='exp')}") == "malformed"
    assert refused(f"JWT {token(algorithm='HS512')}") == "algorithm"
    parts = [{"alg": "none", "typ": "JWT"}, {"iss": CLIENT_KEY, "qsh": "x", "iat": 0, "exp": 0}]
    unsigned = ".".join(jwt.utils.base64url_encode(json.dumps(p).encode()).decode() for p in parts)
    unsigned += "."
    assert refused(f"JWT {unsigned}") == "algorithm"
    with pytest.raises(ConfigError):
        verify(f"JWT {token()}", secret="")


def test_read_cloud_verifies_then_parses_with_the_event_from_the_query() -> None:
    body = json.dumps({"page": {"id": "42", "spaceKey": "ENG", "version": 3}}).encode()
    headers = {"authorization": f"JWT {token()}"}
    event = read_cloud(
        body,
        headers,
        secret=SHARED,
        method="POST",
        path="/hooks",
        query="event=page_updated",
        client_key=CLIENT_KEY,
    )
    assert (event.event, event.content_id, event.space_key, event.version) == (
        "page_updated",
        "42",
        "ENG",
        3,
    )
    assert event_from_query("a=1&event=page_moved") == "page_moved"
    assert event_from_query("event=") is None
    assert event_from_query("") is None


# ---- payloads -------------------------------------------------------------------------------


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def test_parses_data_center_payloads() -> None:
    event = parse_event(DC_BODY)
    assert event == ContentEvent(
        event="page_updated",
        content_id="1015809",
        content_type="page",
        space_key=None,
        version=None,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="ff8080817abc",
    )
    blog = parse_event(body({"event": "blog_created", "blog": {"id": 7}, "timestamp": 0}))
    assert (blog.content_type, blog.content_id) == ("blogpost", "7")
    att = parse_event(body({"event": "attachment_created", "attachment": {"id": 65540}}))
    assert (att.content_type, att.content_id, att.at) == ("attachment", "att65540", None)
    label = parse_event(
        body({"event": "label_added", "page": {"id": 5}, "label": {"name": "runbook"}})
    )
    assert (label.content_id, label.label) == ("5", "runbook")
    perms = parse_event(body({"event": "content_permissions_updated", "comment": {"id": 9}}))
    assert perms.content_type == "comment"


def test_parses_cloud_payloads() -> None:
    page = {
        "id": 10000001,
        "idAsString": "10000001",
        "spaceKey": "ENG",
        "spaceId": 20000001,
        "title": "Deploy",
        "contentType": "page",
        "version": 2,
        "modificationDate": 1767225600000,
        "creationDate": 1767225500000,
    }
    data = {"page": page, "userAccountId": "5f1e", "accountType": "customer"}
    event = parse_event(body(data), event="page_updated")
    assert (event.content_id, event.space_key, event.version, event.actor) == (
        "10000001",
        "ENG",
        2,
        "5f1e",
    )
    assert event.at == datetime(2026, 1, 1, tzinfo=UTC)  # no timestamp: the modification date
    with_ts = parse_event(body({**data, "timestamp": 1767225601000}), event="page_updated")
    assert with_ts.at == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    comment = {"id": "77", "contentType": "comment", "container": {"id": "10000001"}}
    got = parse_event(body({"comment": comment}), event="comment_created")
    assert (got.content_type, got.container_id) == ("comment", "10000001")
    labeled = {"labeled": {"id": "5", "contentType": "blogpost"}, "label": {"name": "x"}}
    assert parse_event(body(labeled), event="label_removed").content_type == "blogpost"
    attachment = {"attachment": {"id": "att12", "contentType": "attachment", "version": 1}}
    assert parse_event(body(attachment), event="attachment_updated").content_id == "att12"


def test_unknown_events_pass_through() -> None:
    got = parse_event(body({"event": "page_blueprint_sparkled", "page": {"id": 1}}))
    assert got.event == "page_blueprint_sparkled"
    assert parse_event(body({"page": {"id": "1"}}), event="brand_new").event == "brand_new"


@pytest.mark.parametrize(
    ("raw", "event", "message"),
    [
        (b"not json", None, "not valid JSON"),
        (b"\xff\xfe", None, "not valid JSON"),
        (b"[1, 2]", None, "expected a JSON object, got list"),
        (body({"page": {"id": 1}}), None, "no event name"),
        (body({"event": "", "page": {"id": 1}}), None, "'event' is not a non-empty string"),
        (body({"event": "page_updated", "page": {"id": 1}}), "page_removed", "routed as"),
        (body({"event": "space_created", "space": {"key": "X"}}), None, "no content object"),
        (body({"event": "page_updated", "page": "1"}), None, "'page' is not an object"),
        (body({"event": "page_updated", "page": {}}), None, "page.id is not a content id"),
        (body({"event": "page_updated", "page": {"id": True}}), None, "not a content id"),
        (body({"event": "page_updated", "page": {"id": "1 2"}}), None, "not a content id"),
        (body({"event": "page_updated", "page": {"id": -1}}), None, "not a content id"),
        (body({"content": {"id": 1}}), "x", "does not say its contentType"),
        (body({"page": {"id": 1, "contentType": "whiteboard"}}), "x", "unsupported content"),
        (body({"page": {"id": 1, "version": "2"}}), "x", "page.version is not an integer"),
        (body({"page": {"id": 1, "spaceKey": 5}}), "x", "page.spaceKey is not a string"),
        (body({"page": {"id": 1}, "timestamp": "now"}), "x", "timestamp is not a millisecond"),
        (body({"page": {"id": 1}, "timestamp": 10**30}), "x", "timestamp is not a millisecond"),
        (body({"page": {"id": 1}, "label": ["x"]}), "x", "'label' is not an object"),
    ],
)
def test_unreadable_payloads_raise_a_clear_error(
    raw: bytes, event: str | None, message: str
) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_event(raw, event=event)


def test_content_events_are_frozen() -> None:
    event = parse_event(DC_BODY)
    with pytest.raises(AttributeError):
        event.content_id = "2"  # type: ignore[misc]
