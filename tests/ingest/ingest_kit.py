"""Shared pieces for knowledge-base tests: an emulated site on loopback and RADEX services."""

from __future__ import annotations

import asyncio
import base64
import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from radex.app import Services, build
from radex.config import Settings
from radex.confluence.auth import ApiToken, Credential, PersonalAccessToken
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture
from radex.confluence.emulator.model import Flavor
from radex.confluence.emulator.serve import admin_of, running
from radex.embed import Embedder
from radex.ingest.importer import ImportReport
from radex.ingest.plan import ImportTarget
from radex.ingest.progress import Progress
from radex.store.records import SourceRecord

TOKEN = "admin-token"


def sample_with_extras() -> dict[str, Any]:
    """The bundled handbook plus a space of awkward pages and an empty space."""
    fixture = copy.deepcopy(load_sample_fixture())
    fixture["spaces"].append(
        {
            "key": "ODD",
            "name": "Odd pages",
            "permissions": {"view": {"groups": ["engineering"]}},
            "pages": [
                {
                    "title": "Fine page",
                    "body": "<p>The odd space has one fine page.</p>",
                    "attachments": [
                        {
                            "filename": "broken.pdf",
                            "content_b64": base64.b64encode(b"%PDF-1.7\n1 0 obj <<").decode(),
                            "media_type": "application/pdf",
                        },
                        {"filename": "fine.txt", "kind": "txt", "text": "A fine attachment."},
                    ],
                },
                {"title": "Broken page", "body": "<p>unclosed <ac:link><ri:page"},
                {"title": "Huge page", "body": "<p>" + "big words " * 2_100_000 + "</p>"},
            ],
        }
    )
    fixture["spaces"].append(
        {"key": "EMPTY", "name": "Nothing here", "permissions": {"view": {"groups": ["people"]}}}
    )
    return fixture


def make_emulator(fixture: dict[str, Any], flavor: Flavor = "cloud") -> Emulator:
    """An emulator of the fixture whose admin logs in with TOKEN."""
    login = "admin@example.com" if flavor == "cloud" else "admin"
    site = build_site(fixture, flavor=flavor, seed=0, admin=(login, TOKEN))
    return create_emulator(site, EmulatorConfig(flavor=flavor))


def admin_credential(emu: Emulator) -> Credential:
    """The site admin's credential for the emulator's flavour."""
    admin = admin_of(emu)
    if emu.config.flavor == "cloud":
        return ApiToken(admin.email, TOKEN)
    return PersonalAccessToken(TOKEN)


@contextmanager
def served(emu: Emulator) -> Iterator[str]:
    """The emulator on real loopback HTTP; yields its base URL."""
    with running(emu) as url:
        yield url


def run_import(
    svc: Services,
    source: SourceRecord,
    target: ImportTarget,
    progress: Progress | None = None,
    **kw: Any,
) -> ImportReport:
    """Import ``target`` in this process (no job), reporting to ``progress``."""

    async def go() -> ImportReport:
        async with svc.sources.open(source) as client:
            return await svc.importer(source, client, progress).run(target, **kw)

    return asyncio.run(go())


def services(home: Path, embedder: str = "hashing") -> Services:
    """RADEX services in a temporary home."""
    return build(Settings(home=home, embedder=embedder))  # type: ignore[arg-type]


class CountingEmbedder(Embedder):
    """Wraps an embedder and counts the texts it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.texts = 0

    def count_tokens(self, text: str) -> int:
        """The wrapped model's token count."""
        return self.inner.count_tokens(text)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed and count."""
        self.texts += len(texts)
        return self.inner.embed_batch(texts)
