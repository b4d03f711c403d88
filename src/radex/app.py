"""The composition root: ``build(settings)`` wires the embedded defaults (or configured engines)
into :class:`Services`. The only reader of Settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import httpx

from radex.blobs import BlobStore, LocalBlobStore
from radex.config import Settings
from radex.confluence.client import ConfluenceClient
from radex.embed import Embedder
from radex.extract import Limits
from radex.index import SearchIndex, SqliteIndex
from radex.ingest.importer import Importer
from radex.ingest.progress import Progress
from radex.ingest.sources import Sources
from radex.ingest.uploads import Uploader, owner_principal
from radex.llm import Answerer, ExtractiveAnswerer
from radex.search.retriever import Retriever
from radex.security.vault import CredentialVault, load_vault
from radex.store import Store
from radex.store.records import SourceRecord
from radex.types import Answer, Hit, Principal, SearchFilters


@dataclass
class Services:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    store: Store
    blobs: BlobStore
    vault: CredentialVault
    index: SearchIndex
    sources: Sources
    _closed: bool = field(default=False, repr=False)

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedder (the ONNX model loads on first use)."""
        if self.settings.embedder == "hashing":
            from radex.embed.hashing import HashingEmbedder

            return HashingEmbedder()
        from radex.embed.onnx_minilm import MiniLMEmbedder

        return MiniLMEmbedder(cache_dir=self.settings.resolved_model_cache_dir)

    @cached_property
    def limits(self) -> Limits:
        """Limits on attachment and uploaded files."""
        mb = 1024 * 1024
        size = self.settings.max_import_size_mb
        return Limits(
            max_bytes=size * mb,
            max_unzipped_bytes=max(200, 4 * size) * mb,
            timeout_s=self.settings.extract_timeout_s,
        )

    @cached_property
    def retriever(self) -> Retriever:
        """Hybrid retrieval over the index, Acl-filtered."""
        return Retriever(self.index, self.embedder)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer composer (extractive when no LLM is configured)."""
        return ExtractiveAnswerer()

    def importer(
        self, source: SourceRecord, client: ConfluenceClient, progress: Progress | None = None
    ) -> Importer:
        """An importer for one source, using an open client."""
        return Importer(
            store=self.store,
            blobs=self.blobs,
            index=self.index,
            embedder=self.embedder,
            source=source,
            client=client,
            concurrency=self.settings.import_concurrency,
            max_page_chars=self.settings.max_page_chars,
            limits=self.limits,
            progress=progress,
        )

    def uploader(self, progress: Progress | None = None) -> Uploader:
        """Uploads into RADEX folders as the local user."""
        return Uploader(
            store=self.store,
            blobs=self.blobs,
            index=self.index,
            embedder=self.embedder,
            user=self.settings.local_user,
            limits=self.limits,
            progress=progress,
        )

    def principals(self, sources: Iterable[SourceRecord] | None = None) -> set[Principal]:
        """Who the local user is: their RADEX identity and the Confluence identities of the
        connected sources."""
        chosen = self.store.sources() if sources is None else sources
        found = {Principal.parse(p) for s in chosen for p in s.principals}
        return found | {owner_principal(self.settings.local_user)}

    def search(self, query: str, *, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        """Hits the local user may read."""
        return self.retriever.search(query, self.principals(), filters or SearchFilters(), k=k)

    def ask(self, question: str, *, k: int = 8, filters: SearchFilters | None = None) -> Answer:
        """A cited answer from what the local user may read."""
        return self.answerer.answer(question, self.search(question, k=k, filters=filters))

    def close(self) -> None:
        """Release files and connections."""
        if not self._closed:
            self._closed = True
            self.index.close()
            self.store.close()


def build(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> Services:
    """Services for the settings (defaults: SQLite, local blobs, ONNX MiniLM, extractive)."""
    cfg = settings or Settings()
    cfg.home.mkdir(parents=True, exist_ok=True)
    store = Store.open(cfg.resolved_database_url)
    secret = cfg.secret_key.get_secret_value() if cfg.secret_key else None
    vault = load_vault(secret, cfg.key_file)
    return Services(
        settings=cfg,
        store=store,
        blobs=LocalBlobStore(cfg.resolved_blob_dir),
        vault=vault,
        index=SqliteIndex(cfg.resolved_index_path),
        sources=Sources(store, vault, transport=transport),
    )
