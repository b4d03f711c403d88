"""Knowledge-base commands: connect, sources, import, search, ask, folders, documents."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from radex.app import Services, build
from radex.cli.common import app, err, translate_errors
from radex.confluence.auth import (
    ATLASSIAN_AUTH,
    ATLASSIAN_GATEWAY,
    ApiToken,
    BasicAuth,
    Credential,
    OAuthApp,
    PersonalAccessToken,
    ScopedApiToken,
)
from radex.errors import InputError
from radex.ingest.extras import ExtrasOptions
from radex.ingest.importer import ImportReport, ImportSpec
from radex.ingest.oauth_login import CALLBACK_PATH, READ_SCOPES
from radex.ingest.plan import ImportTarget
from radex.ingest.uploads import read_files
from radex.store.records import SourceRecord
from radex.types import Answer, Hit, SearchFilters

import_app = typer.Typer(help="Import Confluence content into RADEX.", no_args_is_help=True)
app.add_typer(import_app, name="import")

SourceOpt = Annotated[
    str | None, typer.Option("--source", help="Connected source name (default: the only one).")
]
FolderOpt = Annotated[
    str | None, typer.Option("--folder", help="RADEX folder path (default: /<space key>).")
]
AttachmentsOpt = Annotated[
    bool, typer.Option("--attachments/--no-attachments", help="Also import attached files.")
]
CommentsOpt = Annotated[
    bool, typer.Option("--comments/--no-comments", help="Also import footer comments.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@contextmanager
def services() -> Iterator[Services]:
    """The services for this process, closed at the end."""
    svc = build()
    try:
        yield svc
    finally:
        svc.close()


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def print_json(data: Any) -> None:
    """Print data as indented JSON (the ``--json`` output of every command)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# ---- connect and sources ------------------------------------------------------------------------


def credential_from_options(
    *,
    email: str | None,
    token: str | None,
    pat: str | None,
    username: str | None,
    password: str | None,
    scoped: bool,
) -> Credential:
    """The one credential the options describe, or a clear error."""
    given = [
        name
        for name, ok in (
            ("--email/--token", email is not None or token is not None),
            ("--pat", pat is not None),
            ("--username/--password", username is not None or password is not None),
        )
        if ok
    ]
    if len(given) != 1:
        raise InputError(
            "give exactly one credential: --email E --token T (Cloud), --pat T (Data Center), "
            "or --username U --password P (Data Center)"
            + (f"; got {' and '.join(given)}" if given else "")
        )
    if given[0] == "--email/--token":
        if not email or not token:
            raise InputError("Cloud API tokens need both --email and --token")
        return ScopedApiToken(email, token) if scoped else ApiToken(email, token)
    if pat is not None:
        if not pat:
            raise InputError("--pat is empty")
        return PersonalAccessToken(pat)
    if not username or not password:
        raise InputError("basic auth needs both --username and --password")
    return BasicAuth(username, password)


@app.command()
@translate_errors
def connect(
    name: Annotated[str, typer.Argument(help="A name for this connection, e.g. 'acme'.")],
    url: Annotated[str, typer.Option(help="The Confluence site URL you open in a browser.")],
    email: Annotated[str | None, typer.Option(help="Cloud: the account's email.")] = None,
    token: Annotated[str | None, typer.Option(help="Cloud: an API token.")] = None,
    pat: Annotated[str | None, typer.Option(help="Data Center: a personal access token.")] = None,
    username: Annotated[str | None, typer.Option(help="Data Center: username.")] = None,
    password: Annotated[str | None, typer.Option(help="Data Center: password.")] = None,
    scoped: Annotated[
        bool, typer.Option(help="Cloud: the token is a scoped API token (via the gateway).")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Replace a connection of the same name.")] = False,
    oauth: Annotated[
        bool, typer.Option(help="Cloud: sign in with an OAuth 2.0 (3LO) app.")
    ] = False,
    client_id: Annotated[str | None, typer.Option(help="OAuth: the app's client id.")] = None,
    client_secret: Annotated[str | None, typer.Option(help="OAuth: the app's secret.")] = None,
    callback_port: Annotated[
        int, typer.Option(help="OAuth: loopback port of the app's redirect URI.")
    ] = 8765,
    auth_url: Annotated[str, typer.Option(help="OAuth: authorization server.")] = ATLASSIAN_AUTH,
    gateway: Annotated[str, typer.Option(help="OAuth/scoped: API gateway.")] = ATLASSIAN_GATEWAY,
) -> None:
    """Check a credential against a Confluence site and remember it (encrypted)."""
    name = name.strip()
    if not name or "/" in name:
        raise InputError(f"'{name}' is not a usable connection name", hint="e.g. acme or eng-wiki")
    with services() as svc:
        svc.sources.gateway = gateway
        if oauth:
            if any(v is not None for v in (email, token, pat, username, password)):
                raise InputError("--oauth takes no other credential options")
            if not client_id or not client_secret:
                raise InputError("--oauth needs --client-id and --client-secret of your OAuth app")
            app_ = OAuthApp(
                client_id,
                client_secret,
                f"http://127.0.0.1:{callback_port}{CALLBACK_PATH}",
                scopes=READ_SCOPES,
                auth_url=auth_url,
                gateway_url=gateway,
            )
            source = asyncio.run(svc.sources.connect_oauth(name, url, app_, replace=replace))
        else:
            credential = credential_from_options(
                email=email,
                token=token,
                pat=pat,
                username=username,
                password=password,
                scoped=scoped,
            )
            source = asyncio.run(svc.sources.connect(name, url, credential, replace=replace))
    typer.echo(
        f"connected '{source.name}': {source.base_url} ({source.deployment}) "
        f"as {source.display_name} — {len(source.principals) - 1} group(s)"
    )


@app.command("sources")
@translate_errors
def list_sources(as_json: JsonOpt = False) -> None:
    """List connected Confluence sites."""
    with services() as svc:
        rows = svc.store.sources()
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "url": s.base_url,
                    "deployment": s.deployment,
                    "credential": s.credential_kind,
                    "user": s.display_name,
                    "created_at": _when(s.created_at),
                }
                for s in rows
            ]
        )
        return
    if not rows:
        typer.echo("no sources yet: connect one with `radex connect NAME --url URL ...`")
    for s in rows:
        typer.echo(f"{s.name}\t{s.base_url}\t{s.deployment}\t{s.credential_kind}\t{s.display_name}")


def pick_source(svc: Services, name: str | None) -> SourceRecord:
    """The named source, or the only one."""
    if name is not None:
        return svc.store.source(name)
    rows = svc.store.sources()
    if not rows:
        raise InputError(
            "no Confluence is connected", hint="run `radex connect NAME --url URL ...`"
        )
    if len(rows) > 1:
        names = ", ".join(s.name for s in rows)
        raise InputError(f"several sources are connected ({names})", hint="pick one with --source")
    return rows[0]


# ---- import -------------------------------------------------------------------------------------


def extras_options(attachments: bool, comments: bool) -> ExtrasOptions:
    """The extras options of an import command."""
    return ExtrasOptions(attachments=attachments, comments=comments)


def summary(report: ImportReport) -> str:
    """What an import did, in one line."""
    c = report.run.counts

    def part(prefix: str) -> str:
        words = (("imported", "new"), ("updated", "updated"), ("unchanged", "unchanged"))
        done = [
            f"{c.get(prefix + key, 0)} {word}"
            for key, word in words
            if c.get(prefix + key, 0) or not prefix
        ]
        return ", ".join(done)

    line = f"{part('')}, {len(report.failures)} failed, {c.get('chunks', 0)} chunks"
    for kind in ("attachments", "comments"):
        extra = part(kind + "_")
        if extra:
            line += f"; {kind}: {extra}"
    return line


def run_import(
    source_name: str | None,
    target: ImportTarget,
    folder: str | None,
    extras: ExtrasOptions | None = None,
    detach: bool = False,
) -> None:
    """Import as a job: here with progress bars and a summary (exit 1 when any page failed),
    or queued for a worker with ``detach``."""
    from radex.cli.jobs import job_report, run_foreground

    with services() as svc:
        source = pick_source(svc, source_name)
        job = svc.import_job(source, ImportSpec(target, folder, extras or ExtrasOptions()))
        if detach:
            svc.queue.enqueue(job)
            typer.echo(
                f"queued import job {job.id[:12]}: `radex jobs show {job.id[:12]} --follow`"
                " shows its progress (a `radex worker` or `radex serve` runs it)"
            )
            return
        started = time.monotonic()
        job = run_foreground(svc, job)
        elapsed = time.monotonic() - started
        report = job_report(svc, job)
    counts = report.run.counts
    if counts.get("seen", 0) == 0 and not report.failures:
        typer.echo(f"{target.kind} {target.value}: nothing you can read is there; nothing imported")
        return
    typer.echo(f"imported {target.kind} {target.value} in {elapsed:.1f} s: {summary(report)}")
    for warning in report.warnings:
        err.print(f"[yellow]warning[/] {warning}", highlight=False)
    for item_id, title, reason in report.failures:
        err.print(f"[red]failed[/] {item_id} {title!r}: {reason}", highlight=False)
    if report.failures:
        raise typer.Exit(1)


DetachOpt = Annotated[
    bool, typer.Option("--detach", help="Queue the import for a worker and return at once.")
]


@import_app.command("space")
@translate_errors
def import_space(
    key: Annotated[str, typer.Argument(help="Space key, e.g. ENG.")],
    source: SourceOpt = None,
    folder: FolderOpt = None,
    attachments: AttachmentsOpt = True,
    comments: CommentsOpt = True,
    detach: DetachOpt = False,
) -> None:
    """Import every page and blog post of a space."""
    run_import(
        source, ImportTarget.space(key), folder, extras_options(attachments, comments), detach
    )


@import_app.command("page")
@translate_errors
def import_page(
    page_id: Annotated[str, typer.Argument(help="Page id.")],
    tree: Annotated[bool, typer.Option(help="Also every page below it.")] = False,
    source: SourceOpt = None,
    folder: FolderOpt = None,
    attachments: AttachmentsOpt = True,
    comments: CommentsOpt = True,
    detach: DetachOpt = False,
) -> None:
    """Import one page (with --tree, the page and its descendants)."""
    run_import(
        source,
        ImportTarget.page(page_id, tree=tree),
        folder,
        extras_options(attachments, comments),
        detach,
    )


@import_app.command("cql")
@translate_errors
def import_cql(
    query: Annotated[str, typer.Argument(help="CQL, e.g. 'label = \"runbook\"'.")],
    source: SourceOpt = None,
    folder: FolderOpt = None,
    attachments: AttachmentsOpt = True,
    comments: CommentsOpt = True,
    detach: DetachOpt = False,
) -> None:
    """Import the pages and blog posts a CQL query selects."""
    run_import(
        source, ImportTarget.cql(query), folder, extras_options(attachments, comments), detach
    )


@import_app.command("batch")
@translate_errors
def import_batch(
    ids: Annotated[list[str], typer.Argument(help="Page or blog post ids.")],
    source: SourceOpt = None,
    folder: FolderOpt = None,
    attachments: AttachmentsOpt = True,
    comments: CommentsOpt = True,
    detach: DetachOpt = False,
) -> None:
    """Import a list of pages or blog posts by id."""
    run_import(
        source, ImportTarget.batch(ids), folder, extras_options(attachments, comments), detach
    )


@app.command()
@translate_errors
def upload(
    files: Annotated[list[Path], typer.Argument(help="Files to upload (PDF, DOCX, XLSX, ...).")],
    folder: Annotated[str, typer.Option("--folder", help="RADEX folder, e.g. /Team/Docs.")],
) -> None:
    """Upload files into a RADEX folder: extracted, chunked, embedded and searchable."""
    with services() as svc:
        batch = read_files(files, svc.limits)
        report = asyncio.run(svc.uploader().upload(batch, folder))
    for name, outcome in report.outcomes.items():
        typer.echo(f"{outcome}\t{name}")
    for name, reason in report.failures:
        err.print(f"[red]failed[/] {name}: {reason}", highlight=False)
    typer.echo(
        f"uploaded into {folder}: {len(report.outcomes)} done, {len(report.failures)} failed, "
        f"{report.counts.get('chunks', 0)} chunks"
    )
    if report.failures:
        raise typer.Exit(1)


# ---- search and ask -----------------------------------------------------------------------------


def _filters(space: list[str] | None, label: list[str] | None, folder: str | None) -> SearchFilters:
    return SearchFilters(
        folder_paths=(folder,) if folder else (),
        space_keys=tuple(space or ()),
        labels=tuple(label or ()),
    )


def hit_data(hit: Hit) -> dict[str, Any]:
    """A search hit as JSON."""
    return {
        "document_id": hit.document_id,
        "external_id": hit.external_id,
        "title": hit.title,
        "url": hit.url,
        "heading": hit.heading,
        "score": round(hit.score, 6),
        "snippet": hit.snippet,
        "space": hit.space_key,
        "updated_at": _when(hit.updated_at),
    }


def answer_data(answer: Answer) -> dict[str, Any]:
    """An answer as JSON."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "found": answer.found,
        "notes": list(answer.notes),
        "citations": [{**asdict(c), "updated_at": _when(c.updated_at)} for c in answer.citations],
    }


SpaceFilter = Annotated[list[str] | None, typer.Option("--space", help="Only these spaces.")]
LabelFilter = Annotated[list[str] | None, typer.Option("--label", help="Only with these labels.")]
FolderFilter = Annotated[str | None, typer.Option("--folder", help="Only in this folder.")]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Read as this RADEX user: show exactly what they may read."),
]


@app.command()
@translate_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many hits.")] = 10,
    space: SpaceFilter = None,
    label: LabelFilter = None,
    folder: FolderFilter = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hybrid search over what you may read."""
    with services() as svc:
        reader = svc.reader(as_user)
        hits = svc.search(query, k=k, filters=_filters(space, label, folder), reader=reader)
    if as_json:
        print_json([hit_data(h) for h in hits])
        return
    if not hits:
        typer.echo("no matches you can read")
    for i, hit in enumerate(hits, 1):
        where = f" › {hit.heading}" if hit.heading else ""
        typer.echo(f"{i}. {hit.title}{where}  ({hit.score:.4f})\n   {hit.url}\n   {hit.snippet}\n")


def print_answer(answer: Answer) -> None:
    """An answer and its sources, as text."""
    typer.echo(answer.text)
    for note in answer.notes:
        typer.echo(f"\nNote: {note}")
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            updated = f" (updated {c.updated_at:%Y-%m-%d})" if c.updated_at else ""
            where = f" › {c.heading}" if c.heading else ""
            typer.echo(f"  [{c.n}] {c.title}{where}{updated}\n      {c.url}")


@app.command()
@translate_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    space: SpaceFilter = None,
    label: LabelFilter = None,
    folder: FolderFilter = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from what you may read, with citations."""
    with services() as svc:
        reader = svc.reader(as_user)
        answer = svc.ask(question, filters=_filters(space, label, folder), reader=reader)
    if as_json:
        print_json(answer_data(answer))
    else:
        print_answer(answer)


# ---- folders and documents ----------------------------------------------------------------------


@app.command()
@translate_errors
def folders(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """List the RADEX folders you may open."""
    with services() as svc:
        rows = svc.folders(svc.reader(as_user))
    if as_json:
        print_json([{"id": f.id, "path": f.path, "name": f.name} for f in rows])
        return
    for f in sorted(rows, key=lambda f: f.path):
        typer.echo(f.path)


@app.command()
@translate_errors
def documents(
    space: Annotated[str | None, typer.Option("--space", help="Only this space.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the imported documents you may read."""
    with services() as svc:
        reader = svc.reader(as_user)
        rows = [
            {
                "id": d.id,
                "external_id": d.external_id,
                "type": d.type,
                "title": d.title,
                "space": d.space_key,
                "url": d.url,
                "version": d.version,
                "labels": list(d.labels),
                "updated_at": _when(d.updated_at),
            }
            for d in svc.documents(space_key=space, reader=reader)
        ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['external_id']}\t{r['space']}\tv{r['version']}\t{r['title']}")
