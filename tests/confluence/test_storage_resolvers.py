"""Resolvers (include, listing) and the structure summary handed to the chunker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from radex.confluence.storage import (
    ConvertContext,
    IncludedPage,
    ListingEntry,
    PageRef,
    storage_to_markdown,
)


def include_macro(title: str, name: str = "include", space: str = "") -> str:
    space_attr = f' ri:space-key="{space}"' if space else ""
    return (
        f'<ac:structured-macro ac:name="{name}"><ac:parameter ac:name="">'
        f'<ac:link><ri:page{space_attr} ri:content-title="{title}"/></ac:link>'
        "</ac:parameter></ac:structured-macro>"
    )


class Pages:
    """A tiny include resolver over a dict of title -> (body, visible to all host readers)."""

    def __init__(self, pages: Mapping[str, tuple[str, bool]]) -> None:
        self.pages = pages
        self.calls: list[PageRef] = []

    def __call__(self, ref: PageRef) -> IncludedPage | None:
        self.calls.append(ref)
        found = self.pages.get(ref.title or "")
        if found is None:
            return None
        return IncludedPage(found[0], found[1], title=ref.title, url=f"/p/{ref.title}")


def test_include_is_inlined_with_provenance_when_readable_by_all_host_readers() -> None:
    pages = Pages({"Shared": ("<p>Shared words.</p>", True)})
    result = storage_to_markdown(
        include_macro("Shared", space="OPS"), context=ConvertContext(include=pages)
    )
    assert result.markdown == (
        '<!-- dynamic: include space="OPS" title="Shared" -->\n\n'
        "Shared words.\n\n<!-- /dynamic -->\n"
    )
    assert result.structure.includes[0].inlined
    assert pages.calls == [PageRef("page", "Shared", "OPS")]
    assert result.report.fallbacks == {}


def test_restricted_include_is_only_a_link() -> None:
    pages = Pages({"Secret": ("<p>Top secret words.</p>", False)})
    result = storage_to_markdown(include_macro("Secret"), context=ConvertContext(include=pages))
    assert "Top secret" not in result.markdown
    assert "[Secret](/p/Secret)" in result.markdown
    ref = result.structure.includes[0]
    assert not ref.inlined
    assert ref.reason.startswith("restricted")
    assert result.report.fallbacks == {"include": 1}


def test_include_cycle_is_cut() -> None:
    pages = Pages(
        {
            "A": ("<p>in A</p>" + include_macro("B"), True),
            "B": ("<p>in B</p>" + include_macro("A"), True),
        }
    )
    ctx = ConvertContext(include=pages, page_title="Host")
    result = storage_to_markdown(include_macro("A"), context=ctx)
    assert result.markdown.count("in A") == 1
    assert result.markdown.count("in B") == 1
    reasons = [(i.target.title, i.inlined, i.reason) for i in result.structure.includes]
    assert ("A", False, "include cycle") in reasons


def test_self_include_is_a_cycle() -> None:
    pages = Pages({"Host": ("<p>host again</p>", True)})
    ctx = ConvertContext(include=pages, page_title="Host")
    result = storage_to_markdown(include_macro("Host"), context=ctx)
    assert "host again" not in result.markdown
    assert pages.calls == []


def test_include_depth_is_bounded() -> None:
    pages = Pages(
        {f"P{i}": (f"<p>level {i}</p>" + include_macro(f"P{i + 1}"), True) for i in range(10)}
    )
    ctx = ConvertContext(include=pages, max_include_depth=2)
    result = storage_to_markdown(include_macro("P0"), context=ctx)
    assert "level 1" in result.markdown
    assert "level 2" not in result.markdown


def test_excerpt_include_takes_only_the_excerpt() -> None:
    other = (
        '<p>Intro not shown.</p><ac:structured-macro ac:name="excerpt"><ac:rich-text-body>'
        "<p>The excerpt.</p></ac:rich-text-body></ac:structured-macro>"
    )
    pages = Pages({"Other": (other, True)})
    result = storage_to_markdown(
        include_macro("Other", "excerpt-include"), context=ConvertContext(include=pages)
    )
    assert "The excerpt." in result.markdown
    assert "Intro not shown" not in result.markdown
    assert result.structure.excerpt is None


def test_included_page_with_bad_body_is_a_warning_not_a_crash() -> None:
    pages = Pages({"Bad": ("<!DOCTYPE x><p>x</p>", True)})
    result = storage_to_markdown(include_macro("Bad"), context=ConvertContext(include=pages))
    assert "[Bad](/p/Bad)" in result.markdown
    assert any("could not be read" in w for w in result.report.warnings)


def test_listing_resolver_fills_dynamic_macros() -> None:
    calls: list[tuple[str, dict[str, str]]] = []

    def listing(name: str, params: Mapping[str, str]) -> Sequence[ListingEntry]:
        calls.append((name, dict(params)))
        return [ListingEntry("Child *one*", "/p/1"), ListingEntry("Grandchild", "/p/2", depth=1)]

    body = (
        '<ac:structured-macro ac:name="children">'
        '<ac:parameter ac:name="depth">2</ac:parameter></ac:structured-macro>'
    )
    result = storage_to_markdown(body, context=ConvertContext(listing=listing))
    assert result.markdown == (
        '<!-- dynamic: children depth="2" -->\n\n- [Child \\*one\\*](/p/1)\n  - [Grandchild](/p/2)'
        "\n\n<!-- /dynamic -->\n"
    )
    assert calls == [("children", {"depth": "2"})]
    assert result.report.fallbacks == {}


def test_structure_summary() -> None:
    body = (
        '<h1>Getting started</h1><p>See <a href="https://x.org">x</a> and '
        '<ac:link><ri:user ri:account-id="u1"/></ac:link>.</p>'
        "<h2>Set up  the   tools</h2>"
        '<p><ac:image><ri:attachment ri:filename="a.png"/></ac:image></p>'
    )
    result = storage_to_markdown(body, context=ConvertContext(page_title="My Page"))
    headings = [(h.level, h.text, h.anchor) for h in result.structure.headings]
    assert headings == [
        (1, "Getting started", "Getting-started"),
        (2, "Set up the tools", "Set-up-the-tools"),
    ]
    dc = storage_to_markdown(body, flavor="dc", context=ConvertContext(page_title="My Page"))
    assert dc.structure.headings[0].anchor == "MyPage-Gettingstarted"
    assert [link.target for link in result.structure.links] == ["https://x.org"]
    assert [m.user_id for m in result.structure.mentions] == ["u1"]
    assert [a.filename for a in result.structure.attachments] == ["a.png"]
