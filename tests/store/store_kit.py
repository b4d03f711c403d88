"""Builders for store tests: documents and chunks with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from radex.types import Acl, Chunk, ContentRef, Document, Principal


def make_doc(n: int = 1, *, version: int = 1, content_hash: str = "h1", **kw: object) -> Document:
    values: dict[str, object] = {
        "id": f"doc{n}",
        "source_id": "src1",
        "external_id": str(1000 + n),
        "type": "page",
        "title": f"Page {n}",
        "url": f"https://wiki.example/pages/{1000 + n}",
        "version": version,
        "content_hash": content_hash,
        "acl": Acl.of([[Principal("group", "eng"), Principal("user", "u1")]]),
        "space_key": "ENG",
        "ancestors": (ContentRef("900", "page", "Home"),),
        "labels": ("ops", "runbook"),
        "updated_at": datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    }
    values.update(kw)
    return Document(**values)  # type: ignore[arg-type]


def make_chunks(doc: Document, texts: list[str]) -> list[Chunk]:
    return [
        Chunk(
            id=f"{doc.id}:{i}",
            document_id=doc.id,
            ordinal=i,
            text=t,
            breadcrumb=f"ENG › {doc.title}",
            token_count=len(t.split()),
            heading="Intro" if i == 0 else None,
            anchor="intro" if i == 0 else None,
        )
        for i, t in enumerate(texts)
    ]
