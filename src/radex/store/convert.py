"""Translation between table rows and the kernel types (pure functions, no sessions)."""

from __future__ import annotations

from typing import Any, cast

from radex.store.models import (
    ChunkRow,
    DocumentRow,
    FolderRow,
    ImportItemRow,
    ImportRow,
    SourceRow,
)
from radex.store.records import (
    ImportItem,
    ImportKind,
    ImportPurpose,
    ImportRun,
    ImportStatus,
    ItemOutcome,
    SourceRecord,
)
from radex.types import (
    Acl,
    Chunk,
    ContentKind,
    ContentRef,
    Deployment,
    Document,
    DocumentType,
    Folder,
)


def ancestors_to_data(ancestors: tuple[ContentRef, ...]) -> list[dict[str, Any]]:
    """Ancestors as JSON objects ``{id, kind, title}`` (plus ``parent_id`` when known)."""
    out: list[dict[str, Any]] = []
    for ref in ancestors:
        item: dict[str, Any] = {"id": ref.id, "kind": ref.kind, "title": ref.title}
        if ref.parent_id is not None:
            item["parent_id"] = ref.parent_id
        out.append(item)
    return out


def ancestors_from_data(data: list[dict[str, Any]]) -> tuple[ContentRef, ...]:
    """The ancestors written by :func:`ancestors_to_data`."""
    return tuple(
        ContentRef(
            id=str(item["id"]),
            kind=cast(ContentKind, item["kind"]),
            title=item.get("title"),
            parent_id=item.get("parent_id"),
        )
        for item in data
    )


def document_values(doc: Document) -> dict[str, Any]:
    """The column values a document row takes from ``doc`` (everything but structure/model)."""
    return {
        "source_id": doc.source_id,
        "external_id": doc.external_id,
        "type": doc.type,
        "title": doc.title,
        "url": doc.url,
        "version": doc.version,
        "content_hash": doc.content_hash,
        "acl": doc.acl.to_data(),
        "space_key": doc.space_key,
        "ancestors": ancestors_to_data(doc.ancestors),
        "labels": list(doc.labels),
        "author_id": doc.author_id,
        "last_editor_id": doc.last_editor_id,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "status": doc.status,
        "folder_id": doc.folder_id,
        "markdown_key": doc.markdown_key,
        "storage_key": doc.storage_key,
        "container_id": (
            doc.ancestors[-1].id
            if doc.type in ("attachment", "comment") and doc.ancestors
            else None
        ),
    }


def to_document(row: DocumentRow) -> Document:
    """The kernel document a row holds."""
    return Document(
        id=row.id,
        source_id=row.source_id,
        external_id=row.external_id,
        type=cast(DocumentType, row.type),
        title=row.title,
        url=row.url,
        version=row.version,
        content_hash=row.content_hash,
        acl=Acl.from_data(row.acl),
        space_key=row.space_key,
        ancestors=ancestors_from_data(row.ancestors),
        labels=tuple(row.labels),
        author_id=row.author_id,
        last_editor_id=row.last_editor_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=row.status,
        folder_id=row.folder_id,
        markdown_key=row.markdown_key,
        storage_key=row.storage_key,
    )


def chunk_row(chunk: Chunk) -> ChunkRow:
    """A new row for a chunk."""
    return ChunkRow(
        id=chunk.id,
        document_id=chunk.document_id,
        ordinal=chunk.ordinal,
        text=chunk.text,
        breadcrumb=chunk.breadcrumb,
        heading=chunk.heading,
        anchor=chunk.anchor,
        token_count=chunk.token_count,
    )


def to_chunk(row: ChunkRow) -> Chunk:
    """The kernel chunk a row holds."""
    return Chunk(
        id=row.id,
        document_id=row.document_id,
        ordinal=row.ordinal,
        text=row.text,
        breadcrumb=row.breadcrumb,
        token_count=row.token_count,
        heading=row.heading,
        anchor=row.anchor,
    )


def to_folder(row: FolderRow) -> Folder:
    """The kernel folder a row holds."""
    return Folder(
        id=row.id,
        name=row.name,
        path=row.path,
        parent_id=row.parent_id,
        owner=row.owner,
        source_id=row.source_id,
    )


def to_source(row: SourceRow) -> SourceRecord:
    """The source record a row holds."""
    return SourceRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        deployment=cast(Deployment, row.deployment),
        base_url=row.base_url,
        credential_kind=row.credential_kind,
        credential_ciphertext=bytes(row.credential_ciphertext),
        credential_key_id=row.credential_key_id,
        principals=tuple(row.principals),
        account_id=row.account_id,
        display_name=row.display_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_import(row: ImportRow) -> ImportRun:
    """The import run a row holds."""
    return ImportRun(
        id=row.id,
        source_id=row.source_id,
        kind=cast(ImportKind, row.kind),
        target=row.target,
        folder_id=row.folder_id,
        status=cast(ImportStatus, row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=dict(row.counts),
        error=row.error,
        job_id=row.job_id,
        purpose=cast(ImportPurpose, row.purpose or "import"),
    )


def to_item(row: ImportItemRow) -> ImportItem:
    """The import item a row holds."""
    return ImportItem(
        id=row.id,
        import_id=row.import_id,
        external_id=row.external_id,
        title=row.title,
        outcome=cast(ItemOutcome, row.outcome),
        reason=row.reason,
        at=row.at,
    )
