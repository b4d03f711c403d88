"""Shared helpers for the index tests: principals, documents and putting chunks in an index."""

from __future__ import annotations

from collections.abc import Sequence

from radex.embed.hashing import HashingEmbedder
from radex.index import IndexDoc, IndexedChunk, SqliteIndex
from radex.types import Acl, Chunk, Principal, SearchFilters

EMBEDDER = HashingEmbedder(dim=64)
MODEL = EMBEDDER.model_id
NONE = SearchFilters()
ALICE = Principal("user", "alice")
BOB = Principal("user", "bob")
ADMINS = Principal("group", "admins")
STAFF = Principal("group", "staff")
ANYONE = Principal("anyone")
PUBLIC = Acl.public()


def make_doc(doc_id: str, acl: Acl = PUBLIC, **kw: object) -> IndexDoc:
    """A document with defaults for what a test does not care about."""
    fields: dict[str, object] = {
        "document_id": doc_id,
        "external_id": f"ext-{doc_id}",
        "title": f"Title {doc_id}",
        "url": f"https://wiki.example/{doc_id}",
        "acl": acl,
    }
    fields.update(kw)
    return IndexDoc(**fields)  # type: ignore[arg-type]


def chunks_of(doc_id: str, texts: Sequence[str]) -> list[IndexedChunk]:
    """Indexed chunks of ``texts`` embedded with the hashing embedder."""
    vectors = EMBEDDER.embed([f"{doc_id}\n\n{t}" for t in texts])
    return [
        IndexedChunk(Chunk(f"{doc_id}:{i}", doc_id, i, t, doc_id, len(t.split()), f"H{i}"), v)
        for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
    ]


def put(
    index: SqliteIndex, doc_id: str, texts: Sequence[str], acl: Acl = PUBLIC, **kw: object
) -> None:
    """Index a document with these chunk texts."""
    index.replace_document(make_doc(doc_id, acl, **kw), chunks_of(doc_id, texts), MODEL)


def docs_of(results: list[tuple[str, float]]) -> set[str]:
    """The document ids of (chunk id, score) results."""
    return {c.split(":")[0] for c, _ in results}
