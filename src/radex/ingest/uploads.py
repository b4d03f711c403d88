"""Files uploaded straight into a RADEX folder: extracted, chunked, embedded, cited like pages.

An upload is keyed by (``upload``, ``<folder path>/<file name>``): uploading the same name
again with the same bytes changes nothing, with new bytes it becomes the next version. Until
folder grants arrive, an upload is readable by the user who uploaded it only.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from radex.blobs import BlobStore
from radex.embed import Embedder
from radex.errors import InputError, RadexError
from radex.extract import DEFAULT_LIMITS, ExtractWorker, Limits
from radex.index import SearchIndex
from radex.ingest.extras import file_anchors
from radex.ingest.pipeline import Timings, Work, Writer
from radex.ingest.plan import folder_name
from radex.ingest.progress import Progress
from radex.store import Store
from radex.store.records import ItemOutcome
from radex.types import Acl, Document, Principal

UPLOAD_SOURCE = "upload"


def owner_principal(user: str) -> Principal:
    """The principal of a local RADEX user (``user:radex:<name>``)."""
    return Principal("user", f"radex:{user}")


@dataclass(frozen=True)
class UploadFile:
    """One file to upload: its name (only a label, never a path) and its bytes."""

    name: str
    data: bytes


@dataclass
class UploadReport:
    """What an upload did: outcome per file, and failures with their reasons."""

    outcomes: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    timings: Timings = field(default_factory=Timings)


def read_files(paths: Sequence[Path], limits: Limits) -> list[UploadFile]:
    """The files to upload, or one clear error naming every path that cannot be used."""
    problems: list[str] = []
    out: list[UploadFile] = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path}: not a file")
            continue
        size = path.stat().st_size
        if size > limits.max_bytes:
            mb = 1024 * 1024
            problems.append(
                f"{path}: {size / mb:.1f} MB is over the limit of {limits.max_bytes / mb:.0f} MB"
                " (RADEX_MAX_IMPORT_SIZE_MB)"
            )
            continue
        try:
            out.append(UploadFile(path.name, path.read_bytes()))
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
    if problems:
        raise InputError("cannot upload: " + "; ".join(problems), hint="nothing was uploaded")
    return out


class Uploader:
    """Files into a folder, through the same extraction, chunking and writer as imports."""

    def __init__(
        self,
        *,
        store: Store,
        blobs: BlobStore,
        index: SearchIndex,
        embedder: Embedder,
        user: str,
        limits: Limits = DEFAULT_LIMITS,
        progress: Progress | None = None,
    ) -> None:
        self.store, self.blobs, self.index, self.embedder = store, blobs, index, embedder
        self.user, self.limits, self.progress = user, limits, progress

    async def upload(self, files: Sequence[UploadFile], folder: str) -> UploadReport:
        """Upload the files into ``folder`` (created when missing)."""
        parts = [folder_name(p) for p in folder.split("/") if p.strip()]
        if not parts:
            raise InputError("give a folder to upload into", hint="e.g. --folder /Team/Docs")
        target = self.store.ensure_folder(parts, self.user, None)
        if not self.store.grants(target.id):  # a new folder: the uploader owns it
            self.store.set_grant(target.id, f"user:{self.user}", "owner")
        report = UploadReport()
        writer = Writer(
            store=self.store,
            blobs=self.blobs,
            index=self.index,
            embedder=self.embedder,
            counts=report.counts,
            timings=report.timings,
            progress=self.progress,
            folder_paths={target.id: target.path},
        )
        acl = Acl.of([[owner_principal(self.user)]])
        with ExtractWorker() as worker:
            async with writer:
                for file in files:
                    await self._one(
                        file, target.id, target.path, parts, acl, writer, report, worker
                    )
        return report

    async def _one(
        self,
        file: UploadFile,
        folder_id: str,
        folder_path: str,
        parts: list[str],
        acl: Acl,
        writer: Writer,
        report: UploadReport,
        worker: ExtractWorker,
    ) -> None:
        name = folder_name(file.name.replace("\\", "/").rsplit("/", 1)[-1])
        external_id = f"{folder_path}/{name}"
        chash = hashlib.sha256(file.data).hexdigest()
        stored = self.store.document(UPLOAD_SOURCE, external_id)
        if stored is not None and stored.content_hash == chash:
            report.outcomes[name] = "unchanged"
            writer.tally(stored, "unchanged")
            return
        try:
            with report.timings.timed("extract"):
                extraction = await asyncio.to_thread(
                    worker.extract, file.data, filename=name, limits=self.limits
                )
        except RadexError as exc:
            report.failures.append((name, str(exc)))
            return
        now = datetime.now(UTC)
        doc = Document(
            id=stored.id if stored else uuid.uuid4().hex,
            source_id=UPLOAD_SOURCE,
            external_id=external_id,
            type="upload",
            title=name,
            url=f"radex:{quote(external_id)}",
            version=stored.version + 1 if stored else 1,
            content_hash=chash,
            acl=acl,
            author_id=owner_principal(self.user).name,
            last_editor_id=owner_principal(self.user).name,
            created_at=stored.created_at if stored else now,
            updated_at=now,
            folder_id=folder_id,
        )
        markdown = extraction.to_markdown() or f"{name}\n"
        chunks = writer.chunks(doc, markdown, [*parts, name], file_anchors(markdown))
        outcome: ItemOutcome = "imported" if stored is None else "updated"
        structure: dict[str, object] = {
            "media_type": extraction.media_type,
            "warnings": list(extraction.warnings),
            "truncated": extraction.truncated,
        }
        await writer.put(
            Work(doc, chunks, markdown, file.data, extraction.media_type, structure, outcome)
        )
        report.outcomes[name] = outcome
