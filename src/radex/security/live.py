"""Live permission re-check: before an answer is shown, ask Confluence whether the reader may
still read each page it cites.

RADEX's Acls are as fresh as the last import, sync or permission refresh; a restriction added a
minute ago is not in them yet. For sources whose Confluence offers a per-user permission check
(Cloud's ``POST /content/{id}/permission/check``), each cited document is checked for the
reader's linked identity on that source. A document Confluence refuses, or that could not be
checked at all (network, scope), is denied: the caller drops it and composes the answer again.
Documents from sources without the check, and readers with no identity on the source, keep what
RADEX's own Acl decided.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from radex.confluence.client import ConfluenceClient
from radex.errors import RadexError
from radex.store import Store
from radex.store.records import SourceRecord
from radex.types import Document, Reader

ClientOpener = Callable[[SourceRecord], AbstractAsyncContextManager[ConfluenceClient]]


def checkable(source: SourceRecord) -> bool:
    """Whether the source's Confluence can check one user's permission (Cloud can)."""
    return source.deployment == "cloud"


@dataclass(frozen=True)
class LiveVerdict:
    """The documents Confluence refused, and those that could not be checked (both denied)."""

    refused: frozenset[str]
    unverified: frozenset[str]

    @property
    def denied(self) -> frozenset[str]:
        """Every document that must not be shown."""
        return self.refused | self.unverified


class LiveCheck:
    """Checks documents against Confluence for a reader's linked identities."""

    def __init__(self, store: Store, open_client: ClientOpener, *, concurrency: int = 4) -> None:
        self.store, self.open_client = store, open_client
        self.concurrency = concurrency

    async def verdict(self, reader: Reader, document_ids: Iterable[str]) -> LiveVerdict:
        """Which of the documents Confluence, asked now, does not let the reader read."""
        by_source: dict[str, list[Document]] = defaultdict(list)
        for doc_id in dict.fromkeys(document_ids):
            doc = await asyncio.to_thread(self.store.document_by_id, doc_id)
            if doc is not None:
                by_source[doc.source_id].append(doc)
        refused: set[str] = set()
        unverified: set[str] = set()
        sources = {s.id: s for s in await asyncio.to_thread(self.store.sources)}
        for source_id, docs in by_source.items():
            source = sources.get(source_id)
            identity = reader.identity(source_id)
            if source is None or identity is None or not checkable(source):
                continue
            outcome = await self._check(source, identity, docs)
            for doc, allowed in zip(docs, outcome, strict=True):
                if allowed is None:
                    unverified.add(doc.id)
                elif not allowed:
                    refused.add(doc.id)
        return LiveVerdict(frozenset(refused), frozenset(unverified))

    async def _check(
        self, source: SourceRecord, identity: str, docs: list[Document]
    ) -> list[bool | None]:
        gate = asyncio.Semaphore(self.concurrency)
        try:
            async with self.open_client(source) as client:

                async def one(doc: Document) -> bool | None:
                    async with gate:
                        try:
                            return await client.can(doc.external_id, identity)
                        except RadexError:
                            return None

                return list(await asyncio.gather(*(one(d) for d in docs)))
        except RadexError:
            return [None] * len(docs)
