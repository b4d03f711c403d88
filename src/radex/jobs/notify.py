"""Completion notices: a job's outcome POSTed to a webhook URL, signed with HMAC-SHA256."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx

from radex.store.records import JobRecord

SIGNATURE_HEADER = "X-Radex-Signature"
EVENT_HEADER = "X-Radex-Event"


def signature(body: bytes, secret: str) -> str:
    """The signature header value for a body: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notice(job: JobRecord) -> dict[str, Any]:
    """What a notice says about a finished job (never credentials or page text)."""
    return {
        "event": f"job.{job.state}",
        "job": {
            "id": job.id,
            "kind": job.kind,
            "source_id": job.source_id,
            "state": job.state,
            "total": job.total,
            "done": job.done,
            "failed": job.failed,
            "error": job.error,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "result": {k: v for k, v in job.result.items() if k in ("counts", "removed")},
        },
    }


class Notifier:
    """Sends completion notices to one URL; a few tries, then the failure is returned."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        tries: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url, self.secret, self.tries, self.backoff_s = url, secret, tries, backoff_s
        self._transport = transport

    async def send(self, job: JobRecord) -> str:
        """Deliver the notice; returns "delivered (HTTP n)" or what went wrong."""
        body = json.dumps(notice(job), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", EVENT_HEADER: f"job.{job.state}"}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(body, self.secret)
        last = "not sent"
        async with httpx.AsyncClient(timeout=10.0, transport=self._transport) as client:
            for attempt in range(self.tries):
                try:
                    response = await client.post(self.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    last = f"failed: {type(exc).__name__}: {exc}"
                else:
                    if response.status_code < 300:
                        return f"delivered (HTTP {response.status_code})"
                    last = f"failed: HTTP {response.status_code}"
                    if response.status_code < 500 and response.status_code != 429:
                        return last
                if attempt + 1 < self.tries:
                    await asyncio.sleep(self.backoff_s * 2**attempt)
        return last
