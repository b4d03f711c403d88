"""Receiving Confluence webhooks: verify a delivery, then read it as a typed content event.

Pure functions on the raw body and headers, so any web framework can call them:

- Data Center signs each delivery of a webhook that has a secret with HMAC-SHA256 over the raw
  body, in ``X-Hub-Signature: sha256=<hex>`` (:func:`verify_dc`).
- Cloud (Connect apps) sends ``Authorization: JWT <token>``, an HS256 token signed with the
  app's shared secret whose ``qsh`` claim hashes the request's method, path and query
  (:func:`verify_connect_jwt`). Cloud payloads carry no event name: apps route by URL, and the
  emulator appends ``event=<name>`` to the query (:func:`event_from_query`).
- :func:`parse_event` reads either payload shape into a :class:`ContentEvent`.

Verification failures raise :class:`~radex.errors.WebhookAuthError` (``reason`` names the
check); unreadable payloads raise :class:`~radex.errors.WebhookPayloadError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote

import jwt

from radex.errors import ConfigError, WebhookAuthError, WebhookPayloadError

ContentKind = Literal["page", "blogpost", "comment", "attachment", "folder"]

SIGNATURE_HEADER = "X-Hub-Signature"
AUTHORIZATION_HEADER = "Authorization"
EVENT_PARAM = "event"
CONTEXT_QSH = "context-qsh"  # the qsh of Connect context tokens, never valid on a webhook
DEFAULT_LEEWAY_S = 10.0

# payload keys that hold the changed content, and the type each implies
_CONTENT_KEYS: dict[str, ContentKind | None] = {
    "page": "page",
    "blog": "blogpost",
    "blogpost": "blogpost",
    "comment": "comment",
    "attachment": "attachment",
    "folder": "folder",
    "content": None,  # typed by its contentType
    "labeled": None,
    "labelled": None,
}
_TYPE_NAMES: dict[str, ContentKind] = {
    "page": "page",
    "blogpost": "blogpost",
    "blog": "blogpost",
    "comment": "comment",
    "attachment": "attachment",
    "folder": "folder",
}


@dataclass(frozen=True)
class ContentEvent:
    """One change to one piece of content, as a webhook reported it."""

    event: str  # e.g. "page_updated"; names this module does not know are passed through
    content_id: str  # the id the REST API uses (attachments: "att<digits>")
    content_type: ContentKind
    space_key: str | None  # Cloud payloads only; Data Center sends ids alone
    version: int | None  # Cloud payloads only
    at: datetime | None  # when Confluence says the event happened (UTC)
    container_id: str | None = None  # the page or blog post of a comment or attachment
    label: str | None = None  # label events: the label's name
    actor: str | None = None  # who did it: userKey (Data Center) or accountId (Cloud)


# ---- Data Center: HMAC-SHA256 in X-Hub-Signature ------------------------------------------


def sign_dc(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature`` value Data Center sends for this body: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_dc(body: bytes, header_value: str | None, secret: str) -> None:
    """Check a Data Center delivery's ``X-Hub-Signature`` against the raw body (constant time)."""
    if not secret:
        raise ConfigError("no webhook secret is configured, so the delivery cannot be verified")
    if header_value is None or not header_value.strip():
        raise WebhookAuthError(
            f"the {SIGNATURE_HEADER} header is missing",
            reason="missing",
            hint="give the webhook a secret (configuration.secret) so Confluence signs it",
        )
    scheme, sep, digest = header_value.strip().partition("=")
    if not sep or scheme.strip().lower() != "sha256":
        raise WebhookAuthError(
            f"the {SIGNATURE_HEADER} header uses scheme '{scheme.strip()[:20]}', "
            "expected sha256=<hex>",
            reason="scheme",
        )
    expected = sign_dc(body, secret).partition("=")[2].encode()
    given = digest.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise WebhookAuthError(
            f"the {SIGNATURE_HEADER} signature does not match the body",
            reason="mismatch",
            hint="the body was altered, or the secret differs from the webhook's",
        )


# ---- Cloud: Atlassian Connect JWT with a query string hash --------------------------------


def _rfc3986(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_uri(path: str, *, base_path: str = "") -> str:
    """The Connect canonical URI: the path below the app's base path, '/'-led, no trailing '/'."""
    base = base_path.rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :]
    if not path:
        return "/"
    path = path.replace("&", "%26")
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def canonical_query(query: str) -> str:
    """The Connect canonical query: ``jwt`` dropped, RFC 3986 encoded, sorted, repeats joined."""
    grouped: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key != "jwt":
            grouped.setdefault(_rfc3986(key), []).append(_rfc3986(value))
    return "&".join(f"{key}={','.join(sorted(grouped[key]))}" for key in sorted(grouped))


def canonical_request(method: str, path: str, query: str = "", *, base_path: str = "") -> str:
    """``METHOD&canonical-uri&canonical-query``, the string a Connect ``qsh`` hashes."""
    return f"{method.upper()}&{canonical_uri(path, base_path=base_path)}&{canonical_query(query)}"


def query_string_hash(method: str, path: str, query: str = "", *, base_path: str = "") -> str:
    """The Connect ``qsh`` claim for a request: SHA-256 hex of its canonical request."""
    canonical = canonical_request(method, path, query, base_path=base_path)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jwt_from(authorization: str | None, query: str) -> str:
    if authorization is not None and authorization.strip():
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "jwt" or not token.strip():
            raise WebhookAuthError(
                f"the Authorization header uses scheme '{scheme[:20]}', expected 'JWT <token>'",
                reason="scheme",
            )
        return token.strip()
    from_query = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "jwt"]
    if from_query and from_query[0]:
        return from_query[0]
    raise WebhookAuthError(
        "the request carries no JWT (no 'Authorization: JWT …' header, no jwt parameter)",
        reason="missing",
    )


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WebhookAuthError(f"the JWT's '{name}' claim is not a number", reason="malformed")
    return float(value)


def verify_connect_jwt(
    authorization: str | None,
    *,
    secret: str,
    method: str,
    path: str,
    query: str = "",
    client_key: str | None = None,
    base_path: str = "",
    leeway_s: float = DEFAULT_LEEWAY_S,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a Connect request's HS256 JWT (signature, exp/iat, qsh, issuer); its claims.

    ``path`` and ``query`` are the request's as received; ``base_path`` is the app's base URL
    path (stripped before hashing). ``client_key``, when given, must equal the ``iss`` claim.
    """
    if not secret:
        raise ConfigError("no shared secret is configured, so the JWT cannot be verified")
    token = _jwt_from(authorization, query)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise WebhookAuthError("the JWT is malformed", reason="malformed") from None
    if header.get("alg") != "HS256":
        raise WebhookAuthError(
            f"the JWT is signed with {header.get('alg')!r}, expected HS256", reason="algorithm"
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "require": ["iss", "iat", "exp", "qsh"],
            },
        )
    except jwt.InvalidSignatureError:
        raise WebhookAuthError(
            "the JWT signature does not match",
            reason="mismatch",
            hint="the token was altered, or the shared secret differs from the app's",
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise WebhookAuthError(f"the JWT has no '{exc.claim}' claim", reason="malformed") from None
    except jwt.PyJWTError as exc:
        raise WebhookAuthError(f"the JWT cannot be read: {exc}", reason="malformed") from None
    clock = time.time() if now is None else now
    if clock > _number(claims, "exp") + leeway_s:
        raise WebhookAuthError(
            f"the JWT expired {int(clock - _number(claims, 'exp'))} s ago", reason="expired"
        )
    if _number(claims, "iat") > clock + leeway_s:
        raise WebhookAuthError("the JWT was issued in the future", reason="expired")
    if client_key is not None and claims.get("iss") != client_key:
        raise WebhookAuthError(
            f"the JWT was issued by {str(claims.get('iss'))[:80]!r}, not the expected client key",
            reason="issuer",
        )
    qsh = claims.get("qsh")
    if not isinstance(qsh, str) or qsh == CONTEXT_QSH:
        raise WebhookAuthError("the JWT carries no query string hash for a request", reason="qsh")
    expected = query_string_hash(method, path, query, base_path=base_path)
    if not hmac.compare_digest(expected.encode(), qsh.encode("utf-8", "replace")):
        raise WebhookAuthError(
            "the JWT's qsh does not match this request's method, path and query",
            reason="qsh",
            hint="the token was made for another request, or base_path is wrong",
        )
    return claims


def event_from_query(query: str) -> str | None:
    """The ``event`` parameter by which the emulator (and a Connect app's URLs) name the event."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == EVENT_PARAM and value:
            return value
    return None


# ---- payloads -----------------------------------------------------------------------------


def _fail(message: str) -> WebhookPayloadError:
    return WebhookPayloadError(f"webhook payload: {message}")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _fail("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _fail(f"expected a JSON object, got {type(data).__name__}")
    return data


def _id(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip() and not any(ch.isspace() for ch in value):
        return value
    raise _fail(f"{where} is not a content id: {str(value)[:40]!r}")


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, dict):  # {"number": n}, as the REST API writes versions
        value = value.get("number")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _fail(f"{where} is not an integer: {str(value)[:40]!r}")


def _instant(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise _fail(f"{where} is not a millisecond timestamp: {str(value)[:40]!r}")


def _optional_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise _fail(f"{where} is not a string")


def _content(data: dict[str, Any]) -> tuple[str, ContentKind | None, dict[str, Any]]:
    for key, kind in _CONTENT_KEYS.items():
        node = data.get(key)
        if node is None:
            continue
        if not isinstance(node, dict):
            raise _fail(f"'{key}' is not an object")
        return key, kind, node
    keys = ", ".join(sorted(data)[:8]) or "none"
    raise _fail(f"no content object (page, blog, comment, attachment, …); keys: {keys}")


def _kind(key: str, implied: ContentKind | None, node: dict[str, Any]) -> ContentKind:
    declared = node.get("contentType", node.get("type"))
    if declared is None:
        if implied is None:
            raise _fail(f"'{key}' does not say its contentType")
        return implied
    if not isinstance(declared, str) or declared not in _TYPE_NAMES:
        raise _fail(f"unsupported content type {str(declared)[:40]!r}")
    return _TYPE_NAMES[declared]


def parse_event(body: bytes, *, event: str | None = None) -> ContentEvent:
    """Read a Data Center or Cloud webhook body as a :class:`ContentEvent`.

    Data Center bodies name their event; Cloud bodies do not, so pass ``event`` (from the
    URL, see :func:`event_from_query`). When both are present they must agree.
    """
    data = _json_object(body)
    named = data.get("event")
    if named is not None and (not isinstance(named, str) or not named):
        raise _fail("'event' is not a non-empty string")
    if event is not None and named is not None and event != named:
        raise _fail(f"the body says event {named!r} but the request was routed as {event!r}")
    name = event or named
    if not name:
        raise _fail("no event name: Cloud payloads need the event from the URL (?event=…)")
    key, implied, node = _content(data)
    kind = _kind(key, implied, node)
    content_id = _id(node.get("idAsString", node.get("id")), f"{key}.id")
    if kind == "attachment" and content_id.isdigit():
        content_id = "att" + content_id
    container_id: str | None = None
    container = node.get("container")
    if isinstance(container, dict):
        raw = container.get("idAsString", container.get("id"))
        container_id = _id(raw, f"{key}.container.id") if raw is not None else None
    label = data.get("label")
    label_name: str | None = None
    if label is not None:
        if not isinstance(label, dict):
            raise _fail("'label' is not an object")
        label_name = _optional_str(label.get("name"), "label.name")
    actor = _optional_str(data.get("userAccountId", data.get("userKey")), "the user")
    at = _instant(data.get("timestamp"), "timestamp") or _instant(
        node.get("modificationDate"), f"{key}.modificationDate"
    )
    return ContentEvent(
        event=name,
        content_id=content_id,
        content_type=kind,
        space_key=_optional_str(node.get("spaceKey"), f"{key}.spaceKey"),
        version=_optional_int(node.get("version"), f"{key}.version"),
        at=at,
        container_id=container_id,
        label=label_name,
        actor=actor,
    )


# ---- one call per flavour -----------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value by case-insensitive name, or None."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def read_dc(body: bytes, headers: Mapping[str, str], *, secret: str) -> ContentEvent:
    """Verify a Data Center delivery's signature, then parse it."""
    verify_dc(body, header(headers, SIGNATURE_HEADER), secret)
    return parse_event(body)


def read_cloud(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    method: str,
    path: str,
    query: str = "",
    client_key: str | None = None,
    base_path: str = "",
) -> ContentEvent:
    """Verify a Cloud (Connect) delivery's JWT, then parse it with the event from the query."""
    verify_connect_jwt(
        header(headers, AUTHORIZATION_HEADER),
        secret=secret,
        method=method,
        path=path,
        query=query,
        client_key=client_key,
        base_path=base_path,
    )
    return parse_event(body, event=event_from_query(query))
