"""Access commands: refresh imported content's Acls from Confluence; disconnect a source."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated

import typer

from radex.cli.common import app, err, translate_errors
from radex.cli.kb import JsonOpt, SourceOpt, print_json, services
from radex.ingest.permissions import RefreshReport

permissions_app = typer.Typer(help="Keep RADEX's permissions true to Confluence.")
app.add_typer(permissions_app, name="permissions")


@permissions_app.command("refresh")
@translate_errors
def refresh(
    source: SourceOpt = None,
    space: Annotated[
        list[str] | None, typer.Option("--space", help="Only these spaces (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-read space permissions and page restrictions; rewrite changed Acls (no re-embedding)."""
    with services() as svc:
        rows = [svc.store.source(source)] if source else svc.store.sources()

        async def go() -> list[tuple[str, RefreshReport]]:
            out = []
            for row in rows:
                async with svc.sources.open(row) as client:
                    out.append((row.name, await svc.permission_refresh(row, client).run(space)))
            return out

        reports = asyncio.run(go())
    if as_json:
        print_json([{"source": n, **asdict(r)} for n, r in reports])
        return
    for name, r in reports:
        typer.echo(
            f"{name}: {len(r.spaces)} space(s), {r.checked} page(s) checked, {r.changed} "
            f"document(s) re-permissioned, {r.closed} no longer visible (admins only), "
            f"{r.fail_closed} with unreadable permissions (admins only)"
        )
        for warning in r.warnings:
            err.print(f"[yellow]warning[/] {warning}", highlight=False)


@app.command()
@translate_errors
def disconnect(
    name: Annotated[str, typer.Argument(help="The source to remove.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a connected source, its stored credential and every document imported from it."""
    with services() as svc:
        source = svc.store.source(name)
        count = svc.store.count_documents(source.id)
        if not yes:
            typer.confirm(f"remove '{name}' and its {count} document(s)?", abort=True)
        gone = svc.disconnect(name)
    typer.echo(f"removed source '{name}' and {gone} document(s)")
