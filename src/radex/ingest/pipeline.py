"""The write side of every ingest path: chunk, embed in batches, save, index.

Documents travel through a bounded queue to one consumer task that embeds the chunks of several
documents at once (in a worker thread) and saves each document in one transaction: the store
row, a version row when the version is new, chunks and vectors, the blobs, the index entry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from radex.blobs import BlobStore
from radex.embed import Embedder
from radex.index import IndexDoc, IndexedChunk, SearchIndex
from radex.ingest.progress import NoProgress, Progress
from radex.search.chunking import chunk_markdown
from radex.store import Store
from radex.store.records import ItemOutcome
from radex.types import Chunk, Document

BATCH_CHUNKS = 64  # chunks embedded together
QUEUE_DEPTH = 32  # documents waiting for the embedder


class Timings(dict[str, float]):
    """Busy seconds per stage."""

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time the block takes to ``stage``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + time.perf_counter() - started


@dataclass
class Work:
    """A document on its way to the store, with the bodies to keep (None: unchanged)."""

    doc: Document
    chunks: list[Chunk]
    markdown: str | None
    raw: bytes | None
    raw_type: str
    structure: dict[str, Any] | None
    outcome: ItemOutcome


class Writer:
    """Chunks, embeds and saves documents; enter it to start the consumer, leave it to drain."""

    def __init__(
        self,
        *,
        store: Store,
        blobs: BlobStore,
        index: SearchIndex,
        embedder: Embedder,
        counts: MutableMapping[str, int],
        timings: Timings | None = None,
        progress: Progress | None = None,
        folder_paths: Mapping[str, str] | None = None,
    ) -> None:
        self.store, self.blobs, self.index, self.embedder = store, blobs, index, embedder
        self.counts = counts
        self.timings = timings if timings is not None else Timings()
        self.progress: Progress = progress or NoProgress()
        self.folder_paths: Mapping[str, str] = folder_paths if folder_paths is not None else {}
        self._queue: asyncio.Queue[Work | None] = asyncio.Queue(QUEUE_DEPTH)
        self._consumer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Writer:
        self._consumer = asyncio.create_task(self._consume())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._queue.put(None)
        if self._consumer is not None:
            await self._consumer

    def chunks(
        self, doc: Document, markdown: str, crumbs: Sequence[str], anchors: Mapping[str, str]
    ) -> list[Chunk]:
        """The document's chunks, sized for the embedder's window."""
        return chunk_markdown(
            doc.id,
            markdown,
            breadcrumb=crumbs,
            anchors=anchors,
            max_tokens=self.embedder.max_tokens - 2,  # room for [CLS] and [SEP]
            count_tokens=self.embedder.count_tokens,
        )

    async def put(self, work: Work) -> None:
        """Queue a document (waits while the embedder is behind)."""
        self.progress.expect("embedded", 1)
        await self._queue.put(work)

    async def update_meta(self, doc: Document) -> None:
        """Metadata changed, the body did not: update the index and the row, embed nothing
        (the index first: a crash in between leaves the store's old metadata, so the change
        is seen and written again)."""
        await asyncio.to_thread(self._reindex_meta, doc)
        await asyncio.to_thread(self.store.update_document_meta, doc)
        self.tally(doc, "updated")

    def tally(self, doc: Document, outcome: str, n: int = 1) -> None:
        """Count an outcome: pages and blog posts under ``outcome``, other kinds under
        ``<type>s_<outcome>`` (e.g. ``attachments_imported``)."""
        key = outcome if doc.type in ("page", "blogpost") else f"{doc.type}s_{outcome}"
        self.counts[key] = self.counts.get(key, 0) + n

    def _reindex_meta(self, doc: Document) -> None:
        chunks = self.store.chunks(doc.id)
        vectors = self.store.chunk_vectors(doc.id, self.embedder.model_id)
        if vectors is None or len(vectors) != len(chunks):
            self.index.update_acl(doc.id, doc.acl)
            return
        self.index_document(doc, chunks, vectors)

    async def _consume(self) -> None:
        done = False
        while not done:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.chunks)
            while size < BATCH_CHUNKS and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
                size += len(nxt.chunks)
            texts = [c.embed_text for w in batch for c in w.chunks]
            with self.timings.timed("embed"):
                vectors = await asyncio.to_thread(self.embedder.embed, texts)
            with self.timings.timed("save"):
                await asyncio.to_thread(self._save, batch, vectors)
            for work in batch:
                self.tally(work.doc, work.outcome)
                self.counts["chunks"] = self.counts.get("chunks", 0) + len(work.chunks)
            self.progress.advance("embedded", len(batch))

    def _save(self, batch: list[Work], vectors: np.ndarray) -> None:
        offset = 0
        for work in batch:
            vecs = vectors[offset : offset + len(work.chunks)]
            offset += len(work.chunks)
            doc = work.doc
            if work.markdown is not None:
                doc = replace(
                    doc, markdown_key=self.blobs.put(work.markdown.encode(), "text/markdown")
                )
            if work.raw is not None:
                doc = replace(doc, storage_key=self.blobs.put(work.raw, work.raw_type))
            # The index first, the store last: the store's row is what says "done", so a crash
            # in between leaves a page that the next run imports again (same id, replaced).
            self.index_document(doc, work.chunks, vecs)
            self.store.save_document(doc, work.chunks, vecs, self.embedder.model_id, work.structure)

    def index_document(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Replace the document's entry in the search index."""
        folder = self.folder_paths.get(doc.folder_id) if doc.folder_id else None
        entry = IndexDoc(
            document_id=doc.id,
            external_id=doc.external_id,
            title=doc.title,
            url=doc.url,
            acl=doc.acl,
            space_key=doc.space_key,
            folder_path=folder,
            labels=doc.labels,
            author_id=doc.author_id,
            updated_at=doc.updated_at,
        )
        indexed = [IndexedChunk(c, v) for c, v in zip(chunks, vectors, strict=True)]
        self.index.replace_document(entry, indexed, self.embedder.model_id)
