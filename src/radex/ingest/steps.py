"""Import, sync and permission jobs, advanced one small resumable step at a time.

A job's checkpoint holds its stages (imports of scopes, trash passes, reconciliations,
permission refreshes, the cursor update) and where it stands in them. Each call to
:meth:`ContentSteps.step` does one step (list, one batch, extras, one trash pass, ...) and
returns the next checkpoint. Every step is idempotent: redone after a crash it writes the same
documents, chunks and vectors again (same ids, replaced), never new ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from radex.confluence.client import ConfluenceClient
from radex.errors import InputError
from radex.index import SearchIndex
from radex.ingest.importer import Importer, ImportSpec
from radex.ingest.permissions import PermissionRefresh
from radex.ingest.progress import Progress
from radex.ingest.sources import Sources
from radex.ingest.sync import Reconciler, SyncPolicy, scope_key, scope_spec
from radex.store import Store
from radex.store.records import ImportRun, ImportStatus, JobRecord, JobState, SourceRecord
from radex.types import Space, StepOutcome

ImporterFor = Callable[[SourceRecord, ConfluenceClient, Progress | None], Importer]
GroupSync = Callable[[SourceRecord, ConfluenceClient], Awaitable[object]]
PERMISSIONS_SCOPE = "permissions"


class ContentSteps:
    """Advances import, sync and permission jobs; collaborators arrive as arguments."""

    def __init__(
        self,
        *,
        store: Store,
        index: SearchIndex,
        sources: Sources,
        importer_for: ImporterFor,
        group_sync: GroupSync | None = None,
        policy: SyncPolicy | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.store, self.index, self.sources = store, index, sources
        self.importer_for, self.group_sync = importer_for, group_sync
        self.policy = policy or SyncPolicy()
        self.progress = progress  # the CLI's progress bars, when it runs a job in the foreground
        self._importers: dict[str, Importer] = {}  # per job, kept between its steps
        self._spaces: dict[str, list[Space]] = {}  # per job: the spaces its steps have read

    async def step(self, job: JobRecord) -> StepOutcome:
        """Do the job's next step; the outcome carries the checkpoint to resume from."""
        progress = self.progress
        source = await asyncio.to_thread(self._source, job)
        cp: dict[str, Any] = dict(job.checkpoint)
        if "stages" not in cp:
            cp = {"stages": await asyncio.to_thread(self._plan, job, source), "i": 0}
            cp["started"] = datetime.now(UTC).isoformat()
            return await asyncio.to_thread(self._outcome, job, cp)
        async with self.sources.open(source) as client:
            client.remember_spaces(self._spaces.get(job.id, ()))  # read by its earlier steps
            stage = cp["stages"][cp["i"]]
            advance = await self._stage(job, source, client, stage, cp, progress)
            self._spaces[job.id] = client.known_spaces()
        if advance:
            cp["i"] += 1
            for within_stage in ("run", "phase", "batch", "batches"):
                cp.pop(within_stage, None)
        return await asyncio.to_thread(self._outcome, job, cp)

    async def abort(self, job: JobRecord, state: JobState, error: str | None) -> None:
        """Close the job's open import runs as failed or cancelled (their work lists stay, so
        that a retry resumes where the job stopped)."""
        self.forget(job.id)
        status: ImportStatus = "cancelled" if state == "cancelled" else "failed"
        for run in await asyncio.to_thread(self.store.job_imports, job.id):
            if run.status == "running":
                await asyncio.to_thread(self.store.finish_import, run.id, status, {}, error)

    def forget(self, job_id: str) -> None:
        """Drop what was kept for a job between its steps."""
        self._importers.pop(job_id, None)
        self._spaces.pop(job_id, None)

    # ---- planning ---------------------------------------------------------------------------

    def _source(self, job: JobRecord) -> SourceRecord:
        name = job.params.get("source")
        for row in self.store.sources():
            if row.id == job.source_id or row.name == name:
                return row
        raise InputError(
            f"the source of job {job.id[:12]} is no longer connected",
            hint="connect it again with `radex connect`, then start a new job",
        )

    def _plan(self, job: JobRecord, source: SourceRecord) -> list[dict[str, Any]]:
        if job.kind == "import":
            spec = ImportSpec.from_data(job.params["spec"])
            return [{"do": "import", "spec": spec.to_data()}]
        if job.kind == "permissions":
            return [{"do": "permissions"}, {"do": "groups"}]
        return self._plan_sync(job, source)

    def _plan_sync(self, job: JobRecord, source: SourceRecord) -> list[dict[str, Any]]:
        mode = str(job.params.get("mode", "incremental"))
        ids = [str(i) for i in job.params.get("ids", ())]
        now = datetime.now(UTC)
        folders = {f.id: f.path for f in self.store.folders()}
        stages: list[dict[str, Any]] = []
        full_any = False
        for run in self.store.import_scopes(source.id):
            folder = folders.get(run.folder_id or "")
            key = scope_key(run, folder)
            state = self.store.sync_state(source.id, key)
            full = mode == "full" or (
                not ids and (state.full_at is None or now - state.full_at >= self.policy.full_every)
            )
            full_any = full_any or (full and not ids)
            spec = scope_spec(
                run, folder, since=state.cursor_at, full=full, policy=self.policy, ids=ids
            )
            stages.append({"do": "import", "spec": spec.to_data(), "scope": key})
        if ids:
            stages.append({"do": "missing", "ids": ids})
            return stages
        for space in self.store.space_keys(source.id):
            stages.append({"do": "trash", "space": space})
            if full_any:
                stages.append({"do": "reconcile", "space": space})
        perms = self.store.sync_state(source.id, PERMISSIONS_SCOPE)
        if (
            mode == "full"
            or perms.full_at is None
            or now - perms.full_at >= self.policy.permissions_every
        ):
            stages += [{"do": "permissions"}, {"do": "groups"}]
        stages.append({"do": "cursor"})
        return stages

    # ---- stages -----------------------------------------------------------------------------

    async def _stage(
        self,
        job: JobRecord,
        source: SourceRecord,
        client: ConfluenceClient,
        stage: Mapping[str, Any],
        cp: dict[str, Any],
        progress: Progress | None,
    ) -> bool:
        """Run one step of a stage; True when the stage is complete."""
        do = stage["do"]
        if do == "import":
            return await self._import(job, source, client, stage, cp, progress)
        reconciler = Reconciler(store=self.store, index=self.index, source=source, client=client)
        result: dict[str, Any] = cp.setdefault("result", {})
        if do in ("trash", "reconcile"):
            removal = await (
                reconciler.trash(stage["space"])
                if do == "trash"
                else reconciler.reconcile(
                    stage["space"], self.policy.max_delete_share, self.policy.delete_floor
                )
            )
            result["removed"] = result.get("removed", 0) + len(removal.removed)
            if removal.refused:
                result.setdefault("refused", []).append(removal.refused)
        elif do == "missing":
            gone = await reconciler.missing(stage["ids"])
            result["removed"] = result.get("removed", 0) + len(gone)
        elif do == "permissions":
            refresh = PermissionRefresh(
                store=self.store, index=self.index, source=source, client=client
            )
            if await asyncio.to_thread(self.store.space_keys, source.id):
                report = await refresh.run()
                result["acl_changed"] = result.get("acl_changed", 0) + report.changed
                _warn(result, report.warnings)
            await asyncio.to_thread(
                self.store.set_sync_state,
                source.id,
                PERMISSIONS_SCOPE,
                full_at=datetime.now(UTC),
            )
        elif do == "groups":
            if self.group_sync is not None:
                try:
                    await self.group_sync(source, client)
                except InputError:
                    raise
                except Exception as exc:
                    _warn(result, [f"group membership sync failed: {exc}"])
        elif do == "cursor":
            await asyncio.to_thread(self._cursors, job, source, cp)
        return True

    async def _import(
        self,
        job: JobRecord,
        source: SourceRecord,
        client: ConfluenceClient,
        stage: Mapping[str, Any],
        cp: dict[str, Any],
        progress: Progress | None,
    ) -> bool:
        importer = self.importer_for(source, client, progress)  # each step opens a new client
        earlier = self._importers.get(job.id)
        if earlier is not None:
            importer.carry_over(earlier)
        self._importers[job.id] = importer
        spec = ImportSpec.from_data(stage["spec"])
        phase = cp.get("phase")
        if phase is None:
            run = await asyncio.to_thread(self._started, job, spec, cp)
            if run is None:
                run = await importer.start(spec, job_id=job.id)
            cp.update(run=run.id, phase="list")
            cp.setdefault("runs", {})[stage.get("scope") or run.id] = run.id
            return False
        run = await asyncio.to_thread(self.store.import_run, cp["run"])
        if run.status != "running":  # the job is resumed after it failed or was cancelled
            run = await asyncio.to_thread(self.store.reopen_import, run.id)
        if phase == "list":
            batches = await importer.list_pages(run, spec)
            cp.update(phase="batch" if batches else "extras", batch=0, batches=batches)
            return False
        if phase == "batch":
            batches = await importer.import_batch(run, spec, int(cp["batch"]))
            cp["batch"] = int(cp["batch"]) + 1
            cp["batches"] = batches
            if cp["batch"] >= batches:
                cp["phase"] = "extras"
            return False
        await importer.import_extras(run, spec)
        report = await importer.finish(run)
        _warn(cp.setdefault("result", {}), report.warnings)
        if job.kind == "import":  # the scope's first sync starts from this import
            await asyncio.to_thread(self._first_cursor, source, run)
        return True

    def _started(self, job: JobRecord, spec: ImportSpec, cp: Mapping[str, Any]) -> ImportRun | None:
        """The run this stage started before its worker died, before the checkpoint named it
        (the step is redone: it goes on with that run rather than leave it running forever)."""
        named = set(cp.get("runs", {}).values())
        for run in self.store.job_imports(job.id):
            if (
                run.status == "running"
                and run.id not in named
                and (run.kind, run.target) == (spec.target.kind, spec.target.value)
            ):
                return run
        return None

    def _first_cursor(self, source: SourceRecord, run: ImportRun) -> None:
        folders = {f.id: f.path for f in self.store.folders()}
        key = scope_key(run, folders.get(run.folder_id or ""))
        started = run.started_at
        self.store.set_sync_state(source.id, key, cursor_at=started, full_at=started)

    def _cursors(self, job: JobRecord, source: SourceRecord, cp: Mapping[str, Any]) -> None:
        """Move each scope's cursor to the sync's start, when its run had no failed item
        (a failed page is listed again by the next sync)."""
        started = datetime.fromisoformat(cp["started"])
        for stage in cp["stages"]:
            key = stage.get("scope")
            run_id = cp.get("runs", {}).get(key)
            if stage["do"] != "import" or not key or not run_id:
                continue
            if self.store.import_items(run_id, "failed"):
                continue
            full = ImportSpec.from_data(stage["spec"]).purpose == "full"
            self.store.set_sync_state(
                source.id, key, cursor_at=started, full_at=started if full else None
            )

    def _outcome(self, job: JobRecord, cp: dict[str, Any]) -> StepOutcome:
        runs = self.store.job_imports(job.id)
        total = sum(r.counts.get("seen", 0) for r in runs)
        done = sum(r.counts.get(k, 0) for r in runs for k in ("imported", "updated", "unchanged"))
        failed = sum(
            len({i.external_id for i in self.store.import_items(r.id, "failed")}) for r in runs
        )
        finished = cp["i"] >= len(cp["stages"])
        if finished:
            self.forget(job.id)
        result = dict(cp.get("result", {}))
        result["counts"] = _sum_counts(runs)
        return StepOutcome(cp, finished, total, done, failed, result)


def _warn(result: dict[str, Any], warnings: list[str]) -> None:
    kept: list[str] = result.setdefault("warnings", [])
    for w in warnings:
        if w not in kept and len(kept) < 50:
            kept.append(w)


def _sum_counts(runs: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for run in runs:
        for key, value in run.counts.items():
            out[key] = out.get(key, 0) + int(value)
    return out
