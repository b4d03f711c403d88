"""Incremental sync of a large space with a few changed pages, against a full re-import.

A generated site (``generate_fixture(N, seed=7)``: N pages plus blog posts, attachments and
comments in ``ENG``) is served on loopback from a thread of this process. It is imported once as
a job (setup, timed) into a RADEX home with the hashing embedder and no client rate limit. Then,
round after round, 10 pages are edited on the emulated site and the source is synced as a job
(``svc.sync_job(source)`` run with ``svc.runner().run_here``). The first sync after an import
also refreshes permissions and group memberships (reported on its own); the rounds after it are
steady-state incremental syncs, each listing what changed since the previous one (less the
overlap window, so the previous round's pages come again and are skipped as unchanged). A sync
with nothing changed follows. A *full reload* is what a user without sync does: a fresh import
of the space into an empty RADEX home. A *re-import* (``radex import`` of the space again, into
the synced home, after 10 more edits) is measured too unless ``--no-reimport``.

API calls are counted on the emulator: per endpoint (``Emulator.requests``) and, by an ASGI
middleware in front of it, with each request's query, which gives the CQL of every search.
Connecting the source is not counted. A search of named ids (CQL ``id in (...)``: the bodies
of changed pages, or the restrictions of their ancestors, up to 100 ids a call) is a fetch that
grows with what changed, classed apart from the listings. ``--sites`` also records which RADEX
code line made each request (the client's transport is wrapped for the run; calls made from tasks
show their task).

Run: ``.venv/bin/python -m bench.bench_sync [--pages 10000] [--changed 10] [--rounds 5]
[--reloads 1] [--no-reimport] [--sites]``, or ``.venv/bin/python -m bench sync``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from radex.app import Services, build
from radex.config import Settings
from radex.confluence.auth import ApiToken
from radex.confluence.client.transport import Transport
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator, ops
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.model import Content
from radex.confluence.emulator.serve import admin_of, running
from radex.ingest.importer import ImportSpec
from radex.ingest.plan import ImportTarget
from radex.store.records import JobRecord, SourceRecord

TOKEN = "bench-token"
SPACE = "ENG"
RATE = 10_000.0  # RADEX_CONFLUENCE_RATE, requests/s: in effect no client-side limit
LISTING = ("CQL search", "content list")  # the classes counted as listing calls
BY_ID = "by-id search"  # CQL `id in (...)`: fetches of named ids (≤ 100 a call), O(changed)
CLASSES = (*LISTING, BY_ID, "space & groups", "people", "per-item GET", "download", "other")


@dataclass(frozen=True)
class Call:
    """One request the emulator received."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        """A query parameter's value (the first one)."""
        return next((v for k, v in self.params if k == name), None)


class Recorder:
    """ASGI middleware in front of the emulator: records every request (method, path, query)."""

    def __init__(self, app: ASGIApp, calls: list[Call]) -> None:
        self.app, self.calls = app, calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record, then serve."""
        if scope["type"] == "http":
            query = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
            self.calls.append(Call(scope["method"], scope["path"], tuple(query)))
        await self.app(scope, receive, send)


@dataclass
class Figures:
    """What one measured job cost."""

    label: str
    wall: float
    endpoints: Counter[str]  # the emulator's count per endpoint label
    calls: list[Call]
    counts: dict[str, int] = field(default_factory=dict)
    sites: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Requests the emulator served."""
        return sum(self.endpoints.values())

    def classes(self) -> Counter[str]:
        """Requests per class (see :func:`_class_of`)."""
        return Counter(_class_of(call) for call in self.calls)

    @property
    def listing(self) -> int:
        """CQL searches and content lists."""
        cls = self.classes()
        return sum(cls[c] for c in LISTING)


def endpoint_class(label: str) -> str:
    """The class of an emulator endpoint label such as ``GET v1:/content/search``."""
    method, _, rest = label.partition(" ")
    path = rest.partition(":")[2]
    if path.endswith("/search"):
        return "CQL search"
    if re.fullmatch(r"/spaces?(/\{\w+\})?(/permissions?)?|/group(/.*)?", path):
        return "space & groups"
    if path.startswith(("/users-bulk", "/user")):
        return "people"
    if "download" in path:
        return "download"
    if method != "GET":
        return "other"
    if path.rsplit("/", 1)[-1].startswith("{"):
        return "per-item GET"
    return "content list"


def call_kind(call: Call) -> str:
    """A client request in short: the shape of a search's CQL (ids and dates elided, bodies
    or not, first page or a later one), else the method and path with ids elided."""
    path = re.sub(r"/\d+(?=/|$)", "/{id}", call.path.removeprefix("/wiki"))
    path = re.sub(r"/att\d+(?=/|$)", "/{att}", path)
    path = re.sub(r"^(/download/attachments/\{id\})/.+$", r"\1/{file}", path)
    path = re.sub(r"^(/rest/api/group)/[0-9a-f-]{36}(?=/)", r"\1/{gid}", path)
    cql = call.param("cql")
    if cql is None:
        status = call.param("status")
        return f"{call.method} {path}" + (f"?status={status}" if status else "")
    shape = re.sub(r"\(\s*\d+(\s*,\s*\d+)*\s*\)", "(…ids)", cql)
    shape = re.sub(r'"\d{4}-\d\d-\d\d \d\d:\d\d"', '"<since>"', shape)
    shape = re.sub(r"ancestor = \d+( or ancestor = \d+)*", "ancestor = …", shape)
    bodies = " +bodies" if "body.storage" in (call.param("expand") or "") else ""
    later = " (next page)" if call.param("cursor") or call.param("start") not in (None, "0") else ""
    return f"search `{shape}`{bodies}{later}"


# ---- the site --------------------------------------------------------------------------------


def make_emulator(pages: int, calls: list[Call]) -> Emulator:
    """A generated Cloud site of ``pages`` pages in ENG whose admin logs in with TOKEN; the
    requests it receives are appended to ``calls``."""
    fixture = generate_fixture(pages, seed=7)
    site = build_site(fixture, flavor="cloud", seed=7, admin=("admin@example.com", TOKEN))
    emu = create_emulator(site, EmulatorConfig(flavor="cloud"))
    emu.app.add_middleware(Recorder, calls=calls)
    return emu


def current_pages(emu: Emulator) -> list[Content]:
    """The space's current pages, by id."""
    return sorted(
        (
            c
            for c in emu.site.content.values()
            if c.space_key == SPACE and c.type == "page" and c.status == "current"
        ),
        key=lambda c: int(c.id),
    )


def edit_pages(emu: Emulator, rng: random.Random, n: int, round_no: int) -> None:
    """Edit ``n`` random pages: a new version with a paragraph appended."""
    admin = admin_of(emu)
    for page in rng.sample(current_pages(emu), n):
        ops.update_content(
            emu.site,
            admin,
            page,
            version_number=page.version + 1,
            body=page.body + f"<p>Sync bench round {round_no}: edited {rng.randrange(10**6)}.</p>",
        )


# ---- RADEX -----------------------------------------------------------------------------------


def services(home: Path) -> Services:
    """RADEX services in ``home``: hashing embedder, no client rate limit."""
    return build(Settings(home=home, embedder="hashing", confluence_rate=RATE))


def connect(svc: Services, url: str) -> SourceRecord:
    """Connect the emulator as source ``wiki``."""
    return asyncio.run(svc.sources.connect("wiki", url, ApiToken("admin@example.com", TOKEN)))


def run_job(svc: Services, job: JobRecord) -> JobRecord:
    """Run a job to its end in this process; it must succeed."""
    done = asyncio.run(svc.runner().run_here(job.id))
    if done.state != "succeeded":
        raise RuntimeError(f"{job.kind} job {done.state}: {done.error}")
    return done


def _site(method: str, url: str) -> str:
    """``METHOD /path ← client line ← caller line``: who made a request (from the stack)."""
    frames = [f for f in traceback.extract_stack()[:-2] if "/src/radex/" in f.filename]

    def where(f: traceback.FrameSummary) -> str:
        return f"{f.filename.split('/src/radex/')[1]}:{f.lineno}"

    plumbing = ("transport.py", "pagination.py", "meet.py")
    client = [f for f in frames if "/confluence/client/" in f.filename]
    api = [f for f in client if not f.filename.endswith(plumbing)]
    callers = [f for f in frames if "/confluence/" not in f.filename and "/jobs/" not in f.filename]
    chain = [where(f) for f in api[-1:]] + [where(f) for f in callers[-2:][::-1]]
    if not callers:
        chain.append(f"(a task of {where(client[0])})" if client else "(a task)")
    path = re.sub(r"/\d+(?=/|$)", "/{id}", httpx.URL(url).path.removeprefix("/wiki"))
    path = re.sub(r"/[0-9a-f-]{36}(?=/)", "/{gid}", re.sub(r"/att\d+(?=/)", "/{att}", path))
    path = re.sub(r"^(/download/attachments/\{id\})/.+$", r"\1/{file}", path)
    return f"{method} {path} ← " + " ← ".join(chain)


@contextmanager
def call_sites(sites: Counter[str] | None) -> Iterator[None]:
    """While in the block, count each request by the RADEX code line that made it."""
    if sites is None:
        yield
        return
    original = Transport.request

    async def request(self: Transport, method: str, url: str, **kw: Any) -> httpx.Response:
        sites[_site(method, url)] += 1
        return await original(self, method, url, **kw)

    Transport.request = request  # type: ignore[method-assign]
    try:
        yield
    finally:
        Transport.request = original  # type: ignore[method-assign]


@contextmanager
def measured(
    label: str, emu: Emulator, calls: list[Call], sites: bool
) -> Iterator[Callable[[], Figures]]:
    """Time the block and collect the requests made during it."""
    emu.requests.clear()
    calls.clear()
    where: Counter[str] | None = Counter() if sites else None
    got: list[Figures] = []
    started = time.perf_counter()
    with call_sites(where):
        yield lambda: got[0]
    wall = time.perf_counter() - started
    got.append(Figures(label, wall, Counter(emu.requests), list(calls), sites=where or Counter()))


def job_counts(job: JobRecord) -> dict[str, int]:
    """The job result's counts (imported, updated, unchanged, ...) and removals."""
    counts = {k: int(v) for k, v in dict(job.result.get("counts", {})).items()}
    counts["removed"] = int(job.result.get("removed", 0))
    return counts


def import_once(
    home: Path, emu: Emulator, calls: list[Call], url: str, label: str, sites: bool
) -> tuple[Services, SourceRecord, Figures]:
    """Connect and import the space into ``home`` as a job, measured (connect excluded)."""
    svc = services(home)
    source = connect(svc, url)
    svc.embedder.embed_query("warm up")
    with measured(label, emu, calls, sites) as figures:
        job = run_job(svc, svc.import_job(source, ImportSpec(ImportTarget.space(SPACE))))
    out = figures()
    out.counts = job_counts(job)
    return svc, source, out


# ---- reporting -------------------------------------------------------------------------------


def summary_row(f: Figures) -> str:
    """A Markdown row: wall time, calls by class, what the job did."""
    cls = f.classes()
    did = ", ".join(
        f"{k} {f.counts[k]}" for k in ("imported", "updated", "unchanged", "removed", "chunks")
        if f.counts.get(k)
    )  # fmt: skip
    per_class = " | ".join(str(cls[c]) for c in CLASSES)
    return f"| {f.label} | {f.wall:.2f} | {f.total} | **{f.listing}** | {per_class} | {did} |"


def print_summary(rows: list[Figures]) -> None:
    """The summary table."""
    print(f"| run | wall (s) | API calls | listing | {' | '.join(CLASSES)} | did |")
    print("|---|---:|---:|---:|" + "---:|" * len(CLASSES) + "---|")
    for f in rows:
        print(summary_row(f))


def print_breakdown(f: Figures) -> None:
    """Every request of a run by kind (CQL shape or endpoint), and by code line if recorded."""
    print(f"\n{f.label}: {f.total} requests ({f.listing} listing)")
    print("| request | class | calls |\n|---|---|---:|")
    kinds: Counter[tuple[str, str]] = Counter()
    for call in f.calls:
        kinds[(call_kind(call), _class_of(call))] += 1
    for (kind, cls), n in sorted(kinds.items(), key=lambda kv: (CLASSES.index(kv[0][1]), kv[0])):
        print(f"| {kind} | {cls} | {n} |")
    if f.sites:
        print(f"\n{f.label}: requests by the code that made them")
        print("| request ← client ← caller | calls |\n|---|---:|")
        for site, n in sorted(f.sites.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"| {site} | {n} |")


def _class_of(call: Call) -> str:
    """The class of a recorded request: a search of named ids, else from its path (as the
    emulator's labels would give)."""
    if (call.param("cql") or "").startswith("id in ("):
        return BY_ID
    path = call.path.removeprefix("/wiki")
    api = "v2" if path.startswith("/api/v2") else "v1" if path.startswith("/rest/api") else "site"
    path = path.removeprefix("/api/v2").removeprefix("/rest/api")
    template = re.sub(r"/(\d+|att\d+|[0-9a-f-]{36})(?=/|$)", "/{x}", path)
    template = re.sub(r"^(/download/attachments/\{x\})/.+$", r"\1/{file}", template)
    return endpoint_class(f"{call.method} {api}:{template}")


def median_run(rows: list[Figures]) -> Figures:
    """The run of median wall time (the lower middle one of an even count)."""
    return sorted(rows, key=lambda f: f.wall)[(len(rows) - 1) // 2]


def main() -> None:
    """Parse options, run the benchmark, print Markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--changed", type=int, default=10, help="pages edited before each sync")
    ap.add_argument("--rounds", type=int, default=5, help="steady-state syncs to measure")
    ap.add_argument("--reloads", type=int, default=1, help="full reloads to measure")
    ap.add_argument("--no-reimport", action="store_true", help="skip the re-import")
    ap.add_argument("--sites", action="store_true", help="record the code line of each request")
    ap.add_argument("--seed", type=int, default=11, help="which pages are edited")
    args = ap.parse_args()
    if args.rounds < 1 or args.reloads < 0 or not 0 < args.changed <= args.pages:
        ap.error("--rounds must be at least 1, --reloads at least 0, --changed 1..pages")

    rng = random.Random(args.seed)
    started = time.perf_counter()
    calls: list[Call] = []
    emu = make_emulator(args.pages, calls)
    print(f"generated {len(current_pages(emu))} pages in {time.perf_counter() - started:.1f} s")

    def note(f: Figures) -> None:
        print(f"{f.label}: {f.wall:.2f} s, {f.total} calls ({f.listing} listing)", flush=True)

    with running(emu) as url, tempfile.TemporaryDirectory() as tmp:
        svc, source, setup = import_once(Path(tmp) / "synced", emu, calls, url, "import", False)
        setup.label = "initial import (setup)"
        note(setup)

        def sync(label: str) -> Figures:
            with measured(label, emu, calls, args.sites) as figures:
                job = run_job(svc, svc.sync_job(source))
            out = figures()
            out.counts = job_counts(job)
            note(out)
            return out

        try:
            edit_pages(emu, rng, args.changed, 0)
            first = sync("first sync (+ permission refresh)")
            steady: list[Figures] = []
            for r in range(1, args.rounds + 1):
                edit_pages(emu, rng, args.changed, r)
                steady.append(sync(f"steady sync {r}"))
            idle = sync("sync, nothing changed")
            extra = [first, *steady, idle]
            if not args.no_reimport:
                edit_pages(emu, rng, args.changed, args.rounds + 1)
                with measured("re-import into the synced home", emu, calls, args.sites) as got:
                    job = run_job(
                        svc, svc.import_job(source, ImportSpec(ImportTarget.space(SPACE)))
                    )
                reimport = got()
                reimport.counts = job_counts(job)
                note(reimport)
                extra.append(reimport)
        finally:
            svc.close()
        reloads: list[Figures] = []
        for i in range(args.reloads):
            home = Path(tmp) / f"reload{i}"
            fresh, _, f = import_once(home, emu, calls, url, f"full reload {i + 1}", args.sites)
            fresh.close()
            note(f)
            reloads.append(f)

    # With --reloads 0 the initial import (the same thing: a fresh import into an empty home)
    # stands in for the full reload.
    base = reloads or [setup]
    sync_walls, reload_walls = [f.wall for f in steady], [f.wall for f in base]
    sync_s, reload_s = statistics.median(sync_walls), statistics.median(reload_walls)
    mid, ref = median_run(steady), median_run(base)
    print(f"\n{args.pages} pages generated, {args.changed} edited before each sync\n")
    print_summary([setup, *extra, *reloads])
    print(
        f"\nsteady sync, median of {len(steady)}: {sync_s:.2f} s "
        f"({', '.join(f'{w:.2f}' for w in sync_walls)}); {ref.label}, median of {len(base)}: "
        f"{reload_s:.1f} s ({', '.join(f'{w:.1f}' for w in reload_walls)})"
    )
    print(
        f"sync vs full reload: {reload_s / sync_s:.0f}× faster; API calls {mid.total} vs "
        f"{ref.total} ({mid.listing} vs {ref.listing} listing)"
    )
    for f in (first, mid, idle, *extra[len(steady) + 2 :], *reloads[:1]):
        print_breakdown(f)


if __name__ == "__main__":
    main()
