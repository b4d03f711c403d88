"""`radex demo`: the main job end to end on one machine — emulated Confluence, import, answers."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from radex.app import build
from radex.cli.common import app, err, translate_errors
from radex.cli.kb import print_answer, summary
from radex.cli.progress import RichImportProgress
from radex.config import Settings
from radex.confluence.auth import ApiToken
from radex.confluence.emulator.serve import ServeOptions, admin_of, build_emulator, running
from radex.ingest.plan import ImportTarget

DEMO_TOKEN = "demo-token"  # noqa: S105 - the local emulator's throwaway credential
QUESTIONS = (
    "How quickly must a SEV1 page be acknowledged?",
    "Can I deploy to production on a Friday afternoon?",
    "How much is the weekly allowance for the primary on-call rotation?",
)


def demo_home() -> Path:
    """Where the demo keeps its data: $RADEX_HOME/demo, else ./.radex-demo."""
    env = os.environ.get("RADEX_HOME")
    return Path(env) / "demo" if env else Path.cwd() / ".radex-demo"


@app.command()
@translate_errors
def demo(
    question: Annotated[
        list[str] | None, typer.Option("--question", "-q", help="Ask this instead (repeatable).")
    ] = None,
) -> None:
    """Start an emulated Confluence with the sample handbook, import it, ask it questions."""
    started = time.monotonic()
    emu = build_emulator(ServeOptions(flavor="cloud", token=DEMO_TOKEN))
    admin = admin_of(emu)
    home = demo_home()
    settings = Settings(home=home)
    err.print(f"[bold]RADEX demo[/] — data in {home}")
    with running(emu) as url:
        err.print(f"emulated Confluence Cloud at {url} (sample space ENG: an engineering handbook)")
        svc = build(settings)
        try:

            async def go() -> None:
                source = await svc.sources.connect(
                    "demo", url, ApiToken(admin.email, DEMO_TOKEN), replace=True
                )
                async with svc.sources.open(source) as client:
                    with RichImportProgress(err) as progress:
                        report = await svc.importer(source, client, progress).run(
                            ImportTarget.space("ENG")
                        )
                err.print(f"imported ENG: {summary(report)}")

            asyncio.run(go())
            for q in question or QUESTIONS:
                typer.echo(f"\n[?] {q}\n")
                print_answer(svc.ask(q))
        finally:
            svc.close()
    err.print(f"\ndone in {time.monotonic() - started:.1f} s")
