"""The emulator's content: attachment files, fixture errors, generated sites, sample handbook."""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_kit import client_for, make_emulator, page_id, v2
from lxml import etree

from radex.confluence.emulator import build_site, read_fixture
from radex.confluence.emulator.files import render_attachment
from radex.confluence.emulator.generator import generate_fixture, load_sample_fixture
from radex.confluence.emulator.model import Content, Flavor, Site, plain_text
from radex.errors import FixtureError, InputError

WRAP = (
    '<root xmlns:ac="http://atlassian.com/content" '
    'xmlns:ri="http://atlassian.com/resource/identifier">{}</root>'
)
CONSTRUCTS = {
    "heading": "<h2>",
    "table": "<table>",
    "colspan": 'colspan="',
    "rowspan": 'rowspan="',
    "code macro": '<ac:structured-macro ac:name="code"',
    "code language": '<ac:parameter ac:name="language">',
    "cdata body": "<ac:plain-text-body><![CDATA[",
    "info panel": 'ac:name="info"',
    "note panel": 'ac:name="note"',
    "warning panel": 'ac:name="warning"',
    "rich text body": "<ac:rich-text-body>",
    "expand": 'ac:name="expand"',
    "status": '<ac:parameter ac:name="colour">',
    "task list": "<ac:task-list>",
    "task status": "<ac:task-status>",
    "mention": '<ac:link><ri:user ri:username="',
    "page link": "<ac:link><ri:page ri:content-title=",
    "link body": "<ac:plain-text-link-body><![CDATA[",
    "attachment link": "<ac:link><ri:attachment ri:filename=",
    "image": "<ac:image",
    "layout": '<ac:layout-section ac:type="two_equal">',
    "layout cell": "<ac:layout-cell>",
    "jira": '<ac:structured-macro ac:name="jira"',
    "jira key": '<ac:parameter ac:name="key">',
    "unknown macro": '<ac:structured-macro ac:name="acme-metric-tile"',
    "toc": 'ac:name="toc"',
    "children": 'ac:name="children"',
    "time": "<time datetime=",
    "emoticon": "<ac:emoticon ac:name=",
}
ATTACHMENT_KINDS = {"pdf", "docx", "xlsx", "pptx", "png", "txt", "csv", "md"}


# ---- helpers ----------------------------------------------------------------------------------


def walk(pages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for page in pages:
        yield page
        yield from walk(page.get("children") or [])


def space(fixture: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in fixture["spaces"] if s["key"] == key)


def bodies(item: dict[str, Any]) -> Iterator[str]:
    yield item.get("body", "")
    for version in item.get("versions") or []:
        yield version["body"]
    stack = list(item.get("comments") or [])
    while stack:
        comment = stack.pop()
        yield comment["body"]
        stack.extend(comment.get("replies") or [])


def all_bodies(fixture: dict[str, Any]) -> Iterator[str]:
    for sp in fixture["spaces"]:
        for item in [*walk(sp.get("pages") or []), *(sp.get("blogposts") or [])]:
            yield from bodies(item)


def assert_well_formed(body: str) -> None:
    etree.fromstring(WRAP.format(body).encode())


def assert_links_resolve(fixture: dict[str, Any]) -> None:
    """Page links name titles that exist; attachment links and images name this page's files."""
    titles = {
        sp["key"]: {p["title"] for p in walk(sp.get("pages") or [])} for sp in fixture["spaces"]
    }
    users = {u["username"] for u in fixture["users"]}
    for sp in fixture["spaces"]:
        for item in [*walk(sp.get("pages") or []), *(sp.get("blogposts") or [])]:
            files = {a["filename"] for a in item.get("attachments") or []}
            for body in bodies(item):
                root = etree.fromstring(WRAP.format(body).encode())
                for el in root.iter("{*}page"):
                    key = el.get("{http://atlassian.com/resource/identifier}space-key", sp["key"])
                    title = el.get("{http://atlassian.com/resource/identifier}content-title")
                    assert title in titles[key], (item["title"], key, title)
                for el in root.iter("{*}attachment"):
                    name = el.get("{http://atlassian.com/resource/identifier}filename")
                    assert name in files, (item["title"], name)
                for el in root.iter("{*}user"):
                    name = el.get("{http://atlassian.com/resource/identifier}username")
                    assert name in users, (item["title"], name)


def by_title(site: Site, key: str, title: str) -> Content:
    return next(
        c
        for c in site.content.values()
        if c.space_key == key and c.title == title and c.type in ("page", "blogpost")
    )


@pytest.fixture(scope="module")
def site300() -> dict[str, Any]:
    return generate_fixture(300, seed=0)


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return load_sample_fixture()


# ---- attachment files -------------------------------------------------------------------------

TEXT = (
    "Rollout plan for ledger.\n\nStep one: drain the canary pool.\n\nStep two: promote the release."
)


def test_pdf_renders_real_text() -> None:
    from pypdf import PdfReader

    data = render_attachment("pdf", "Ledger rollout — 2026", TEXT)
    assert data.startswith(b"%PDF-")
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    assert "Ledger rollout - 2026" in flat
    assert "Step one: drain the canary pool." in flat


def test_docx_renders_title_and_paragraphs() -> None:
    import docx

    document = docx.Document(io.BytesIO(render_attachment("docx", "Design proposal", TEXT)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Design proposal"
    assert "Step two: promote the release." in paragraphs
    assert document.core_properties.title == "Design proposal"


def test_xlsx_renders_csv_text_as_typed_cells() -> None:
    from openpyxl import load_workbook

    text = "Service,Tier,Availability\nledger,1,99.9\nnotify,2,99.5"
    wb = load_workbook(io.BytesIO(render_attachment("xlsx", "Service catalogue", text)))
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    assert rows == [["Service", "Tier", "Availability"], ["ledger", 1, 99.9], ["notify", 2, 99.5]]
    assert wb.active.title == "Service catalogue"


def test_xlsx_of_prose_has_one_row_per_paragraph() -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render_attachment("xlsx", "Notes", TEXT)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("Paragraph", "Text")
    assert rows[2] == (2, "Step one: drain the canary pool.")


def test_pptx_renders_a_slide_per_paragraph() -> None:
    from pptx import Presentation

    deck = Presentation(io.BytesIO(render_attachment("pptx", "Quarterly review", TEXT)))
    texts = [
        " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        for slide in deck.slides
    ]
    assert len(texts) == 4
    assert "Quarterly review" in texts[0]
    assert "Step two: promote the release." in texts[3]


def test_png_is_a_real_image_with_drawn_text() -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(render_attachment("png", "Request flow", TEXT)))
    assert image.format == "PNG"
    assert image.size[0] == 640
    darkest, _ = image.convert("L").getextrema()
    assert isinstance(darkest, int)
    assert darkest < 128  # something dark was drawn on white


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("txt", "Notes\n\nRollout plan for ledger."),
        ("md", "# Notes\n\nRollout plan for ledger."),
        ("csv", "Paragraph,Text\r\n1,Rollout plan for ledger.\r\n"),
        ("json", '"title": "Notes"'),
        ("bin", "Notes\n\nRollout plan"),
    ],
)
def test_text_kinds_render_their_text(kind: str, expected: str) -> None:
    assert expected in render_attachment(kind, "Notes", TEXT).decode()


def test_rendering_is_deterministic() -> None:
    for kind in ("pdf", "docx", "xlsx", "pptx", "png"):
        assert render_attachment(kind, "Same", TEXT) == render_attachment(kind, "Same", TEXT)


# ---- fixture errors ---------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "users": [{"username": "alice", "display_name": "Alice"}],
    "spaces": [
        {
            "key": "ENG",
            "name": "Engineering",
            "permissions": {"view": {"users": ["alice"]}},
            "pages": [{"title": "Home", "body": "<p>hi</p>", "children": [{"title": "Child"}]}],
        }
    ],
}


def broken(path: str, value: Any) -> dict[str, Any]:
    """BASE with one value replaced: path like 'spaces.0.pages.0.created'."""
    fx = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = fx
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return fx


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("users.0", {"display_name": "X"}, "users[0]: missing required key 'username'"),
        (
            "users",
            [{"username": "a", "display_name": "A"}, {"username": "a", "display_name": "B"}],
            "users[1]: duplicate username 'a'",
        ),
        ("spaces.0.key", "EN G", "spaces[0]: space key 'EN G' must be letters and digits"),
        ("spaces.0.name", "", "spaces[0]: missing required key 'name'"),
        (
            "spaces.0.permissions.view",
            {"users": ["zed"]},
            "spaces[0].permissions.view: unknown user 'zed' (declare it under users)",
        ),
        ("spaces.0.pages.0.children.0.title", "Home", "duplicate page title 'Home' in space ENG"),
        (
            "spaces.0.pages.0.created",
            "yesterday",
            "spaces[0].pages[0].created: 'yesterday' is not an ISO-8601 date-time",
        ),
        ("spaces.0.homepage", "Child", "homepage 'Child' is not a root page of the space"),
        (
            "spaces.0.pages.0.attachments",
            [{"filename": "a/b.txt"}],
            "spaces[0].pages[0].attachments[0]: attachment filename 'a/b.txt' may not contain '/'",
        ),
        (
            "spaces.0.pages.0.children.0.author",
            "nobody",
            "spaces[0].pages[0].children[0].author: unknown user 'nobody'",
        ),
        (
            "spaces.0.pages.0.versions",
            [{"body": "<p>v1</p>", "author": "ghost"}],
            "spaces[0].pages[0].versions[0]: unknown user 'ghost'",
        ),
    ],
)
def test_bad_fixtures_name_where_and_what(path: str, value: Any, message: str) -> None:
    with pytest.raises(FixtureError) as err:
        build_site(broken(path, value), flavor="cloud")
    assert message in str(err.value)


def test_read_fixture_errors(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read fixture"):
        read_fixture(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [unclosed\n")
    with pytest.raises(FixtureError, match=r"bad\.yaml is not valid yaml"):
        read_fixture(bad)
    listy = tmp_path / "list.json"
    listy.write_text("[1, 2]")
    with pytest.raises(FixtureError, match="must hold a mapping"):
        read_fixture(listy)


# ---- generated sites --------------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 7, 200])
def test_generated_site_has_exactly_n_pages_in_eng(pages: int) -> None:
    fx = generate_fixture(pages, seed=pages)
    eng = space(fx, "ENG")
    assert len(list(walk(eng["pages"]))) == pages
    site = build_site(fx, flavor="cloud")
    assert len(list(site.in_space("ENG", "page"))) == pages
    assert len(list(site.in_space("ENG", "blogpost"))) >= 3
    others = [s for s in fx["spaces"] if s["key"] != "ENG"]
    assert len(others) >= 2
    assert all(list(site.in_space(s["key"], "page")) for s in others)


def test_generation_is_deterministic_per_seed() -> None:
    assert generate_fixture(60, seed=5) == generate_fixture(60, seed=5)
    assert generate_fixture(60, seed=5) != generate_fixture(60, seed=6)


def test_generator_options_and_bad_input() -> None:
    fx = generate_fixture(12, seed=1, space_key="DOCS", blogposts=0)
    docs = space(fx, "DOCS")
    assert len(list(walk(docs["pages"]))) == 12
    assert docs["blogposts"] == []
    assert len(fx["spaces"]) >= 3
    build_site(fx, flavor="dc")
    with pytest.raises(InputError, match="at least 1 page"):
        generate_fixture(0)


def test_every_construct_appears_in_a_300_page_site(site300: dict[str, Any]) -> None:
    eng_bodies = [b for p in walk(space(site300, "ENG")["pages"]) for b in bodies(p)]
    missing = [
        name for name, marker in CONSTRUCTS.items() if not any(marker in b for b in eng_bodies)
    ]
    assert missing == []


def test_bodies_are_well_formed_xml(site300: dict[str, Any]) -> None:
    count = 0
    for body in all_bodies(site300):
        assert_well_formed(body)
        count += 1
    assert count > 300


def test_links_point_to_existing_pages_attachments_and_users(site300: dict[str, Any]) -> None:
    assert_links_resolve(site300)
    cross = [b for b in all_bodies(site300) if "ri:space-key=" in b]
    assert cross, "some pages link to pages of another space"


def test_attachments_of_every_kind_with_text(site300: dict[str, Any]) -> None:
    attachments = [
        a for p in walk(space(site300, "ENG")["pages"]) for a in p.get("attachments", [])
    ]
    assert {a["kind"] for a in attachments} >= ATTACHMENT_KINDS
    assert all(len(a["text"].split()) >= 8 and a["title"] for a in attachments)
    assert all("data" not in a and "content_b64" not in a for a in attachments)
    assert any(a.get("versions", 1) > 1 for a in attachments)


def test_tree_shape_titles_and_people(site300: dict[str, Any]) -> None:
    eng = space(site300, "ENG")
    titles = [p["title"] for p in walk(eng["pages"])]
    assert len(titles) == len(set(titles))
    assert len(eng["pages"]) >= 3  # several roots

    def depth(pages: list[dict[str, Any]]) -> int:
        return max((1 + depth(p.get("children") or []) for p in pages), default=0)

    assert 4 <= depth(eng["pages"]) <= 6
    fan_out = sorted(len(p.get("children") or []) for p in walk(eng["pages"]))
    assert fan_out[0] == 0
    assert fan_out[-1] >= 8
    assert 10 <= len(site300["users"]) <= 30
    groups = {g for u in site300["users"] for g in u["groups"]}
    assert {"engineering", "sre", "security", "hr"} <= groups
    labels = {label for p in walk(eng["pages"]) for label in p.get("labels", [])}
    assert len(labels) >= 20


def test_versions_comments_and_dates(site300: dict[str, Any]) -> None:
    pages = list(walk(space(site300, "ENG")["pages"]))
    versioned = [p for p in pages if p.get("versions")]
    assert len(versioned) >= len(pages) // 4
    assert any(len(p["versions"]) >= 2 for p in versioned)
    assert all(p["versions"][0]["body"] != p["body"] for p in versioned)
    assert all(p["versions"][0]["when"] <= p["updated"] for p in versioned)
    commented = [p for p in pages if p.get("comments")]
    assert commented
    assert any(c.get("replies") for p in commented for c in p["comments"])
    dates = [p["created"] for p in pages]
    assert min(dates) >= "2025-01-01"
    assert max(dates) < "2027-01-01"


def test_generated_site_loads_in_both_flavours_with_nested_restrictions(
    site300: dict[str, Any],
) -> None:
    flavor: Flavor
    for flavor in ("cloud", "dc"):
        site = build_site(site300, flavor=flavor)
        pages = list(site.in_space("ENG", "page"))
        assert len(pages) == 300
        assert max(p.version for p in pages) > 1
        assert not any('ri:username="' in p.body for p in pages)
        nested = [
            p
            for p in pages
            if not p.restrictions["read"].is_empty()
            and any(not a.restrictions["read"].is_empty() for a in site.ancestors(p))
        ]
        assert nested
        inner = nested[0]
        outer = next(a for a in site.ancestors(inner) if not a.restrictions["read"].is_empty())
        assert inner.restrictions["read"].groups != outer.restrictions["read"].groups
        engineer = next(u for u in site.users.values() if u.groups == {"engineering"})
        sre_only = next(
            u for u in site.users.values() if "sre" in u.groups and "security" not in u.groups
        )
        both = next(u for u in site.users.values() if {"sre", "security"} <= u.groups)
        assert not site.can_read(engineer, outer)
        assert site.can_read(sre_only, outer)
        assert not site.can_read(sre_only, inner)
        assert site.can_read(both, inner)
        assert any(not p.restrictions["update"].is_empty() for p in pages)
        hr = next(s for s in site.spaces.values() if "hr" in s.permissions["view"].groups)
        assert not site.can_view_space(engineer, hr)


# ---- the sample handbook ----------------------------------------------------------------------


def test_sample_loads_in_both_flavours(sample: dict[str, Any]) -> None:
    flavor: Flavor
    for flavor in ("cloud", "dc"):
        site = build_site(sample, flavor=flavor)
        eng = list(site.in_space("ENG", "page"))
        assert 30 <= len(eng) <= 60
        assert len(site.spaces) == 3
        assert 3 <= len(list(site.in_space("PEOPLE", "page"))) <= 6
        assert len(list(site.in_space("ENG", "blogpost"))) >= 2
        assert site.spaces["ENG"].name == "Engineering Handbook"


def test_sample_pages_have_real_prose_and_valid_markup(sample: dict[str, Any]) -> None:
    for sp in sample["spaces"]:
        for item in [*walk(sp["pages"]), *(sp.get("blogposts") or [])]:
            words = len(plain_text(item["body"]).split())
            assert words >= 40, (item["title"], words)
            for body in bodies(item):
                assert_well_formed(body)
    assert_links_resolve(sample)


def test_sample_uses_storage_constructs_naturally(sample: dict[str, Any]) -> None:
    text = "".join(all_bodies(sample))
    for marker in (
        "<table>",
        'rowspan="',
        'colspan="',
        'ac:name="code"',
        'ac:name="warning"',
        'ac:name="info"',
        "<ac:task-list>",
        'ac:name="status"',
        "<ri:user ",
        "<ri:page ",
        "<ac:image",
        'ac:name="expand"',
        'ac:type="two_equal"',
        'ac:name="jira"',
        "<time datetime=",
    ):
        assert marker in text, marker


def test_sample_answers_live_on_specific_pages(sample: dict[str, Any]) -> None:
    site = build_site(sample, flavor="cloud")
    review = by_title(site, "ENG", "Code review")
    assert "two approvals" in plain_text(review.body)
    assert "one approval" in plain_text(review.versions[0].body)
    assert review.version == 3
    severity = plain_text(by_title(site, "ENG", "Incident severity levels").body)
    assert re.search(r"SEV1 .* 5 minutes", severity)
    windows = plain_text(by_title(site, "ENG", "Deployment windows and change freezes").body)
    assert "09:00 to 16:00" in windows
    assert site.content[site.spaces["ENG"].homepage_id or ""].title == "Engineering Handbook"


def test_pdf_only_fact_lives_only_in_the_pdf(sample: dict[str, Any]) -> None:
    from pypdf import PdfReader

    site = build_site(sample, flavor="dc")
    for content in site.content.values():
        if content.type in ("page", "blogpost", "comment"):
            for version in content.versions:
                assert "420" not in plain_text(version.body), content.title
    pdf = next(
        c for c in site.content.values() if c.type == "attachment" and c.title.endswith(".pdf")
    )
    blob = pdf.current.blob
    assert blob is not None
    data = render_attachment(blob.kind, blob.title, blob.text)
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split()
    )
    assert "EUR 420 per week" in text
    kinds = {c.current.blob.kind for c in site.content.values() if c.current.blob is not None}
    assert {"pdf", "docx", "xlsx", "pptx", "png"} <= kinds


def test_sample_restrictions_are_nested(sample: dict[str, Any]) -> None:
    site = build_site(sample, flavor="cloud")
    ops = by_title(site, "ENG", "Security operations")
    review = by_title(site, "ENG", "Quarterly access reviews")
    glass = by_title(site, "ENG", "Break-glass access")
    public = by_title(site, "ENG", "Secrets handling")
    yuki, priya, rafael = (site.users[u] for u in ("yuki", "priya", "rafael"))
    assert site.can_read(yuki, public)
    assert not any(site.can_read(yuki, c) for c in (ops, review, glass))
    assert site.can_read(priya, ops)
    assert site.can_read(priya, review)
    assert not site.can_read(priya, glass)
    assert all(site.can_read(rafael, c) for c in (ops, review, glass))
    sam = site.users["sam"]
    assert not site.can_read(sam, public)
    assert site.can_read(sam, by_title(site, "PEOPLE", "Annual leave"))
    assert not site.can_read(yuki, by_title(site, "PEOPLE", "Annual leave"))
    assert site.can_read(yuki, by_title(site, "HUB", "Company Hub"))


async def test_sample_served_over_the_api(sample: dict[str, Any]) -> None:
    from pypdf import PdfReader

    emu = make_emulator("cloud", fixture=sample)
    async with client_for(emu, "tomas") as client:
        rotation = page_id(emu, "On-call rotation")
        listed = await client.get(v2(f"/pages/{rotation}/attachments"))
        assert listed.status_code == 200
        pdf = next(a for a in listed.json()["results"] if a["mediaType"] == "application/pdf")
        download = await client.get("/wiki" + pdf["downloadLink"], follow_redirects=True)
        assert download.status_code == 200
        reader = PdfReader(io.BytesIO(download.content))
        assert "EUR 420 per week" in " ".join(reader.pages[0].extract_text().split())
        hidden = await client.get(v2(f"/pages/{page_id(emu, 'Break-glass access')}"))
        assert hidden.status_code == 404
    async with client_for(emu, "rafael") as client:
        shown = await client.get(v2(f"/pages/{page_id(emu, 'Break-glass access')}"))
        assert shown.status_code == 200
        assert shown.json()["title"] == "Break-glass access"
