"""Listing + fetching the bodies of a 2,000-page space at 50 ms latency: RADEX vs LangChain
(``ConfluenceLoader``) vs LlamaIndex (``ConfluenceReader``), in the same run, same emulator.

Run: ``.venv/bin/python -m bench.bench_client [--pages N] [--latency-ms L] [--flavor cloud|dc]``.
LangChain and LlamaIndex are bench-only dependencies (``pip install -e '.[dev,bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from radex.confluence.auth import ApiToken, PersonalAccessToken, SiteUrls
from radex.confluence.client import ConfluenceClient
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.serve import running


@dataclass(frozen=True)
class Result:
    """One tool's figures."""

    tool: str
    pages: int
    seconds: float
    calls: int
    note: str = ""


def _emulator(flavor: str, pages: int, latency_ms: float) -> Emulator:
    site = build_site(generate_fixture(pages, seed=7), flavor=flavor)  # type: ignore[arg-type]
    config = EmulatorConfig(flavor=flavor, latency_ms=latency_ms)  # type: ignore[arg-type]
    return create_emulator(site, config)


def _admin(emu: Emulator) -> tuple[str, str]:
    admin = next(u for u in emu.site.users.values() if u.admin)
    login = admin.email if emu.config.flavor == "cloud" else admin.username
    return login, admin.secret


@contextlib.contextmanager
def _measure(emu: Emulator) -> Iterator[Callable[[], tuple[float, int]]]:
    emu.requests.clear()
    start = time.perf_counter()
    done: list[tuple[float, int]] = []

    def figures() -> tuple[float, int]:
        return done[0]

    yield figures
    done.append((time.perf_counter() - start, sum(emu.requests.values())))


def run_radex(emu: Emulator, base: str) -> Result:
    """RADEX: v2 cursor listing with storage bodies (Cloud) or v1 with expansions (DC)."""
    login, secret = _admin(emu)
    if emu.config.flavor == "cloud":
        origin = base.removesuffix("/wiki")
        urls = SiteUrls(origin, origin, origin)
        credential: Any = ApiToken(login, secret)
    else:
        urls = SiteUrls(base)
        credential = PersonalAccessToken(secret)

    async def go() -> int:
        async with ConfluenceClient.connect(urls, credential) as client:
            return len([p async for p in client.pages("ENG") if p.body is not None])

    asyncio.run(go())  # warm-up: imports and first-use costs are not the listing's
    with _measure(emu) as figures:
        count = asyncio.run(go())
    seconds, calls = figures()
    return Result("RADEX ConfluenceClient", count, seconds, calls)


def run_langchain(emu: Emulator, base: str) -> Result:
    """LangChain's ConfluenceLoader with its defaults (limit 50), all pages of the space.

    Its default ``include_restricted_content=False`` reads every page's restrictions (one call
    per page); if that fails on this site, it runs again without, and says so.
    """
    from langchain_community.document_loaders import ConfluenceLoader

    login, secret = _admin(emu)

    def load(**extra: Any) -> Result:
        loader = ConfluenceLoader(
            url=base,
            username=login,
            api_key=secret,
            cloud=emu.config.flavor == "cloud",
            space_key="ENG",
            max_pages=1_000_000,
            **extra,
        )
        with _measure(emu) as figures:
            docs = loader.load()
        seconds, calls = figures()
        note = "defaults" if not extra else ", ".join(f"{k}={v}" for k, v in extra.items())
        return Result("LangChain ConfluenceLoader", len(docs), seconds, calls, note)

    try:
        return load()
    except KeyError as exc:
        result = load(include_restricted_content=True)
        why = f"its defaults failed here (KeyError {exc}); ran with {result.note}"
        return Result(result.tool, result.pages, result.seconds, result.calls, why)


def run_llamaindex(emu: Emulator, base: str) -> Result:
    """LlamaIndex's ConfluenceReader for a space (``body.export_view`` bodies, then text)."""
    from llama_index.readers.confluence import ConfluenceReader  # type: ignore[import-untyped]

    login, secret = _admin(emu)
    reader = ConfluenceReader(
        base_url=base,
        cloud=emu.config.flavor == "cloud",
        user_name=login,
        password=secret,
    )
    with _measure(emu) as figures:
        # without a result cap it fails to page (atlassian-python-api compares against None)
        docs = reader.load_data(space_key="ENG", page_status="current", max_num_results=1_000_000)
    seconds, calls = figures()
    return Result("LlamaIndex ConfluenceReader", len(docs), seconds, calls, "max_num_results set")


def table(results: list[Result]) -> str:
    """The figures as a Markdown table."""
    radex = results[0]
    rows = [
        "| tool | pages | wall time (s) | API calls | RADEX faster by | RADEX calls share |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        speed = f"{r.seconds / radex.seconds:.1f}×" if r is not radex else "—"
        share = f"{radex.calls / r.calls:.2f}" if r is not radex and r.calls else "—"
        note = f" ({r.note})" if r.note else ""
        rows.append(
            f"| {r.tool}{note} | {r.pages} | {r.seconds:.2f} | {r.calls} | {speed} | {share} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """Run the three tools against one emulated site and print the table."""
    parser = argparse.ArgumentParser(prog="bench.bench_client")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--flavor", choices=["cloud", "dc"], default="cloud")
    args = parser.parse_args(argv)
    logging.getLogger("radex").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    emu = _emulator(args.flavor, args.pages, args.latency_ms)
    print(f"{args.flavor}: {args.pages} pages in ENG, {args.latency_ms:g} ms latency per request")
    results: list[Result] = []
    with running(emu) as base:
        for run in (run_radex, run_langchain, run_llamaindex):
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    results.append(run(emu, base))
            except ImportError as exc:
                print(f"  skipped {run.__name__}: {exc} (install the bench extras)")
                continue
            except Exception as exc:  # a third-party tool failing is a figure too
                print(f"  {run.__name__} failed: {exc.__class__.__name__}: {exc}")
                continue
            print(f"  {results[-1]}", flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
