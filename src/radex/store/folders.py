"""The ``folders`` table: the tree documents are filed in."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from radex.errors import InputError
from radex.store.convert import to_folder
from radex.store.models import DocumentRow, FolderRow, utcnow
from radex.store.session import Repository, new_id
from radex.types import Folder


def folder_path(parts: Sequence[str]) -> str:
    """The path of a folder from its names, root first (``["ENG", "Ops"]`` → ``/ENG/Ops``)."""
    clean = [p.strip() for p in parts]
    if not clean:
        raise InputError("a folder path needs at least one name", hint="e.g. /ENG/Ops")
    for part in clean:
        if not part or "/" in part or part in (".", ".."):
            raise InputError(
                f"'{part}' is not a folder name", hint="use non-empty names without '/'"
            )
    return "/" + "/".join(clean)


def normalise_path(path: str) -> str:
    """``path`` with one leading slash and no trailing one (``ENG/Ops/`` → ``/ENG/Ops``)."""
    return folder_path([p for p in path.split("/") if p.strip()])


class FolderRepository(Repository):
    """Folders: ensure a path exists, list, look up."""

    def ensure_folder(
        self, path_parts: Sequence[str], owner: str | None = None, source_id: str | None = None
    ) -> Folder:
        """The folder at this path, creating it and any missing parents (existing ones kept)."""
        folder_path(path_parts)  # validate before touching the database
        for attempt in range(3):
            try:
                return self._ensure(path_parts, owner, source_id)
            except IntegrityError:  # another writer created a folder of the path meanwhile
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _ensure(
        self, path_parts: Sequence[str], owner: str | None, source_id: str | None
    ) -> Folder:
        with self._write() as s:
            parent: FolderRow | None = None
            for depth in range(1, len(path_parts) + 1):
                path = folder_path(path_parts[:depth])
                row = s.scalars(select(FolderRow).where(FolderRow.path == path)).one_or_none()
                if row is None:
                    row = FolderRow(
                        id=new_id(),
                        parent_id=parent.id if parent else None,
                        name=path_parts[depth - 1].strip(),
                        path=path,
                        owner=owner,
                        source_id=source_id,
                        created_at=utcnow(),
                    )
                    s.add(row)
                    s.flush()
                parent = row
            assert parent is not None
            return to_folder(parent)

    def folders(self) -> list[Folder]:
        """Every folder, by path (parents before their children)."""
        with self._read() as s:
            return [to_folder(r) for r in s.scalars(select(FolderRow).order_by(FolderRow.path))]

    def folder_by_path(self, path: str) -> Folder | None:
        """The folder at ``path`` (``/ENG/Ops``), or None."""
        wanted = normalise_path(path)
        with self._read() as s:
            row = s.scalars(select(FolderRow).where(FolderRow.path == wanted)).one_or_none()
            return to_folder(row) if row else None

    def delete_empty_folders(self, source_id: str) -> int:
        """Delete the folders a source's imports made that now hold no document and no other
        folder (deepest first; their grants go with them); returns how many went."""
        gone = 0
        with self._write() as s:
            rows = s.scalars(select(FolderRow).where(FolderRow.source_id == source_id)).all()
            for row in sorted(rows, key=lambda r: r.path.count("/"), reverse=True):
                used = s.scalar(select(DocumentRow.id).where(DocumentRow.folder_id == row.id))
                child = s.scalar(select(FolderRow.id).where(FolderRow.parent_id == row.id))
                if used is None and child is None:
                    s.delete(row)
                    s.flush()
                    gone += 1
        return gone
