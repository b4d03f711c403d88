"""Job commands: `radex jobs list|show|cancel|retry`, `radex sync`, `radex worker`."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from radex.app import Services
from radex.cli.common import app, err, translate_errors
from radex.cli.kb import JsonOpt, pick_source, print_json, services
from radex.cli.progress import RichImportProgress
from radex.errors import InputError
from radex.ingest.importer import ImportReport
from radex.store.records import JOB_STATES, JobRecord, JobState

jobs_app = typer.Typer(help="Background jobs: imports, syncs, permission refreshes.")
app.add_typer(jobs_app, name="jobs")
MAINTENANCE_S = 15.0  # how often a worker looks for orphaned jobs and due syncs


# ---- running a job here ------------------------------------------------------------------------


def run_foreground(svc: Services, job: JobRecord, *, bars: bool = True) -> JobRecord:
    """Run a job to its end in this process with progress bars; Ctrl-C cancels it (it can be
    resumed with `radex jobs retry`)."""
    with RichImportProgress(err) if bars else _NoBars() as progress:
        runner = svc.runner(progress if bars else None, foreground=True)
        try:
            return asyncio.run(runner.run_here(job.id))
        except KeyboardInterrupt:
            steps = runner.handlers[job.kind]
            current = svc.store.job(job.id)
            asyncio.run(steps.abort(current, "cancelled", "interrupted"))
            svc.store.finish_job(job.id, "cancelled", "interrupted at the keyboard")
            err.print(
                f"cancelled job {job.id[:12]}; resume it with `radex jobs retry {job.id[:12]}`"
            )
            raise typer.Exit(130) from None


class _NoBars:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def job_report(svc: Services, job: JobRecord) -> ImportReport:
    """An import job's outcome as an import report (its run, failures and warnings)."""
    runs = svc.store.job_imports(job.id)
    if not runs:
        raise InputError(f"job {job.id[:12]} made no import run", hint=job.error or "")
    run = runs[-1]
    last: dict[str, tuple[str, str, str]] = {}
    for item in svc.store.import_items(run.id, "failed"):
        last[item.external_id] = (item.external_id, item.title or "", item.reason or "")
    warnings = [str(w) for w in job.result.get("warnings", [])]
    return ImportReport(run, list(last.values()), warnings)


# ---- jobs ---------------------------------------------------------------------------------------


def job_data(svc: Services, job: JobRecord, *, items: bool = False) -> dict[str, Any]:
    """A job as JSON."""
    out: dict[str, Any] = {
        **job.to_data(),
        "rate": _rate(job),
        "eta_s": _eta(job),
        "params": {k: v for k, v in job.params.items() if k != "spec"},
    }
    if items:
        failures = []
        for run in svc.store.job_imports(job.id):
            failures += [
                {"id": i.external_id, "title": i.title, "reason": i.reason}
                for i in svc.store.import_items(run.id, "failed")
            ]
        out["failures"] = list({f["id"]: f for f in failures}.values())
    return out


def _rate(job: JobRecord) -> float | None:
    if job.started_at is None or not job.done:
        return None
    end = job.finished_at or datetime.now(UTC)
    seconds = (end - job.started_at).total_seconds()
    return round(job.done / seconds, 2) if seconds > 0 else None


def _eta(job: JobRecord) -> float | None:
    rate = _rate(job)
    if job.final or not rate or job.total <= job.done:
        return None
    return round((job.total - job.done) / rate, 1)


def _line(job: JobRecord) -> str:
    progress = f"{job.done}/{job.total}" if job.total else "-"
    what = job.params.get("mode") or job.params.get("spec", {}).get("target", [""])[:2]
    label = what if isinstance(what, str) else " ".join(str(w) for w in what)
    return (
        f"{job.id[:12]}\t{job.kind}\t{job.params.get('source', '')}\t{label}\t{job.state}\t"
        f"{progress}\t{job.failed} failed\t{job.created_at:%Y-%m-%d %H:%M}"
    )


@jobs_app.command("list")
@translate_errors
def jobs_list(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only jobs in these states.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source's.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List jobs, newest first."""
    bad = [s for s in state or () if s not in JOB_STATES]
    if bad:
        raise InputError(f"unknown state {bad[0]!r}", hint=f"states: {', '.join(JOB_STATES)}")
    states: tuple[JobState, ...] | None = tuple(state) if state else None  # type: ignore[arg-type]
    with services() as svc:
        source_id = svc.store.source(source).id if source else None
        rows = svc.store.jobs(source_id=source_id, states=states, limit=limit)
        if as_json:
            print_json([job_data(svc, j) for j in rows])
            return
    if not rows:
        typer.echo("no jobs yet")
    for job in rows:
        typer.echo(_line(job))


@jobs_app.command("show")
@translate_errors
def jobs_show(
    job_id: Annotated[str, typer.Argument(help="Job id (a unique prefix will do).")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Attach: draw its progress until it ends.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a job: state, progress, result and failed items (--follow attaches to it)."""
    with services() as svc:
        job = svc.store.job(job_id)
        if follow:
            job = _follow(svc, job)
        if as_json:
            print_json(job_data(svc, job, items=True))
            return
        data = job_data(svc, job, items=True)
    typer.echo(_line(job))
    for key in ("rate", "eta_s", "attempts", "error"):
        if data[key]:
            typer.echo(f"  {key}: {data[key]}")
    for key, value in data["result"].items():
        typer.echo(f"  {key}: {value}")
    for f in data["failures"]:
        typer.echo(f"  failed {f['id']} {f['title']!r}: {f['reason']}")
    if job.state == "failed":
        raise typer.Exit(1)


def _follow(svc: Services, job: JobRecord) -> JobRecord:
    """Draw a running job's progress (read from its record) until it ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    ) as bars:
        task = bars.add_task(f"job {job.id[:12]} ({job.kind})", total=job.total or None)
        while not job.final:
            bars.update(task, total=job.total or None, completed=job.done)
            time.sleep(0.5)
            job = svc.store.job(job.id)
        bars.update(task, total=job.total or 1, completed=job.done if job.total else 1)
    return job


@jobs_app.command("cancel")
@translate_errors
def jobs_cancel(
    job_id: Annotated[str, typer.Argument(help="Job id (or a unique prefix).")],
) -> None:
    """Cancel a job (a running one stops after its current step)."""
    with services() as svc:
        job = svc.queue.cancel(job_id)
    typer.echo(f"job {job.id[:12]}: {'cancelled' if job.final else 'cancelling'}")


@jobs_app.command("retry")
@translate_errors
def jobs_retry(
    job_id: Annotated[str, typer.Argument(help="Job id (or a unique prefix).")],
    detach: Annotated[
        bool, typer.Option("--detach", help="Queue it for a worker instead of running it here.")
    ] = False,
) -> None:
    """Resume a failed or cancelled job from its last checkpoint."""
    with services() as svc:
        job = svc.store.job(job_id)
        if job.state in ("queued", "running") and job.lease_owner:
            raise InputError(
                f"job {job.id[:12]} is {job.state} on {job.lease_owner}",
                hint="cancel it first, or wait for it",
            )
        if detach:
            job = svc.queue.retry(job.id)
            typer.echo(f"queued job {job.id[:12]} again")
            return
        job = run_foreground(svc, svc.store.retry_job(job.id))
    typer.echo(_line(job))
    if job.state != "succeeded":
        raise typer.Exit(1)


# ---- sync ---------------------------------------------------------------------------------------

sync_app = typer.Typer(help="Keep imported content in step with Confluence.")
app.add_typer(sync_app, name="sync")


@sync_app.callback(invoke_without_command=True)
@translate_errors
def sync(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--source", help="Source (default: the only one).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Also re-list everything and reconcile deletions.")
    ] = False,
    page: Annotated[
        list[str] | None, typer.Option("--page", help="Only these content ids (repeatable).")
    ] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Queue it for a worker.")] = False,
) -> None:
    """Sync a source now: what changed since the last sync, trash, and (when due or with
    --full) a full reconciliation and a permission refresh."""
    if ctx.invoked_subcommand is not None:
        return
    if full and page:
        raise InputError("--full and --page do not go together", hint="pick one")
    with services() as svc:
        row = pick_source(svc, source)
        job = svc.sync_job(row, mode="full" if full else "incremental", ids=page or ())
        if detach:
            svc.queue.enqueue(job)
            typer.echo(f"queued sync job {job.id[:12]}")
            return
        started = time.monotonic()
        job = run_foreground(svc, job)
        elapsed = time.monotonic() - started
        typer.echo(f"synced {row.name} in {elapsed:.1f} s: {_sync_summary(job)}")
        for warning in job.result.get("warnings", []):
            err.print(f"[yellow]warning[/] {warning}", highlight=False)
        for refused in job.result.get("refused", []):
            err.print(f"[yellow]refused[/] {refused}", highlight=False)
        for f in job_data(svc, job, items=True)["failures"]:
            err.print(f"[red]failed[/] {f['id']} {f['title']!r}: {f['reason']}", highlight=False)
    if job.state != "succeeded" or job.failed:
        raise typer.Exit(1)


def _sync_summary(job: JobRecord) -> str:
    c = job.result.get("counts", {})
    return (
        f"{c.get('seen', 0)} listed, {c.get('imported', 0)} new, {c.get('updated', 0)} updated,"
        f" {job.result.get('removed', 0)} removed, {job.failed} failed"
    )


@sync_app.command("history")
@translate_errors
def sync_history(
    source: Annotated[
        str | None, typer.Option("--source", help="Source (default: the only one).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many syncs, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """When each sync of a source ran, what it changed and what failed."""
    with services() as svc:
        row = pick_source(svc, source)
        rows = svc.store.jobs(source_id=row.id, kind="sync", limit=limit)
        data = [job_data(svc, j, items=True) for j in rows]
    if as_json:
        print_json(data)
        return
    if not rows:
        typer.echo(f"{row.name} has not been synced yet")
    for job, d in zip(rows, data, strict=True):
        mode = job.params.get("mode", "incremental")
        typer.echo(f"{job.created_at:%Y-%m-%d %H:%M}\t{mode}\t{job.state}\t{_sync_summary(job)}")
        for f in d["failures"]:
            typer.echo(f"  failed {f['id']} {f['title']!r}: {f['reason']}")


# ---- worker -------------------------------------------------------------------------------------


def maintain(svc: Services, stop: threading.Event, every: float = MAINTENANCE_S) -> None:
    """Until ``stop``: queue again the jobs whose worker died, and queue due syncs."""
    while not stop.is_set():
        try:
            svc.queue.recover()
            svc.due_syncs()
        except Exception as exc:
            err.print(f"[yellow]maintenance[/] {exc}", highlight=False)
        stop.wait(every)


@app.command()
@translate_errors
def worker(
    threads: Annotated[
        int | None, typer.Option("--threads", "-w", help="Job threads (RADEX_WORKER_THREADS).")
    ] = None,
) -> None:
    """Run queued jobs (and scheduled syncs) until stopped with Ctrl-C or SIGTERM."""
    with services() as svc:
        count = threads or svc.settings.worker_threads
        queue = svc.queue
        stop = threading.Event()
        keeper = threading.Thread(target=maintain, args=(svc, stop), daemon=True)
        keeper.start()
        where = svc.settings.redis_url or str(svc.settings.home / "queue.db")
        err.print(f"radex worker: {count} thread(s) on {where}", highlight=False)
        try:
            queue.consumer(count).run()
        finally:
            stop.set()
