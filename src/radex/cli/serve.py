"""`radex serve`: the HTTP API with job workers and the sync scheduler in one process."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
import uvicorn

from radex.cli.common import app, err, translate_errors
from radex.cli.jobs import maintain
from radex.cli.kb import services


@app.command()
@translate_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Job threads (0: queue only, no jobs run here)."),
    ] = None,
) -> None:
    """Serve the API (/api/v1/...) and run queued jobs and scheduled syncs."""
    with services() as svc:
        threads = svc.settings.worker_threads if workers is None else workers
        consumer = svc.queue.consumer(threads) if threads > 0 else None
        stop = threading.Event()
        if consumer is not None:
            consumer.start()
            threading.Thread(target=maintain, args=(svc, stop), daemon=True).start()
        err.print(
            f"radex serve: http://{host}:{port}/api/v1/health, {threads} job thread(s)",
            highlight=False,
        )
        try:
            # By name: entry points do not import one another (the layer contract).
            uvicorn.run(
                "radex.api.app:create_default_api",
                factory=True,
                host=host,
                port=port,
                log_level="warning",
            )
        finally:
            stop.set()
            if consumer is not None:
                consumer.stop(graceful=True)
