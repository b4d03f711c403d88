"""Build an emulator from command-line style options, and serve it on loopback."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import uvicorn

from radex.confluence.emulator.app import Emulator, create_emulator
from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.fixture import build_site, read_fixture
from radex.confluence.emulator.generator import generate_fixture, load_sample_fixture
from radex.confluence.emulator.http import EmulatorConfig
from radex.confluence.emulator.model import Flavor, User
from radex.confluence.emulator.ratelimit import RateLimitConfig
from radex.confluence.emulator.webhooks import CONTENT_EVENTS, AppWebhook, unknown_events
from radex.errors import InputError

DEFAULT_OAUTH_CLIENT = ("radex-emulator-client", "radex-emulator-secret")


@dataclass(frozen=True)
class ServeOptions:
    """What `radex emulator serve` accepts."""

    flavor: Flavor = "cloud"
    pages: int | None = None
    fixture: Path | None = None
    seed: int = 0
    latency_ms: float = 0.0
    faults: str = ""
    user: str | None = None
    token: str | None = None
    context_path: str = ""
    legacy_v1: Literal["serve", "warn", "gone"] = "warn"
    rate_limit: str = ""
    anonymous: bool = False
    fault_timeout_s: float = 10.0
    app_webhook: str = ""  # Cloud: a Connect app's webhook receiver URL
    app_webhook_secret: str = ""  # its shared secret ("" = derived from the seed, printed)
    app_webhook_events: str = ""  # comma-separated event names ("" = every content event)


def parse_rate_limit(spec: str) -> RateLimitConfig | None:
    """``CAPACITY:FILL_RATE[:INTERVAL_S]`` → a bucket config (empty → no limit)."""
    if not spec:
        return None
    parts = spec.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        capacity, fill = int(parts[0]), int(parts[1])
        interval = float(parts[2]) if len(parts) == 3 else 1.0
    except ValueError:
        raise InputError(
            f"rate limit '{spec}' is not CAPACITY:FILL_RATE[:INTERVAL_S]",
            hint="e.g. 100:10 for a bucket of 100 refilled by 10 per second",
        ) from None
    if capacity < 1 or fill < 1 or interval <= 0:
        raise InputError(f"rate limit '{spec}' must have positive numbers")
    return RateLimitConfig(capacity, fill, interval)


def parse_app_webhook(opts: ServeOptions) -> AppWebhook | None:
    """The Connect app webhook the ``--app-webhook*`` options describe (Cloud only)."""
    if not opts.app_webhook:
        if opts.app_webhook_secret or opts.app_webhook_events:
            raise InputError("--app-webhook-secret and --app-webhook-events need --app-webhook URL")
        return None
    if opts.flavor != "cloud":
        raise InputError(
            "--app-webhook is for Cloud (Connect apps); on Data Center register webhooks with "
            "POST /rest/api/webhooks"
        )
    events = [e.strip() for e in opts.app_webhook_events.split(",") if e.strip()]
    if unknown := unknown_events(events):
        raise InputError(
            f"unknown webhook event(s): {', '.join(unknown)}",
            hint=f"the emulator sends {', '.join(CONTENT_EVENTS)}",
        )
    secret = (
        opts.app_webhook_secret
        or "shared-" + hashlib.sha256(f"app-webhook:{opts.seed}".encode()).hexdigest()[:40]
    )
    try:
        return AppWebhook(opts.app_webhook, secret, frozenset(events))
    except ValueError as exc:
        raise InputError(f"--app-webhook: {exc}") from None


def build_emulator(opts: ServeOptions) -> Emulator:
    """The emulator the options describe, with its admin user and a registered OAuth app."""
    if opts.pages is not None and opts.fixture is not None:
        raise InputError("give either --pages or --fixture, not both")
    if opts.pages is not None and opts.pages < 1:
        raise InputError(f"--pages must be at least 1, not {opts.pages}")
    fixture: dict[str, Any]
    if opts.fixture is not None:
        fixture = read_fixture(opts.fixture)
    elif opts.pages is not None:
        fixture = generate_fixture(opts.pages, seed=opts.seed)
    else:
        fixture = load_sample_fixture()
    if opts.flavor == "dc" and opts.context_path and not opts.context_path.startswith("/"):
        raise InputError(
            f"--context-path must start with '/', e.g. /confluence (got {opts.context_path})"
        )
    default_login = "admin@example.com" if opts.flavor == "cloud" else "admin"
    admin = (opts.user or default_login, opts.token or "")
    site = build_site(fixture, flavor=opts.flavor, seed=opts.seed, admin=admin)
    site.anonymous_access = site.anonymous_access or opts.anonymous
    config = EmulatorConfig(
        flavor=opts.flavor,
        context_path=opts.context_path if opts.flavor == "dc" else "",
        latency_ms=opts.latency_ms,
        faults=FaultSpec.parse(opts.faults),
        fault_seed=opts.seed,
        fault_timeout_s=opts.fault_timeout_s,
        rate_limit=parse_rate_limit(opts.rate_limit),
        legacy_v1=opts.legacy_v1,
    )
    app_hook = parse_app_webhook(opts)
    emu = create_emulator(site, config, app_webhooks=[app_hook] if app_hook else ())
    emu.oauth.register(*DEFAULT_OAUTH_CLIENT)
    return emu


def admin_of(emu: Emulator) -> User:
    """The site administrator (the credential `serve` prints)."""
    return next(u for u in emu.site.users.values() if u.admin)


def base_url(emu: Emulator, host: str, port: int, scheme: str = "http") -> str:
    """The URL a client uses as the site base."""
    if emu.config.flavor == "cloud":
        return f"{scheme}://{host}:{port}/wiki"
    return f"{scheme}://{host}:{port}{emu.config.context_path.rstrip('/')}"


def serve(emu: Emulator, *, host: str = "127.0.0.1", port: int = 8090) -> None:
    """Serve until interrupted."""
    emu.webhooks.base_url = f"http://{host}:{port}"
    uvicorn.run(emu.app, host=host, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def running(
    emu: Emulator,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: tuple[str, str] | None = None,
) -> Iterator[str]:
    """Serve in a background thread for tests and benchmarks; yields the site base URL.

    ``tls`` (certificate file, key file) serves HTTPS instead of HTTP.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    certfile, keyfile = tls or (None, None)
    config = uvicorn.Config(
        emu.app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator did not start within 10 s")
        time.sleep(0.01)
    emu.webhooks.base_url = f"http://{host}:{bound_port}"
    try:
        yield base_url(emu, host, bound_port, "https" if tls else "http")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
