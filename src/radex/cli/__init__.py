"""The `radex` command line (Typer + Rich); errors become one line and a non-zero exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radex import __version__
from radex.cli import access as _access  # noqa: F401  (registers `radex permissions`)
from radex.cli import demo as _demo  # noqa: F401  (registers `radex demo`)
from radex.cli import jobs as _jobs  # noqa: F401  (registers jobs, sync, worker)
from radex.cli import kb as _kb  # noqa: F401  (registers the knowledge-base commands)
from radex.cli import people as _people  # noqa: F401  (registers users, groups, grants)
from radex.cli import serve as _serve  # noqa: F401  (registers `radex serve`)
from radex.cli.common import app, err, translate_errors
from radex.errors import InputError

__all__ = ["app", "err", "main", "translate_errors"]


@app.command()
def version() -> None:
    """Print the RADEX version."""
    typer.echo(__version__)


@app.command()
@translate_errors
def convert(
    file: Annotated[
        Path | None, typer.Argument(help="Input file; stdin when omitted or '-'.")
    ] = None,
    to: Annotated[
        str, typer.Option(help="markdown (input is storage format) or storage (input is Markdown).")
    ] = "markdown",
    flavor: Annotated[
        str, typer.Option(help="cloud or dc: how user mentions are written.")
    ] = "cloud",
    base_url: Annotated[str, typer.Option(help="Site base URL for the links written.")] = "",
    space: Annotated[str | None, typer.Option(help="Space key of the page.")] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Print the fidelity report as JSON on stderr.")
    ] = False,
) -> None:
    """Convert a storage-format body to Markdown, or Markdown to storage with --to storage."""
    import json
    import sys

    from radex.confluence.markdown import markdown_to_storage
    from radex.confluence.storage import ConvertContext, storage_to_markdown
    from radex.errors import ConversionError

    if to not in ("markdown", "storage"):
        raise InputError(f"--to must be markdown or storage, not {to!r}")
    if flavor not in ("cloud", "dc"):
        raise InputError(f"--flavor must be cloud or dc, not {flavor!r}")
    if report and to != "markdown":
        raise InputError("--report describes a storage -> Markdown conversion; use --to markdown")
    if file is None or str(file) == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    context = ConvertContext(base_url=base_url, space_key=space)
    if to == "markdown":
        result = storage_to_markdown(data, flavor=flavor, context=context)  # type: ignore[arg-type]
        sys.stdout.write(result.markdown)
        if report:
            typer.echo(json.dumps(result.report.to_dict(), ensure_ascii=False), err=True)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConversionError(
            f"Markdown is not valid UTF-8 (bad byte at offset {exc.start})",
            hint="save the file as UTF-8",
        ) from None
    sys.stdout.write(markdown_to_storage(text, flavor=flavor, context=context) + "\n")  # type: ignore[arg-type]


emulator_app = typer.Typer(
    help="Run a faithful Confluence emulator on loopback.", no_args_is_help=True
)
app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
@translate_errors
def emulator_serve(
    flavor: Annotated[str, typer.Option(help="cloud or dc (Data Center).")] = "cloud",
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8090,
    pages: Annotated[int | None, typer.Option(help="Generate a site with N pages in ENG.")] = None,
    fixture: Annotated[
        Path | None, typer.Option(help="Load a YAML/JSON fixture (docs/emulator-fixtures.md).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for generated content and faults.")] = 0,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    faults: Annotated[
        str,
        typer.Option(help="e.g. 429:0.1,429-no-retry-after:0.05,500:0.02,timeout:0.01,poison:ID"),
    ] = "",
    user: Annotated[
        str | None, typer.Option(help="Admin login: email on Cloud, username on DC.")
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Admin API token (Cloud) or PAT/password (DC).")
    ] = None,
    context_path: Annotated[str, typer.Option(help="DC context path, e.g. /confluence.")] = "",
    legacy_v1: Annotated[
        str, typer.Option(help="Cloud v1 reads v2 replaces: serve, warn (headers) or gone (410).")
    ] = "warn",
    rate_limit: Annotated[
        str, typer.Option(help="Per-user token bucket CAPACITY:FILL_RATE[:INTERVAL_S].")
    ] = "",
    anonymous: Annotated[bool, typer.Option(help="Allow anonymous access.")] = False,
    app_webhook: Annotated[
        str, typer.Option(help="Cloud: POST change events, JWT-signed, to this app URL.")
    ] = "",
    app_webhook_secret: Annotated[
        str, typer.Option(help="The app's shared secret (default: derived from --seed).")
    ] = "",
    app_webhook_events: Annotated[
        str, typer.Option(help="Comma-separated events, e.g. page_updated (default: all).")
    ] = "",
) -> None:
    """Start the emulator and print its base URL and the site admin's credential."""
    from radex.confluence.emulator.serve import (
        DEFAULT_OAUTH_CLIENT,
        ServeOptions,
        admin_of,
        base_url,
        build_emulator,
        serve,
    )

    if flavor not in ("cloud", "dc"):
        raise InputError(f"--flavor must be cloud or dc, not {flavor!r}")
    if legacy_v1 not in ("serve", "warn", "gone"):
        raise InputError(f"--legacy-v1 must be serve, warn or gone, not {legacy_v1!r}")
    opts = ServeOptions(
        flavor=flavor,  # type: ignore[arg-type]
        pages=pages,
        fixture=fixture,
        seed=seed,
        latency_ms=latency_ms,
        faults=faults,
        user=user,
        token=token,
        context_path=context_path,
        legacy_v1=legacy_v1,  # type: ignore[arg-type]
        rate_limit=rate_limit,
        anonymous=anonymous,
        app_webhook=app_webhook,
        app_webhook_secret=app_webhook_secret,
        app_webhook_events=app_webhook_events,
    )
    emu = build_emulator(opts)
    admin = admin_of(emu)
    typer.echo(f"Confluence {flavor} emulator at {base_url(emu, '127.0.0.1', port)}")
    if flavor == "cloud":
        typer.echo(f"admin: email {admin.email}  api token {admin.secret}")
        typer.echo(
            f"cloudId: {emu.site.cloud_id}  oauth client: {' / '.join(DEFAULT_OAUTH_CLIENT)}"
        )
    else:
        typer.echo(f"admin: username {admin.username}  personal access token {admin.secret}")
    for hook in emu.webhooks.apps:
        typer.echo(
            f"app webhook: POST {hook.url} (?event=<name>)  clientKey {emu.webhooks.issuer(hook)}"
            f"  shared secret {hook.secret}"
        )
    pages_total = sum(1 for c in emu.site.content.values() if c.type == "page")
    typer.echo(f"{len(emu.site.spaces)} spaces, {pages_total} pages. Ctrl-C stops.")
    serve(emu, port=port)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="radex")


if __name__ == "__main__":  # pragma: no cover
    main()
