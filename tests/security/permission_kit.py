"""The permission property: for random sites, every query surface shows each user exactly what
Confluence would (run for Cloud and Data Center by test_permission_property_*.py).

Each example generates a site (users, groups, spaces with VIEW grants to users, groups and
anonymous, page trees with read restrictions at random depths, attachments and comments), loads
it into the emulator, imports it as the site admin, syncs group membership, and links a RADEX
user to every Confluence user (plus one linked to nobody). Then, for every one of them, the
documents listing, search (hits, titles, snippets, text), ask (answer text and citations, with
the live re-check against the emulator) and the folder listing must show exactly the content
the emulator's own permission rules let that person read: no leak, and nothing readable
withheld. Each content's body and title carry a unique word, so a leak of any text is seen.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ingest_kit import TOKEN, admin_credential

from radex.app import Services, build
from radex.config import Settings
from radex.confluence.emulator import EmulatorConfig, build_site, create_emulator
from radex.confluence.emulator.model import Content, Site, User
from radex.confluence.emulator.serve import base_url
from radex.ingest.plan import ImportTarget
from radex.security.directory import Directory
from radex.security.memberships import sync_groups
from radex.types import Reader

EXAMPLES = int(os.environ.get("RADEX_PERMISSION_EXAMPLES", "500"))  # per flavour: 1,000 in CI
READABLE_KINDS = ("page", "blogpost", "attachment", "comment")
_counter = itertools.count()


def word(n: int) -> str:
    """A unique, stem-stable word for content number ``n`` (letters only: ``zqab``...)."""
    letters = string.ascii_lowercase
    out = ""
    n += 26 * 26
    while n:
        n, r = divmod(n, 26)
        out = letters[r] + out
    return f"zq{out}"


@dataclass(frozen=True)
class Generated:
    """A fixture and the words each piece of content carries (title -> word)."""

    fixture: dict[str, Any]
    flavor: str


@st.composite
def sites(draw: st.DrawFn, flavor: str) -> Generated:
    """A random site: people, groups, spaces, restricted page trees, attachments, comments."""
    n_users = draw(st.integers(1, 4))
    groups = [f"team{i}" for i in range(draw(st.integers(1, 3)))]
    usernames = [f"user{i}" for i in range(n_users)]
    users = [
        {
            "username": u,
            "display_name": u.title(),
            "email": f"{u}@example.com",
            "groups": sorted(draw(st.sets(st.sampled_from(groups)))),
        }
        for u in usernames
    ]
    grants = st.fixed_dictionaries(
        {"users": st.sets(st.sampled_from(usernames)), "groups": st.sets(st.sampled_from(groups))}
    )
    counter = itertools.count()
    spaces = []
    for s in range(draw(st.integers(1, 2))):
        view = draw(grants)
        anonymous = draw(st.booleans()) and draw(st.booleans())  # rarer
        nodes: list[dict[str, Any]] = []
        parents: list[int | None] = []
        for i in range(draw(st.integers(1, 6))):
            parent = draw(st.sampled_from([None, *range(i)])) if i else None
            w = word(next(counter) + 100 * s)
            page: dict[str, Any] = {
                "title": f"Page {w}",
                "body": f"<p>The {w} page explains {w} in detail.</p>",
                "children": [],
            }
            restriction = draw(st.one_of(st.none(), grants))
            if restriction and (restriction["users"] or restriction["groups"]):
                page["restrictions"] = {
                    "read": {k: sorted(v) for k, v in restriction.items()},
                }
            if draw(st.integers(0, 3)) == 0:
                a = word(next(counter) + 100 * s)
                page["attachments"] = [
                    {"filename": f"{a}.txt", "kind": "txt", "text": f"The {a} file lists {a}."}
                ]
            if draw(st.integers(0, 3)) == 0:
                c = word(next(counter) + 100 * s)
                page["comments"] = [{"body": f"<p>A {c} comment about {c}.</p>"}]
            nodes.append(page)
            parents.append(parent)
        roots = []
        for page, parent in zip(nodes, parents, strict=True):
            (roots if parent is None else nodes[parent]["children"]).append(page)
        spaces.append(
            {
                "key": f"S{s}",
                "name": f"Space {s}",
                "permissions": {
                    "view": {
                        "users": sorted(view["users"]),
                        "groups": sorted(view["groups"]),
                        "anonymous": anonymous,
                    }
                },
                "pages": roots,
            }
        )
    fixture = {"users": users, "groups": [{"name": g} for g in groups], "spaces": spaces}
    return Generated(fixture, flavor)


def radex(home: Path) -> Services:
    """One RADEX for every example (each example cleans up after itself); the emulator is
    in-process, so the politeness limit is lifted."""
    return build(Settings(home=home, embedder="hashing", confluence_rate=5000))


def words_of(site: Site, content: Content) -> set[str]:
    """The unique words a piece of content carries (title and body)."""
    text = f"{content.title} {content.body}"
    return {
        w
        for w in text.replace("<", " ").replace(">", " ").replace(".", " ").split()
        if w.startswith("zq")
    }


def readable_by(site: Site, user: User | None) -> set[str]:
    """Ids of the content the emulator lets ``user`` read."""
    return {
        c.id
        for c in site.content.values()
        if c.type in READABLE_KINDS and c.status == "current" and site.can_read(user, c)
    }


def check_reader(svc: Services, site: Site, reader: Reader, user: User | None) -> None:
    """Every surface shows ``reader`` exactly what Confluence shows ``user``."""
    allowed = readable_by(site, user)
    contents = [c for c in site.content.values() if c.type in READABLE_KINDS]
    hidden_words = set().union(*(words_of(site, c) for c in contents if c.id not in allowed))
    all_words = sorted(set().union(*(words_of(site, c) for c in contents)))

    def clean(text: str, where: str) -> None:
        leaked = {w for w in hidden_words if w in text}
        assert not leaked, f"{where} leaks {leaked} to {reader.name}"

    listed = {d.external_id for d in svc.documents(reader=reader)}
    assert listed == allowed, f"documents for {reader.name}"

    hits = svc.search(" ".join(all_words), k=100, reader=reader)
    for hit in hits:
        assert hit.external_id in allowed
        clean(f"{hit.title} {hit.snippet} {hit.text} {hit.url}", "a search hit")
    assert {h.external_id for h in hits} == allowed, f"search for {reader.name} withholds"

    for folder in svc.folders(reader):
        clean(folder.path, "the folder listing")

    # ask: one question naming everything, then one per readable and one per hidden content
    readable = [c for c in contents if c.id in allowed]
    hidden = [c for c in contents if c.id not in allowed]
    questions = [(" ".join(all_words), None)]
    questions += [(" ".join(sorted(words_of(site, c))), c.id) for c in (readable[:1] + hidden[:1])]
    for question, about in questions:
        answer = asyncio.run(svc.ask_async(question, reader=reader))
        clean(answer.text, "an answer")
        for c in answer.citations:
            assert c.external_id in allowed
            clean(f"{c.title} {c.url} {c.heading}", "a citation")
        if about in allowed:
            assert about in {c.external_id for c in answer.citations}, question


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_site(svc: Services, generated: Generated) -> None:
    """Load one generated site, import it, and check every reader on every surface."""
    n = next(_counter)
    login = "admin@example.com" if generated.flavor == "cloud" else "admin"
    site = build_site(generated.fixture, flavor=generated.flavor, seed=n, admin=(login, TOKEN))  # type: ignore[arg-type]
    emu = create_emulator(site, EmulatorConfig(flavor=generated.flavor))  # type: ignore[arg-type]
    svc.sources.transport = httpx.ASGITransport(app=emu.app)
    directory = Directory(svc.store)

    async def load() -> Any:
        site_url = base_url(emu, "127.0.0.1", 7)
        source = await svc.sources.connect(f"site{n}", site_url, admin_credential(emu))
        async with svc.sources.open(source) as client:
            for space in generated.fixture["spaces"]:
                report = await svc.importer(source, client).run(
                    ImportTarget.space(space["key"]), folder=f"site{n}/{space['key']}"
                )
                assert report.ok, report.failures
            await sync_groups(svc.store, source, client)
        return source

    source = asyncio.run(load())
    try:
        directory.grant(f"/site{n}", "anyone", "viewer")
        people: list[tuple[Reader, User | None]] = []
        for user in site.users.values():
            if user.admin:
                continue
            name = f"s{n}-{user.username}"
            directory.add_user(name)
            ident = user.account_id if site.flavor == "cloud" else user.user_key
            directory.link(name, source.id, ident)
            people.append((svc.reader(name), user))
        directory.add_user(f"s{n}-nobody")
        people.append((svc.reader(f"s{n}-nobody"), None))
        for reader, user in people:
            check_reader(svc, site, reader, user)
    finally:
        svc.disconnect(source.name)
