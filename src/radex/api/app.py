"""The HTTP API: health, jobs, sync, and the Confluence webhook receiver.

Errors are translated once, here: bad input 400, failed webhook verification 401, unknown
things 404, a conflict 409, an unconfigured feature 503; the body is ``{"error": message}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from radex import __version__
from radex.app import Services, build
from radex.errors import (
    ConfigError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RadexError,
    WebhookAuthError,
)
from radex.store.records import JOB_STATES, JobRecord

_STATUS: list[tuple[type[RadexError], int]] = [
    (WebhookAuthError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputError, 400),
    (ConfigError, 503),
]


class SyncRequest(BaseModel):
    """What to sync: incremental (default), full, or just some content ids."""

    mode: str = Field(default="incremental", pattern="^(incremental|full)$")
    ids: list[str] = Field(default_factory=list, max_length=500)


def job_json(job: JobRecord) -> dict[str, Any]:
    """A job as the API shows it."""
    return job.to_data()


def create_api(svc: Services) -> FastAPI:
    """The API over one process's services."""
    api = FastAPI(
        title="RADEX", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json"
    )

    @api.exception_handler(RadexError)
    async def _radex_error(_request: Request, exc: RadexError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 502)
        return JSONResponse({"error": str(exc)}, status_code=status)

    @api.get("/api/v1/health")
    def health() -> dict[str, Any]:
        """Liveness, and how many jobs wait or run."""
        open_jobs = svc.store.jobs(states=("queued", "running"), limit=1000)
        return {"status": "ok", "version": __version__, "open_jobs": len(open_jobs)}

    @api.get("/api/v1/jobs")
    def jobs(state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Jobs, newest first."""
        if state is not None and state not in JOB_STATES:
            raise InputError(f"unknown state {state!r}", hint=f"states: {', '.join(JOB_STATES)}")
        states = (state,) if state else None
        rows = svc.store.jobs(states=states, limit=max(1, min(limit, 500)))
        return [job_json(j) for j in rows]

    @api.get("/api/v1/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        """One job."""
        return job_json(svc.store.job(job_id))

    @api.post("/api/v1/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict[str, Any]:
        """Ask a job to stop."""
        return job_json(svc.queue.cancel(job_id))

    @api.post("/api/v1/jobs/{job_id}/retry", status_code=202)
    def retry(job_id: str) -> dict[str, Any]:
        """Resume a failed or cancelled job from its checkpoint."""
        current = svc.store.job(job_id)
        if not current.final:
            raise ConflictError(f"job {current.id[:12]} is still {current.state}")
        return job_json(svc.queue.retry(current.id))

    @api.post("/api/v1/sources/{name}/sync", status_code=202)
    def sync(name: str, body: SyncRequest | None = None) -> dict[str, Any]:
        """Queue a sync of a source."""
        wanted = body or SyncRequest()
        source = svc.store.source(name)
        queued = svc.sync_job(source, mode=wanted.mode, ids=wanted.ids)
        svc.queue.enqueue(queued)
        return job_json(queued)

    @api.post("/api/v1/webhooks/confluence/{name}", status_code=202)
    async def webhook(name: str, request: Request) -> JSONResponse:
        """A Confluence webhook (Data Center: X-Hub-Signature; Cloud: Connect JWT): queues a
        sync of the content it names. Polling stays the source of truth."""
        body = await request.body()
        queued = svc.receive_webhook(
            name,
            body,
            dict(request.headers),
            method=request.method,
            path=request.url.path,
            query=request.url.query,
        )
        if queued is None:
            return JSONResponse({"queued": None, "ignored": True}, status_code=202)
        return JSONResponse({"queued": job_json(queued)}, status_code=202)

    return api


def create_default_api() -> FastAPI:
    """The API over services built from the environment (``uvicorn --factory`` entry)."""
    return create_api(build())
