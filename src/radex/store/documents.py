"""Documents, their versions, chunks and embeddings: saved together, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import Delete, Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from radex.errors import InputError, NotFoundError
from radex.store.convert import (
    ancestors_to_data,
    document_values,
    to_chunk,
    to_document,
)
from radex.store.folders import normalise_path
from radex.store.models import (
    ChunkRow,
    DocumentRow,
    DocumentVersionRow,
    EmbeddingRow,
    FolderRow,
    utcnow,
)
from radex.store.session import Repository, new_id
from radex.types import Chunk, Document

SaveOutcome = Literal["imported", "updated", "unchanged"]
Vectors = npt.NDArray[np.float32]
STREAM_BATCH = 200


class DocumentRepository(Repository):
    """Documents: save (with chunks and vectors), update metadata, stream, delete."""

    def document(self, source_id: str, external_id: str) -> Document | None:
        """The document keyed by (source, external id), or None."""
        with self._read() as s:
            row = _by_key(s, source_id, external_id)
            return to_document(row) if row else None

    def document_by_id(self, document_id: str) -> Document | None:
        """The document with this id, or None."""
        with self._read() as s:
            row = s.get(DocumentRow, document_id)
            return to_document(row) if row else None

    def documents(
        self,
        space_key: str | None = None,
        folder_path: str | None = None,
        source_id: str | None = None,
    ) -> Iterator[Document]:
        """Stream the matching documents by id (``folder_path`` includes its subfolders)."""
        stmt: Select[DocumentRow] = select(DocumentRow).order_by(DocumentRow.id)
        if space_key is not None:
            stmt = stmt.where(DocumentRow.space_key == space_key)
        if source_id is not None:
            stmt = stmt.where(DocumentRow.source_id == source_id)
        if folder_path is not None:
            path = "" if folder_path.strip("/ ") == "" else normalise_path(folder_path)
            stmt = stmt.join(FolderRow, FolderRow.id == DocumentRow.folder_id).where(
                or_(FolderRow.path == path, FolderRow.path.startswith(path + "/", autoescape=True))
            )
        if self._single_connection:  # in-memory SQLite: a held cursor would block writes
            with self._read() as s:
                docs = [to_document(row) for row in s.scalars(stmt)]
            yield from docs
            return
        with self._read() as s:
            for row in s.scalars(stmt.execution_options(yield_per=STREAM_BATCH)):
                yield to_document(row)
                s.expunge(row)

    def external_ids(
        self, source_id: str, space_key: str, types: tuple[str, ...] = ("page", "blogpost")
    ) -> dict[str, str]:
        """External id → document id of a source's documents in a space, of some types."""
        stmt = select(DocumentRow.external_id, DocumentRow.id).where(
            DocumentRow.source_id == source_id,
            DocumentRow.space_key == space_key,
            DocumentRow.type.in_(types),
        )
        with self._read() as s:
            return {ext: doc_id for ext, doc_id in s.execute(stmt)}

    def extras_of(self, source_id: str, page_ids: Iterable[str]) -> list[Document]:
        """The attachments and comments RADEX holds of these pages."""
        wanted = list(dict.fromkeys(page_ids))
        out: list[Document] = []
        with self._read() as s:
            for start in range(0, len(wanted), 500):
                stmt = select(DocumentRow).where(
                    DocumentRow.source_id == source_id,
                    DocumentRow.container_id.in_(wanted[start : start + 500]),
                )
                out += [to_document(r) for r in s.scalars(stmt)]
        return out

    def space_keys(self, source_id: str) -> list[str]:
        """The spaces a source has documents in."""
        stmt = (
            select(DocumentRow.space_key)
            .where(DocumentRow.source_id == source_id, DocumentRow.space_key.is_not(None))
            .distinct()
        )
        with self._read() as s:
            return sorted(k for k in s.scalars(stmt) if k)

    def count_documents(self, source_id: str | None = None) -> int:
        """How many documents there are (of one source, when given)."""
        stmt = select(func.count()).select_from(DocumentRow)
        if source_id is not None:
            stmt = stmt.where(DocumentRow.source_id == source_id)
        with self._read() as s:
            return int(s.execute(stmt).scalar_one())

    def chunks(self, document_id: str) -> list[Chunk]:
        """A document's chunks, in order."""
        with self._read() as s:
            rows = s.scalars(
                select(ChunkRow)
                .where(ChunkRow.document_id == document_id)
                .order_by(ChunkRow.ordinal)
            )
            return [to_chunk(r) for r in rows]

    def chunk_vectors(self, document_id: str, model_id: str) -> Vectors | None:
        """The chunks' vectors under ``model_id`` as (n, dim) float32; None if any is missing."""
        stmt = (
            select(EmbeddingRow.vector)
            .select_from(ChunkRow)
            .outerjoin(
                EmbeddingRow,
                (EmbeddingRow.chunk_id == ChunkRow.id) & (EmbeddingRow.model_id == model_id),
            )
            .where(ChunkRow.document_id == document_id)
            .order_by(ChunkRow.ordinal)
        )
        with self._read() as s:
            blobs = list(s.scalars(stmt))
        if not blobs or any(b is None for b in blobs):
            return None
        return np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs])

    def save_document(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        vectors: npt.ArrayLike | None = None,
        model_id: str | None = None,
        structure: dict[str, Any] | None = None,
    ) -> SaveOutcome:
        """Upsert a document with its chunks and vectors in one transaction.

        A version row is added when the version number is new (and refreshed when its content
        hash changed). Chunks are replaced only when they differ, which drops their vectors;
        vectors given for ``model_id`` replace that model's. Saving the same thing twice
        changes nothing and returns ``"unchanged"``.
        """
        array = _check(doc, chunks, vectors, model_id)
        with self._write() as s:
            row = _by_key(s, doc.source_id, doc.external_id)
            outcome: SaveOutcome = "unchanged"
            if row is None:
                if s.get(DocumentRow, doc.id) is not None:
                    raise InputError(
                        f"document id {doc.id} already belongs to another (source, external id)",
                        hint="use a fresh id for a new document",
                    )
                row = DocumentRow(id=doc.id, structure=structure, **document_values(doc))
                s.add(row)
                s.flush()
                outcome = "imported"
            elif row.id != doc.id:
                raise InputError(
                    f"document {doc.source_id}/{doc.external_id} is stored with id {row.id}, "
                    f"not {doc.id}",
                    hint="look the document up with Store.document() and keep its id",
                )
            elif _assign(row, {**document_values(doc), "structure": structure}):
                outcome = "updated"
            if _record_version(s, doc):
                outcome = "updated" if outcome == "unchanged" else outcome
            if _replace_chunks(s, doc.id, chunks):
                row.chunk_model_id = None
                outcome = "updated" if outcome == "unchanged" else outcome
            if array is not None and model_id is not None:
                if _replace_vectors(s, doc.id, chunks, array, model_id) and outcome == "unchanged":
                    outcome = "updated"
                _assign(row, {"chunk_model_id": model_id})
            return outcome

    def update_document_meta(self, doc: Document) -> bool:
        """Update title, url, status, space, ancestors, labels, acl and folder; chunks untouched.

        Returns True when something changed. Version, hash and blob keys are left alone.
        """
        values = {
            "title": doc.title,
            "url": doc.url,
            "status": doc.status,
            "space_key": doc.space_key,
            "ancestors": ancestors_to_data(doc.ancestors),
            "labels": list(doc.labels),
            "acl": doc.acl.to_data(),
            "folder_id": doc.folder_id,
        }
        with self._write() as s:
            row = s.get(DocumentRow, doc.id)
            if row is None:
                raise NotFoundError(f"no document with id '{doc.id}'")
            return _assign(row, values)

    def delete_document(self, document_id: str) -> bool:
        """Delete a document with its versions, chunks and embeddings; False if it was absent."""
        with self._write() as s:
            result = s.execute(_quiet(delete(DocumentRow).where(DocumentRow.id == document_id)))
            return bool(getattr(result, "rowcount", 0))


def _quiet(stmt: Delete) -> Delete:
    """A bulk delete that leaves the session alone (rows go by the database's cascades)."""
    return stmt.execution_options(synchronize_session=False)


def _by_key(s: Session, source_id: str, external_id: str) -> DocumentRow | None:
    return s.scalars(
        select(DocumentRow).where(
            DocumentRow.source_id == source_id, DocumentRow.external_id == external_id
        )
    ).one_or_none()


def _check(
    doc: Document, chunks: Sequence[Chunk], vectors: npt.ArrayLike | None, model_id: str | None
) -> Vectors | None:
    for chunk in chunks:
        if chunk.document_id != doc.id:
            raise InputError(f"chunk {chunk.id} belongs to {chunk.document_id}, not {doc.id}")
    if len({c.id for c in chunks}) != len(chunks) or len({c.ordinal for c in chunks}) != len(
        chunks
    ):
        raise InputError(f"the chunks of {doc.id} repeat an id or ordinal")
    if vectors is None:
        return None
    if not model_id:
        raise InputError("vectors need the model_id that made them")
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != len(chunks):
        raise InputError(
            f"vectors have shape {array.shape}, expected ({len(chunks)}, dim): one row per chunk"
        )
    return array


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _record_version(s: Session, doc: Document) -> bool:
    version = s.scalars(
        select(DocumentVersionRow).where(
            DocumentVersionRow.document_id == doc.id, DocumentVersionRow.version == doc.version
        )
    ).one_or_none()
    values = {
        "content_hash": doc.content_hash,
        "markdown_key": doc.markdown_key,
        "storage_key": doc.storage_key,
        "updated_at": doc.updated_at,
    }
    if version is None:
        s.add(
            DocumentVersionRow(
                id=new_id(),
                document_id=doc.id,
                version=doc.version,
                recorded_at=utcnow(),
                **values,
            )
        )
        return True
    if version.content_hash == doc.content_hash:
        return False
    _assign(version, values)
    version.recorded_at = utcnow()
    return True


def _replace_chunks(s: Session, document_id: str, chunks: Sequence[Chunk]) -> bool:
    columns = (
        ChunkRow.id,
        ChunkRow.document_id,
        ChunkRow.ordinal,
        ChunkRow.text,
        ChunkRow.breadcrumb,
        ChunkRow.token_count,
        ChunkRow.heading,
        ChunkRow.anchor,
    )
    stored = s.execute(
        select(*columns).where(ChunkRow.document_id == document_id).order_by(ChunkRow.ordinal)
    )
    if [Chunk(*r) for r in stored] == sorted(chunks, key=lambda c: c.ordinal):
        return False
    s.execute(_quiet(delete(ChunkRow).where(ChunkRow.document_id == document_id)))
    if chunks:
        s.execute(
            insert(ChunkRow),
            [
                {
                    "id": c.id,
                    "document_id": c.document_id,
                    "ordinal": c.ordinal,
                    "text": c.text,
                    "breadcrumb": c.breadcrumb,
                    "heading": c.heading,
                    "anchor": c.anchor,
                    "token_count": c.token_count,
                }
                for c in chunks
            ],
        )
    return True


def _replace_vectors(
    s: Session, document_id: str, chunks: Sequence[Chunk], array: Vectors, model_id: str
) -> bool:
    wanted = {c.id: array[i].tobytes() for i, c in enumerate(chunks)}
    owned = EmbeddingRow.chunk_id.in_(
        select(ChunkRow.id).where(ChunkRow.document_id == document_id)
    )
    stored = s.execute(
        select(EmbeddingRow.chunk_id, EmbeddingRow.vector).where(
            EmbeddingRow.model_id == model_id, owned
        )
    )
    if {k: bytes(v) for k, v in stored} == wanted:
        return False
    s.execute(_quiet(delete(EmbeddingRow).where(EmbeddingRow.model_id == model_id, owned)))
    if wanted:
        dim = int(array.shape[1])
        s.execute(
            insert(EmbeddingRow),
            [
                {"chunk_id": k, "model_id": model_id, "dim": dim, "vector": v}
                for k, v in wanted.items()
            ],
        )
    return True
