"""People commands: `radex users`, `radex groups` (RADEX groups and Confluence group sync) and
`radex grants` (who may open which RADEX folders). Password hashes and credentials are never
printed."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from typing import Annotated, Any

import typer

from radex.app import Services
from radex.cli.common import app, err, translate_errors
from radex.cli.kb import JsonOpt, SourceOpt, pick_source, print_json, services
from radex.errors import InputError, RadexError
from radex.security.directory import Directory
from radex.security.memberships import GroupSync, link_by_email, link_identity, sync_groups
from radex.store.records import FolderGrant, IdentityLink, SourceRecord, UserRecord

users_app = typer.Typer(
    help="RADEX users: roles, passwords, Confluence identities.", no_args_is_help=True
)
groups_app = typer.Typer(
    help="RADEX groups, and the Confluence groups synced from each source.", no_args_is_help=True
)
grants_app = typer.Typer(
    help="Folder grants: who may open which RADEX folders (and all below).", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(groups_app, name="groups")
app.add_typer(grants_app, name="grants")

NameArg = Annotated[str, typer.Argument(help="RADEX user name, e.g. alice.")]
GroupArg = Annotated[str, typer.Argument(help="RADEX group name, e.g. platform.")]
PathArg = Annotated[str, typer.Argument(help="RADEX folder path, e.g. /ENG/Ops.")]
ConfluenceIdOpt = Annotated[
    str | None,
    typer.Option(
        "--confluence-id", help="accountId (Cloud), or username or userKey (Data Center)."
    ),
]
UserOpt = Annotated[str | None, typer.Option("--user", help="Grant to this RADEX user.")]
GroupOpt = Annotated[str | None, typer.Option("--group", help="Grant to this RADEX group.")]
EveryoneOpt = Annotated[bool, typer.Option("--everyone", help="Grant to every RADEX user.")]


def _read_password() -> str:
    """One line of standard input, without its line ending."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InputError("no password on standard input", hint='e.g. echo "$PW" | radex ...')
    return line


def _link(svc: Services, source: SourceRecord, user: str, ident: str | None) -> IdentityLink:
    """Link explicitly (``ident``) or by email, over a client opened for the source."""

    async def go() -> IdentityLink:
        async with svc.sources.open(source) as client:
            if ident is None:
                return await link_by_email(svc.store, source, client, user)
            return await link_identity(svc.store, source, client, user, ident)

    return asyncio.run(go())


def _describe_link(link: IdentityLink, source: SourceRecord) -> str:
    who = f"{link.confluence_id} ({link.username})" if link.username else link.confluence_id
    return f"linked '{link.user_name}' to Confluence user {who} on {source.name} ({link.how})"


# ---- users --------------------------------------------------------------------------------------


@users_app.command("add")
@translate_errors
def users_add(
    name: NameArg,
    email: Annotated[str | None, typer.Option(help="Email (taken as verified).")] = None,
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password from standard input.")
    ] = False,
    display_name: Annotated[str | None, typer.Option(help="Name shown (default: NAME).")] = None,
    confluence_id: ConfluenceIdOpt = None,
    source: SourceOpt = None,
) -> None:
    """Add a RADEX user, optionally linked to their Confluence identity on a source."""
    if source is not None and confluence_id is None:
        raise InputError("--source goes with --confluence-id", hint="or link later: `users link`")
    password = _read_password() if password_stdin else None
    with services() as svc:
        directory = Directory(svc.store)
        picked = pick_source(svc, source) if confluence_id is not None else None
        user = directory.add_user(
            name, email=email, role=role, password=password, display_name=display_name
        )
        line = f"added user '{user.name}' ({user.role})"
        if picked is not None and confluence_id is not None:
            try:
                link = _link(svc, picked, user.name, confluence_id)
            except BaseException:
                directory.remove_user(user.name)  # no user is left half set up
                raise
            line += "; " + _describe_link(link, picked)
    typer.echo(line)


@users_app.command("list")
@translate_errors
def users_list(as_json: JsonOpt = False) -> None:
    """List RADEX users with their role, groups and Confluence identities."""
    with services() as svc:
        users = svc.store.users()
        names = {s.id: s.name for s in svc.store.sources()}
        groups: dict[str, list[str]] = defaultdict(list)
        for group in svc.store.groups():
            for member in group.members:
                groups[member].append(group.name)
        links: dict[str, list[dict[str, str]]] = defaultdict(list)
        for link in svc.store.links():
            links[link.user_name].append(
                {
                    "source": names.get(link.source_id, link.source_id),
                    "confluence_id": link.confluence_id,
                }
            )
    rows = [_user_data(u, groups[u.name], links[u.name]) for u in users]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no users yet: add one with `radex users add NAME`")
    for r in rows:
        state = "" if r["active"] else "\tdisabled"
        ids = ", ".join(f"{x['source']}:{x['confluence_id']}" for x in r["links"]) or "-"
        typer.echo(
            f"{r['name']}\t{r['role']}\t{r['email'] or '-'}\t"
            f"groups: {', '.join(r['groups']) or '-'}\tlinks: {ids}{state}"
        )


def _user_data(user: UserRecord, groups: list[str], links: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "groups": sorted(groups),
        "links": links,
    }


@users_app.command("link")
@translate_errors
def users_link(
    name: NameArg,
    source: SourceOpt = None,
    confluence_id: ConfluenceIdOpt = None,
    by_email: Annotated[
        bool, typer.Option("--by-email", help="Find them by their verified email (full sync).")
    ] = False,
) -> None:
    """Link a user to their Confluence identity on a source (and record its groups)."""
    if (confluence_id is None) == (not by_email):
        raise InputError("give exactly one of --confluence-id ID or --by-email")
    with services() as svc:
        picked = pick_source(svc, source)
        link = _link(svc, picked, name, confluence_id)
    typer.echo(_describe_link(link, picked))


@users_app.command("unlink")
@translate_errors
def users_unlink(name: NameArg, source: SourceOpt = None) -> None:
    """Remove a user's link to a Confluence identity on a source."""
    with services() as svc:
        picked = pick_source(svc, source)
        Directory(svc.store).unlink(name, picked.id)
    typer.echo(f"unlinked '{name}' on {picked.name}")


@users_app.command("remove")
@translate_errors
def users_remove(name: NameArg) -> None:
    """Remove a user with their group memberships, identity links and grants."""
    with services() as svc:
        Directory(svc.store).remove_user(name)
    typer.echo(f"removed user '{name}'")


@users_app.command("role")
@translate_errors
def users_role(
    name: NameArg, role: Annotated[str, typer.Argument(help="viewer, editor or admin.")]
) -> None:
    """Change a user's role."""
    with services() as svc:
        user = Directory(svc.store).set_role(name, role)
    typer.echo(f"'{user.name}' is now {user.role}")


@users_app.command("password")
@translate_errors
def users_password(name: NameArg) -> None:
    """Set a user's password, read from standard input."""
    password = _read_password()
    with services() as svc:
        Directory(svc.store).set_password(name, password)
    typer.echo(f"password of '{name}' set")


@users_app.command("disable")
@translate_errors
def users_disable(name: NameArg) -> None:
    """Disable a user: they sign in to nothing and read nothing (kept for the record)."""
    with services() as svc:
        Directory(svc.store).set_active(name, False)
    typer.echo(f"disabled '{name}'")


@users_app.command("enable")
@translate_errors
def users_enable(name: NameArg) -> None:
    """Enable a disabled user again."""
    with services() as svc:
        Directory(svc.store).set_active(name, True)
    typer.echo(f"enabled '{name}'")


# ---- groups -------------------------------------------------------------------------------------


@groups_app.command("list")
@translate_errors
def groups_list(as_json: JsonOpt = False) -> None:
    """List RADEX groups and their members."""
    with services() as svc:
        rows = [{"name": g.name, "members": list(g.members)} for g in svc.store.groups()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no groups yet: add one with `radex groups add NAME`")
    for r in rows:
        typer.echo(f"{r['name']}\t{', '.join(r['members']) or '-'}")


@groups_app.command("add")
@translate_errors
def groups_add(name: GroupArg) -> None:
    """Add a RADEX group."""
    with services() as svc:
        group = Directory(svc.store).add_group(name)
    typer.echo(f"added group '{group.name}'")


@groups_app.command("remove")
@translate_errors
def groups_remove(name: GroupArg) -> None:
    """Remove a RADEX group with its memberships and grants."""
    with services() as svc:
        Directory(svc.store).remove_group(name)
    typer.echo(f"removed group '{name}'")


@groups_app.command("members")
@translate_errors
def groups_members(
    name: GroupArg,
    add: Annotated[list[str] | None, typer.Option("--add", help="Add this user.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Remove this user.")] = None,
) -> None:
    """Show a RADEX group's members, adding or removing some first."""
    with services() as svc:
        directory = Directory(svc.store)
        group = directory.group(name)
        for user in [*(add or ()), *(remove or ())]:
            directory.user(user)  # every name is checked before anything changes
        for user in add or ():
            group = directory.add_member(name, user)
        for user in remove or ():
            group = directory.remove_member(name, user)
    typer.echo("\n".join(group.members) if group.members else f"group '{name}' has no members")


@groups_app.command("sync")
@translate_errors
def groups_sync(source: SourceOpt = None) -> None:
    """Read every Confluence group and its members from a source (default: every source);
    links users whose verified email matches. A source that cannot be read in full is left as
    it was."""
    with services() as svc:
        rows = [svc.store.source(source)] if source is not None else svc.store.sources()
        if not rows:
            raise InputError("no Confluence is connected", hint="run `radex connect NAME ...`")

        async def one(row: SourceRecord) -> GroupSync:
            async with svc.sources.open(row) as client:
                return await sync_groups(svc.store, row, client)

        failed = 0
        for row in rows:
            try:
                report = asyncio.run(one(row))
            except RadexError as exc:
                failed += 1
                err.print(f"[bold red]error:[/] {row.name}: {exc}", highlight=False)
                continue
            linked = ", ".join(f"{x.user_name}" for x in report.links_added)
            typer.echo(
                f"{row.name}: {report.groups} groups, {report.memberships} memberships, "
                f"{len(report.links_added)} linked by email" + (f" ({linked})" if linked else "")
            )
    if failed:
        raise typer.Exit(1)


# ---- grants -------------------------------------------------------------------------------------


def _subject(user: str | None, group: str | None, everyone: bool) -> str:
    chosen = [
        subject
        for subject, given in (
            (f"user:{user}", user is not None),
            (f"group:{group}", group is not None),
            ("anyone", everyone),
        )
        if given
    ]
    if len(chosen) != 1:
        raise InputError("give exactly one of --user U, --group G or --everyone")
    return chosen[0]


@grants_app.command("add")
@translate_errors
def grants_add(
    path: PathArg,
    user: UserOpt = None,
    group: GroupOpt = None,
    everyone: EveryoneOpt = False,
    level: Annotated[str, typer.Option(help="viewer, editor or owner.")] = "viewer",
) -> None:
    """Grant a folder, and everything below it, to a user, a group or everyone."""
    subject = _subject(user, group, everyone)
    with services() as svc:
        grant = Directory(svc.store).grant(path, subject, level)
    typer.echo(f"granted {grant.folder_path} to {grant.subject} as {grant.level}")


@grants_app.command("remove")
@translate_errors
def grants_remove(
    path: PathArg, user: UserOpt = None, group: GroupOpt = None, everyone: EveryoneOpt = False
) -> None:
    """Withdraw a user's, a group's or everyone's grant on a folder."""
    subject = _subject(user, group, everyone)
    with services() as svc:
        Directory(svc.store).revoke(path, subject)
    typer.echo(f"removed the grant of {path} to {subject}")


@grants_app.command("list")
@translate_errors
def grants_list(
    path: Annotated[str | None, typer.Argument(help="Only this folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List folder grants (of one folder, or all)."""
    with services() as svc:
        grants = Directory(svc.store).grants(path)
    if as_json:
        print_json([_grant_data(g) for g in grants])
        return
    if not grants:
        typer.echo("no grants" + (f" on {path}" if path else ": add one with `radex grants add`"))
    for g in grants:
        typer.echo(f"{g.folder_path}\t{g.subject}\t{g.level}")


def _grant_data(grant: FolderGrant) -> dict[str, Any]:
    return {
        "folder": grant.folder_path,
        "subject": grant.subject,
        "level": grant.level,
        "created_at": grant.created_at.isoformat(),
    }
