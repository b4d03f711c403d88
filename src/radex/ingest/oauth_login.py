"""OAuth 2.0 (3LO) sign-in from a terminal: a one-shot callback server on loopback.

The user opens the consent URL in a browser; Atlassian redirects back to
``http://127.0.0.1:<port>/callback`` with a code, which is exchanged for tokens.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from radex.confluence.auth import OAuth3LO, OAuthApp, OAuthTokens, complete_authorization
from radex.errors import AuthError, InputError

CALLBACK_PATH = "/callback"
READ_SCOPES = (
    "read:confluence-content.all",
    "read:confluence-space.summary",
    "read:confluence-user",
    "read:confluence-groups",
    "read:confluence-content.permission",
    "search:confluence",
    "read:page:confluence",
    "read:space:confluence",
    "read:attachment:confluence",
    "read:comment:confluence",
    "read:user:confluence",  # POST /users-bulk: the people pages mention
    "read:hierarchical-content:confluence",  # page trees: /descendants, /direct-children
    "read:content.metadata:confluence",  # /ancestors
    "read:folder:confluence",  # folders in a page tree
    "offline_access",
)
"""What an import needs: classic scopes for v1 (CQL, restrictions, the live permission check),
granular ones for v2."""
_DONE_PAGE = (
    b"<!doctype html><title>RADEX</title><p>RADEX is connected. You can close this window.</p>"
)


class CallbackServer:
    """Serves one OAuth redirect on 127.0.0.1 and keeps its query parameters."""

    def __init__(self, port: int = 0) -> None:
        self.params: dict[str, str] = {}
        self._got = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                outer.params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)
                outer._got.set()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the code in the URL must not reach a log."""

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise InputError(
                f"cannot listen on 127.0.0.1:{port} for the OAuth callback ({exc.strerror})",
                hint="pick another --callback-port (it must match the app's redirect URI)",
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        """Where the authorization server must send the browser back."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    async def wait(self, wait_s: float) -> dict[str, str]:
        """The callback's query parameters, once the browser has come back."""
        if not await asyncio.to_thread(self._got.wait, wait_s):
            raise AuthError(
                f"no OAuth callback arrived within {wait_s:.0f} s",
                hint="open the printed URL in a browser on this machine and approve access",
            )
        return self.params


async def oauth_login(
    app: OAuthApp,
    *,
    site_url: str,
    show_url: Callable[[str], None],
    http: httpx.AsyncClient,
    callback: CallbackServer,
    wait_s: float = 300.0,
    on_tokens: Callable[[OAuthTokens], None] | None = None,
) -> OAuth3LO:
    """Send the user to consent, wait for the redirect, exchange the code, pick the site."""
    request = app.authorization_url()
    show_url(request.url)
    params = await callback.wait(wait_s)
    if "error" in params:
        raise AuthError(
            "the authorization server refused: "
            + (params.get("error_description") or params["error"]),
            hint="approve the requested scopes, or check the app's client id and redirect URI",
        )
    if "code" not in params:
        raise AuthError("the OAuth callback carried no code")
    return await complete_authorization(
        app,
        http,
        code=params["code"],
        returned_state=params.get("state"),
        expected_state=request.state,
        site_url=site_url,
        on_tokens=on_tokens,
    )
