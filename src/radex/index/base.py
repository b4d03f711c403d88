"""The search-index interface: documents' chunks with vectors, keyword and vector legs, ACLs.

Every query takes the reader's principals and applies the document Acl (DESIGN §4) *before*
ranking, so neither leg can return, or be crowded out by, a chunk the reader may not see.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from radex.types import Acl, Chunk, Principal, SearchFilters

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class IndexDoc:
    """What the index keeps about a document: how to cite it, filter it and who may read it."""

    document_id: str
    external_id: str
    title: str
    url: str
    acl: Acl
    space_key: str | None = None
    folder_path: str | None = None  # e.g. "/ENG/Ops"
    labels: tuple[str, ...] = ()
    author_id: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk with its embedding (float32, one row)."""

    chunk: Chunk
    vector: Vector = field(repr=False)


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as fetched back from the index, with the document it belongs to."""

    chunk: Chunk
    doc: IndexDoc


class SearchIndex(ABC):
    """Chunks of documents searchable by keywords and by vector, filtered by Acl first."""

    @abstractmethod
    def replace_document(
        self, doc: IndexDoc, chunks: Sequence[IndexedChunk], model_id: str
    ) -> None:
        """Replace every chunk of ``doc`` (and its metadata) in one transaction."""

    @abstractmethod
    def delete_document(self, document_id: str) -> None:
        """Remove a document and all its chunks (no error when absent)."""

    @abstractmethod
    def update_acl(self, document_id: str, acl: Acl) -> None:
        """Change who may read a document without re-embedding it."""

    @abstractmethod
    def keyword(
        self,
        query: str,
        principals: Collection[Principal],
        filters: SearchFilters,
        k: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score; higher is better) the reader may see."""

    @abstractmethod
    def vector(
        self,
        query_vec: Vector,
        model_id: str,
        principals: Collection[Principal],
        filters: SearchFilters,
        k: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, cosine similarity) embedded by ``model_id`` the reader may see."""

    @abstractmethod
    def fetch(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """The chunks with these ids, in the order asked (unknown ids are skipped)."""

    @abstractmethod
    def count(self) -> int:
        """How many chunks the index holds."""

    @abstractmethod
    def model_ids(self) -> set[str]:
        """The embedding models the stored vectors come from."""

    @abstractmethod
    def close(self) -> None:
        """Release the index's resources."""

    def pinned(self) -> AbstractContextManager[None]:
        """A block in which several searches and fetches may be served from one view of the
        index, checked once (by default: nothing special)."""
        return nullcontext()

    def acls_stale(self) -> bool:
        """Whether an upgrade dropped the documents' Acls (every document fails closed until
        :meth:`resync_acls` sends them again)."""
        return False

    def resync_acls(self, acls: Iterable[tuple[str, Acl]]) -> int:
        """Set every document's Acl from the system of record; returns how many were set."""
        n = 0
        for document_id, acl in acls:
            self.update_acl(document_id, acl)
            n += 1
        return n
