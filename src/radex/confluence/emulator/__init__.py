"""A faithful Confluence site as an ASGI app: Cloud and Data Center flavours, fault injection.

Build a site with ``build_site`` (or ``serve.build_emulator``), wrap it with ``create_emulator``
and hand ``emu.app`` to ``httpx.ASGITransport`` or to uvicorn.
"""

from radex.confluence.emulator.app import Emulator, create_emulator
from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.fixture import build_site, read_fixture
from radex.confluence.emulator.http import EmulatorConfig
from radex.confluence.emulator.model import Site
from radex.confluence.emulator.ratelimit import RateLimitConfig
from radex.confluence.emulator.webhooks import AppWebhook, WebhookHub

__all__ = [
    "AppWebhook",
    "Emulator",
    "EmulatorConfig",
    "FaultSpec",
    "RateLimitConfig",
    "Site",
    "WebhookHub",
    "build_site",
    "create_emulator",
    "read_fixture",
]
