"""The composition root: ``build(settings)`` wires the embedded defaults (or configured engines)
into :class:`Services`. The only reader of Settings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property

import httpx

from radex.blobs import BlobStore, LocalBlobStore
from radex.config import Settings
from radex.confluence import webhooks
from radex.confluence.client import ConfluenceClient
from radex.confluence.client.limiter import LimitConfig
from radex.embed import Embedder
from radex.errors import ConfigError
from radex.extract import ExtractWorker, Limits
from radex.index import SearchIndex, SqliteIndex
from radex.ingest.importer import Importer, ImportSpec
from radex.ingest.permissions import PermissionRefresh
from radex.ingest.progress import Progress
from radex.ingest.removal import remove_documents
from radex.ingest.sources import Sources
from radex.ingest.steps import ContentSteps
from radex.ingest.sync import SyncPolicy
from radex.ingest.uploads import Uploader, owner_principal
from radex.jobs import JobQueue, JobRunner, Notifier, make_huey
from radex.llm import Answerer, ExtractiveAnswerer
from radex.search.retriever import Retriever
from radex.security.live import LiveCheck
from radex.security.memberships import sync_groups
from radex.security.readers import reader_for
from radex.security.vault import CredentialVault, load_vault
from radex.store import Store
from radex.store.models import utcnow
from radex.store.records import JobRecord, SourceRecord
from radex.types import Answer, Document, Folder, Hit, Principal, Reader, SearchFilters

UNVERIFIED_NOTE = (
    "Some sources were left out: Confluence could not be reached to confirm you may still read"
    " them (set RADEX_LIVE_PERMISSION_CHECK=false to answer from RADEX's last permission sync)."
)


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
            extract_worker=self.extract_worker,
            owner=self.settings.local_user,
            prune_share=self.settings.sync_max_delete_share,
        )

    @cached_property
    def extract_worker(self) -> ExtractWorker:
        """The child process attachments and uploads are extracted in (started on first use,
        shared by every import of this process, stopped by :meth:`close`)."""
        return ExtractWorker()

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
        """Who the operator is: their RADEX identity and the (source-scoped) Confluence
        identities of the connected sources' credentials."""
        chosen = self.store.sources() if sources is None else sources
        found = {Principal.parse(p).scoped(s.id) for s in chosen for p in s.principals}
        return found | {owner_principal(self.settings.local_user)}

    def operator(self) -> Reader:
        """The person at this machine (no ``--as``): they read what the connected sources'
        credentials may read in Confluence, in every folder, plus what their own RADEX account
        (``RADEX_LOCAL_USER``, when registered) may read."""
        sources = self.store.sources()
        principals = set(self.principals(sources))
        admin = False
        if self.store.find_user(self.settings.local_user) is not None:
            mine = reader_for(self.store, self.settings.local_user)
            principals |= mine.principals
            admin = mine.admin
        identities = tuple((s.id, s.account_id) for s in sources if s.account_id)
        return Reader(self.settings.local_user, frozenset(principals), None, identities, admin)

    def reader(self, name: str | None = None) -> Reader:
        """The RADEX user ``name`` as a reader (``None``: the operator)."""
        return self.operator() if name is None else reader_for(self.store, name)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: SearchFilters | None = None,
        reader: Reader | None = None,
    ) -> list[Hit]:
        """Hits the reader (default: the operator) may read."""
        who = reader or self.operator()
        narrowed = replace(filters or SearchFilters(), granted_folders=who.folders)
        return self.retriever.search(query, who.principals, narrowed, k=k)

    def ask(
        self,
        question: str,
        *,
        k: int = 8,
        filters: SearchFilters | None = None,
        reader: Reader | None = None,
    ) -> Answer:
        """A cited answer from what the reader (default: the operator) may read."""
        return asyncio.run(self.ask_async(question, k=k, filters=filters, reader=reader))

    async def ask_async(
        self,
        question: str,
        *,
        k: int = 8,
        filters: SearchFilters | None = None,
        reader: Reader | None = None,
    ) -> Answer:
        """A cited answer; with the live check on, every cited page is confirmed with
        Confluence first, and the answer is composed again without any it refuses."""
        who = reader if reader is not None else await asyncio.to_thread(self.operator)
        hits = await asyncio.to_thread(self.search, question, k=k, filters=filters, reader=who)
        answer = self.answerer.answer(question, hits)
        if not self.settings.live_permission_check:
            return answer
        checked: set[str] = set()
        unverified = False
        while answer.citations:
            fresh = [c.document_id for c in answer.citations if c.document_id not in checked]
            if not fresh:
                break
            verdict = await self.live.verdict(who, fresh)
            checked.update(fresh)
            unverified = unverified or bool(verdict.unverified)
            if not verdict.denied:
                break
            hits = [h for h in hits if h.document_id not in verdict.denied]
            answer = self.answerer.answer(question, hits)
        if unverified:
            answer = replace(answer, notes=(*answer.notes, UNVERIFIED_NOTE))
        return answer

    @cached_property
    def live(self) -> LiveCheck:
        """The live permission re-check against Confluence."""
        return LiveCheck(self.store, self.sources.open)

    def documents(
        self, *, space_key: str | None = None, reader: Reader | None = None
    ) -> list[Document]:
        """The documents the reader (default: the operator) may read."""
        who = reader or self.operator()
        paths = {f.id: f.path for f in self.store.folders()}
        return [
            d
            for d in self.store.documents(space_key=space_key)
            if d.acl.admits(who.principals) and who.opens(paths.get(d.folder_id or ""))
        ]

    def folders(self, reader: Reader | None = None) -> list[Folder]:
        """The folders the reader's grants open that hold something they may read (a folder
        mirroring a Confluence page is shown only to readers of some document in it)."""
        who = reader or self.operator()
        rows = [f for f in self.store.folders() if who.opens(f.path)]
        if who.folders is None and who.admin:
            return rows
        paths = {f.id: f.path for f in rows}
        used = {paths[d.folder_id] for d in self.documents(reader=who) if d.folder_id in paths}
        return [
            f
            for f in rows
            if f.source_id is None or any(p == f.path or p.startswith(f.path + "/") for p in used)
        ]

    def disconnect(self, name: str) -> int:
        """Remove a source with every document imported from it (store and index) and the
        folders its imports made that are left empty; returns how many documents went."""
        source = self.store.source(name)
        doc_ids = [d.id for d in self.store.documents(source_id=source.id)]
        remove_documents(self.store, self.index, doc_ids)
        self.store.delete_jobs(source.id)
        self.store.delete_empty_folders(source.id)
        self.store.remove_source(source.id)
        return len(doc_ids)

    def permission_refresh(
        self, source: SourceRecord, client: ConfluenceClient
    ) -> PermissionRefresh:
        """A permission refresh for one source, using an open client."""
        return PermissionRefresh(store=self.store, index=self.index, source=source, client=client)

    # ---- jobs and sync ----------------------------------------------------------------------

    @cached_property
    def sync_policy(self) -> SyncPolicy:
        """How syncs list changes, reconcile and remove."""
        cfg = self.settings
        return SyncPolicy(
            overlap=timedelta(seconds=cfg.sync_overlap_s),
            full_every=timedelta(seconds=cfg.reconcile_interval_s),
            permissions_every=timedelta(seconds=cfg.permission_refresh_interval_s),
            max_delete_share=cfg.sync_max_delete_share,
        )

    def steps(self, progress: Progress | None = None) -> ContentSteps:
        """The step machine of import, sync and permission jobs."""

        async def groups(source: SourceRecord, client: ConfluenceClient) -> object:
            return await sync_groups(self.store, source, client)

        return ContentSteps(
            store=self.store,
            index=self.index,
            sources=self.sources,
            importer_for=self.importer,
            group_sync=groups,
            policy=self.sync_policy,
            progress=progress,
        )

    def runner(self, progress: Progress | None = None, *, foreground: bool = False) -> JobRunner:
        """A job runner (``foreground``: the CLI's, drawing ``progress`` and raising a job's
        fatal error)."""
        steps = self.steps(progress)
        cfg = self.settings
        notifier = None
        if cfg.job_webhook_url:
            secret = cfg.job_webhook_secret.get_secret_value() if cfg.job_webhook_secret else None
            notifier = Notifier(cfg.job_webhook_url, secret)
        return JobRunner(
            self.store,
            {"import": steps, "sync": steps, "permissions": steps},
            notifier=notifier,
            lease=timedelta(seconds=cfg.job_lease_s),
            max_attempts=cfg.job_max_attempts,
            reraise=foreground,
        )

    @cached_property
    def worker_runner(self) -> JobRunner:
        """The runner this process's queue workers share (it keeps importers between steps)."""
        return self.runner()

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue (Redis when ``RADEX_REDIS_URL`` is set, else SQLite in the home)."""
        huey = make_huey(
            redis_url=self.settings.redis_url,
            sqlite_path=self.settings.home / "queue.db",
        )
        return JobQueue(self.store, huey, lambda: self.worker_runner)

    def new_job(self, kind: str, source: SourceRecord, params: dict[str, object]) -> JobRecord:
        """Record a job for a source, not queued (run it here, or :meth:`JobQueue.enqueue`)."""
        return self.store.create_job(
            kind,  # type: ignore[arg-type]
            {"source": source.name, **params},
            source_id=source.id,
            owner=self.settings.local_user,
        )

    def import_job(self, source: SourceRecord, spec: ImportSpec) -> JobRecord:
        """A job that imports ``spec`` from ``source``."""
        return self.new_job("import", source, {"spec": spec.to_data()})

    def sync_job(
        self, source: SourceRecord, *, mode: str = "incremental", ids: Iterable[str] = ()
    ) -> JobRecord:
        """A job that syncs ``source``: incremental, full, or just some content ids."""
        return self.new_job("sync", source, {"mode": mode, "ids": list(ids)})

    def receive_webhook(
        self,
        name: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        method: str,
        path: str,
        query: str,
    ) -> JobRecord | None:
        """Verify a Confluence webhook for source ``name`` and queue a sync of the content it
        names (of its page, for a comment or attachment); None when the event names no
        content RADEX keeps. A sync of the same content still waiting is reused."""
        source = self.store.source(name)
        cfg = self.settings
        if source.deployment == "dc":
            if cfg.webhook_secret is None:
                raise ConfigError(
                    "Data Center webhooks are not configured",
                    hint="set RADEX_WEBHOOK_SECRET to the webhook's secret",
                )
            event = webhooks.read_dc(body, headers, secret=cfg.webhook_secret.get_secret_value())
        else:
            if cfg.connect_shared_secret is None:
                raise ConfigError(
                    "Cloud app webhooks are not configured",
                    hint="set RADEX_CONNECT_SHARED_SECRET to the app's shared secret",
                )
            event = webhooks.read_cloud(
                body,
                headers,
                secret=cfg.connect_shared_secret.get_secret_value(),
                method=method,
                path=path,
                query=query,
                client_key=cfg.connect_client_key,
            )
        if event.content_type in ("page", "blogpost"):
            content_id = event.content_id
        elif event.content_type in ("comment", "attachment") and event.container_id:
            content_id = event.container_id
        else:
            return None
        for waiting in self.store.jobs(source_id=source.id, kind="sync", states=("queued",)):
            if list(waiting.params.get("ids", ())) == [content_id] and not waiting.lease_owner:
                return waiting
        job = self.sync_job(source, ids=[content_id])
        self.queue.enqueue(job)
        return job

    def due_syncs(self) -> list[JobRecord]:
        """Queue a sync of every source whose scheduled sync is due (none while one is queued
        or running); returns the jobs queued."""
        every = self.settings.sync_interval_s
        if every <= 0:
            return []
        now = utcnow()
        out = []
        for source in self.store.sources():
            recent = self.store.jobs(source_id=source.id, kind="sync", limit=1)
            if recent and (
                not recent[0].final
                or (now - (recent[0].finished_at or now)).total_seconds() < every
            ):
                continue
            if not self.store.import_scopes(source.id):
                continue  # nothing imported from it yet
            job = self.sync_job(source)
            self.queue.enqueue(job)
            out.append(job)
        return out

    def close(self) -> None:
        """Release files and connections."""
        if not self._closed:
            self._closed = True
            if "extract_worker" in self.__dict__:
                self.extract_worker.close()
            self.index.close()
            self.store.close()


def limits_of(cfg: Settings) -> LimitConfig:
    """How hard RADEX drives each Confluence site (``RADEX_CONFLUENCE_RATE`` requests/s)."""
    rate = cfg.confluence_rate
    return LimitConfig(rate=rate, burst=max(1, min(int(rate), 100)))


def build(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> Services:
    """Services for the settings (defaults: SQLite, local blobs, ONNX MiniLM, extractive)."""
    cfg = settings or Settings()
    cfg.home.mkdir(parents=True, exist_ok=True)
    store = Store.open(cfg.resolved_database_url)
    secret = cfg.secret_key.get_secret_value() if cfg.secret_key else None
    vault = load_vault(secret, cfg.key_file)
    index = SqliteIndex(cfg.resolved_index_path)
    if index.acls_stale():  # an upgrade dropped the index's Acls: send them again
        index.resync_acls((d.id, d.acl) for d in store.documents())
    return Services(
        settings=cfg,
        store=store,
        blobs=LocalBlobStore(cfg.resolved_blob_dir),
        vault=vault,
        index=index,
        sources=Sources(store, vault, transport=transport, limits=limits_of(cfg)),
    )
