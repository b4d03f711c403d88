"""Sync end to end against the emulator over loopback HTTP: changes, moves, trash, purges,
restrictions and labels are followed, at a cost that grows with what changed."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_kit import make_emulator, served, services
from sync_kit import (
    connect,
    differences,
    edit,
    fresh_import,
    import_space,
    indexed,
    move,
    pages,
    random_change,
    run_job,
    snapshot,
    sync,
)

from radex.app import Services, build
from radex.config import Settings
from radex.confluence.emulator import ops
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture
from radex.confluence.emulator.serve import admin_of

SPACE = "ENG"


def chunks_of(svc: Services, source_id: str, page_id: str) -> list[Any]:
    doc = svc.store.document(source_id, page_id)
    assert doc is not None
    return svc.store.chunks(doc.id)


def spaces_of(emu: Emulator) -> list[str]:
    return sorted(emu.site.spaces)


def test_incremental_sync_follows_edits_moves_and_trash_and_counts_little(
    site: tuple[Emulator, str], svc: Services, tmp_path: Path
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    for key in spaces_of(emu):
        import_space(svc, source, key)
    nothing = sync(svc, source)  # the first sync also refreshes permissions
    assert nothing.result["counts"].get("imported", 0) == 0
    assert nothing.result["counts"].get("updated", 0) == 0

    eng = pages(emu, SPACE)
    parent = next(p for p in eng if emu.site.children(p.id, "page"))
    kids = emu.site.children(parent.id, "page")
    target = next(p for p in eng if p.id != parent.id and p not in kids and not p.parent_id)
    edited = next(p for p in eng if p not in (parent, target, *kids))
    edit(emu, edited, "a brand new sentence about zebra migrations")
    move(emu, parent, target)  # its children's breadcrumbs change without a new version
    trashed = next(p for p in eng if p not in (parent, target, edited, *kids))
    ops.trash(emu.site, admin_of(emu), trashed)

    job = sync(svc, source)
    counts = job.result["counts"]
    assert counts["updated"] >= 2 + len(kids)  # the edit, the move, the pages below it
    assert job.result["removed"] == 1
    assert svc.store.document(source.id, trashed.id) is None
    assert "zebra migrations" in "".join(c.text for c in chunks_of(svc, source.id, edited.id))
    for kid in kids:
        doc = svc.store.document(source.id, kid.id)
        assert doc is not None
        assert target.id in [a.id for a in doc.ancestors]
    assert not differences(
        snapshot(svc), fresh_import(tmp_path / "fresh", emu, url, spaces_of(emu))
    )
    assert set(indexed(svc)) == {d.id for d in svc.store.documents()}


def test_full_sync_removes_purged_pages_and_follows_labels_and_restrictions(
    site: tuple[Emulator, str], svc: Services, tmp_path: Path
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    for key in spaces_of(emu):
        import_space(svc, source, key)
    admin = admin_of(emu)
    eng = pages(emu, SPACE)
    purged, labelled, restricted = eng[0], eng[1], eng[2]
    ops.trash(emu.site, admin, purged)
    ops.purge(emu.site, admin, purged)
    ops.add_labels(emu.site, admin, labelled, [("global", "freshly-tagged")])
    ops.set_restrictions(emu.site, admin, restricted, "read", set(), {"engineering"})

    job = sync(svc, source, mode="full")
    assert job.result["removed"] >= 1
    assert svc.store.document(source.id, purged.id) is None
    doc = svc.store.document(source.id, labelled.id)
    assert doc is not None
    assert "freshly-tagged" in doc.labels
    assert not differences(
        snapshot(svc), fresh_import(tmp_path / "fresh", emu, url, spaces_of(emu))
    )


def test_reconciliation_refuses_to_remove_too_much(
    site: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, url = site
    svc = services(tmp_path / "home")
    try:
        source = connect(svc, emu, url)
        import_space(svc, source, SPACE)
        before = {d.external_id for d in svc.store.documents()}
        admin = admin_of(emu)
        for page in pages(emu, SPACE)[: len(pages(emu, SPACE)) // 2 + 1]:
            ops.trash(emu.site, admin, page)
            ops.purge(emu.site, admin, page)
        job = run_job(svc, svc.sync_job(source, mode="full"))
        assert job.state == "succeeded"
        assert any("nothing removed" in r for r in job.result["refused"])
        assert {d.external_id for d in svc.store.documents()} == before
    finally:
        svc.close()


def test_deleted_attachments_and_comments_go_too(
    site: tuple[Emulator, str], svc: Services, tmp_path: Path
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    import_space(svc, source, SPACE)
    admin = admin_of(emu)
    extras = [c for c in emu.site.content.values() if c.type in ("attachment", "comment")]
    extras = [c for c in extras if c.space_key == SPACE]
    by_page = next(c for c in extras if c.type == "comment")
    in_full = next(c for c in extras if c.type == "attachment" and c.parent_id != by_page.parent_id)
    assert svc.store.document(source.id, by_page.id) is not None
    ops.trash(emu.site, admin, by_page)
    ops.trash(emu.site, admin, in_full)
    assert by_page.parent_id
    sync(svc, source, ids=[by_page.parent_id])  # a webhook named the page
    assert svc.store.document(source.id, by_page.id) is None
    assert svc.store.document(source.id, in_full.id) is not None
    sync(svc, source, mode="full")
    assert svc.store.document(source.id, in_full.id) is None
    assert not differences(snapshot(svc), fresh_import(tmp_path / "fresh", emu, url, [SPACE]))


def test_targeted_sync_of_named_pages(site: tuple[Emulator, str], svc: Services) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    import_space(svc, source, SPACE)
    eng = pages(emu, SPACE)
    edit(emu, eng[3], "quokka paperwork")
    ops.trash(emu.site, admin_of(emu), eng[4])
    archived = eng[5]  # an archived page is not current: RADEX lets it go
    ops.update_content(
        emu.site, admin_of(emu), archived, version_number=archived.version + 1, status="archived"
    )
    job = sync(svc, source, ids=[eng[3].id, eng[4].id, archived.id])
    assert job.result["counts"]["updated"] == 1
    assert job.result["removed"] == 2
    assert svc.store.document(source.id, archived.id) is None
    assert "quokka paperwork" in "".join(c.text for c in chunks_of(svc, source.id, eng[3].id))
    assert svc.store.document(source.id, eng[4].id) is None


@settings(
    max_examples=int(os.environ.get("RADEX_SYNC_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False), flavor=st.sampled_from(["cloud", "dc"]))
def test_one_full_sync_after_random_changes_matches_a_clean_import(
    rng: random.Random, flavor: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("random-sync")
    emu = make_emulator(load_sample_fixture(), flavor)  # type: ignore[arg-type]
    with served(emu) as url:
        svc = services(tmp / "home")
        try:
            source = connect(svc, emu, url)
            keys = spaces_of(emu)
            for key in keys:
                import_space(svc, source, key)
            done: list[Any] = [random_change(emu, rng.choice(keys), rng) for _ in range(12)]
            job = sync(svc, source, mode="full")
            diff = differences(snapshot(svc), fresh_import(tmp / "fresh", emu, url, keys))
            assert not diff, (done, diff, job.result)
            assert set(indexed(svc)) == {d.id for d in svc.store.documents()}
        finally:
            svc.close()


@pytest.mark.parametrize(("overlap_h", "caught"), [(0, False), (26, True)])
def test_the_overlap_absorbs_the_time_zone_cql_reads_dates_in(
    tmp_path: Path, overlap_h: int, caught: bool
) -> None:
    emu = make_emulator(load_sample_fixture(), "cloud")
    admin_of(emu).time_zone = "America/Los_Angeles"  # CQL dates are read 8 hours behind UTC
    with served(emu) as url:
        svc = build(
            Settings(home=tmp_path / "home", embedder="hashing", sync_overlap_s=overlap_h * 3600)  # type: ignore[arg-type]
        )
        try:
            source = connect(svc, emu, url)
            import_space(svc, source, SPACE)
            sync(svc, source)
            page = pages(emu, SPACE)[1]
            edit(emu, page, "okapi timetables")
            sync(svc, source)
            doc = svc.store.document(source.id, page.id)
            assert doc is not None
            assert (doc.version == page.version) is caught
        finally:
            svc.close()


LISTS = frozenset(
    {"GET v2:/spaces/{id}/pages", "GET v2:/spaces/{id}/blogposts", "GET v1:/content"}
)  # the content lists a sync walks (the trash, Cloud and Data Center)


def test_a_steady_sync_lists_in_a_few_calls_whatever_the_space_size(
    site: tuple[Emulator, str], svc: Services
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    import_space(svc, source, SPACE)
    sync(svc, source)  # the first sync also refreshes permissions
    people = sorted(emu.site.users.values(), key=lambda u: u.username)[:3]
    for page, person in zip(pages(emu, SPACE), people, strict=False):
        ident = (
            f'ri:account-id="{person.account_id}"'
            if emu.site.flavor == "cloud"
            else f'ri:userkey="{person.user_key}"'
        )
        edit(emu, page, f"a steady edit for <ac:link><ri:user {ident} /></ac:link>")
    emu.requests.clear()
    emu.searches.clear()
    job = sync(svc, source)
    assert job.result["counts"]["updated"] == 3
    listings = [q for q in emu.searches if not q.startswith("id in (")]
    lists = sum(n for label, n in emu.requests.items() if label in LISTS)
    # what changed (pages; attachments and comments), then the trash of pages and of blog posts
    assert len(listings) == 2, listings
    assert lists == 2, dict(emu.requests)
    # the people the changed pages mention: one bulk lookup (Data Center has none: one each)
    edited = pages(emu, SPACE)[: len(people)]
    mentioned = {
        m for p in edited for m in re.findall(r'ri:(?:account-id|userkey)="([^"]+)"', p.body)
    }
    lookups = emu.requests.get("POST v2:/users-bulk", 0) + emu.requests.get("GET v1:/user", 0)
    assert lookups == (1 if emu.site.flavor == "cloud" else len(mentioned)), dict(emu.requests)
    # the space is read once per job, not once per step (Data Center: the space, its permissions)
    space_reads = emu.requests.get("GET v2:/spaces", 0) + emu.requests.get(
        "GET v1:/space/{spaceKey}", 0
    )
    assert space_reads == (1 if emu.site.flavor == "cloud" else 2), dict(emu.requests)
    assert sum(emu.requests.values()) <= 20, dict(emu.requests)  # the rest is O(changed)
    for page, person in zip(pages(emu, SPACE), people, strict=False):
        doc = svc.store.document(source.id, page.id)
        assert doc is not None
        assert doc.markdown_key is not None
        assert person.display_name in svc.blobs.get(doc.markdown_key).decode()
