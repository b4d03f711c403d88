"""Golden tests: ac:link targets, images, mentions (Cloud ri:account-id vs DC ri:userkey)."""

from __future__ import annotations

import pytest

from radex.confluence.storage import (
    ConvertContext,
    PageRef,
    UserIdKind,
    storage_to_markdown,
)

BASE = "https://wiki.example.com"
CTX = ConvertContext(base_url=BASE, space_key="ENG", page_id="100", page_title="Runbook")


def md(body: str, ctx: ConvertContext = CTX, flavor: str = "cloud") -> str:
    return storage_to_markdown(body, flavor=flavor, context=ctx).markdown  # type: ignore[arg-type]


def test_page_link_with_body_and_anchor() -> None:
    body = (
        '<p><ac:link ac:anchor="Step 2">'
        '<ri:page ri:space-key="OPS" ri:content-title="Deploy guide"/>'
        "<ac:plain-text-link-body><![CDATA[the guide]]></ac:plain-text-link-body></ac:link></p>"
    )
    result = storage_to_markdown(body, context=CTX)
    assert result.markdown == f"[the guide]({BASE}/display/OPS/Deploy+guide#Step-2)\n"
    edge = result.structure.links[0]
    assert (edge.kind, edge.space_key, edge.title, edge.anchor) == (
        "page",
        "OPS",
        "Deploy guide",
        "Step 2",
    )


def test_page_link_without_body_uses_the_title_and_host_space() -> None:
    body = '<p><ac:link><ri:page ri:content-title="A &amp; B"/></ac:link></p>'
    assert md(body) == f"[A & B]({BASE}/display/ENG/A+%26+B)\n"


def test_rich_link_body_keeps_formatting() -> None:
    body = (
        '<p><ac:link><ri:page ri:content-title="X"/><ac:link-body><strong>bold</strong> text'
        "</ac:link-body></ac:link></p>"
    )
    assert md(body) == f"[**bold** text]({BASE}/display/ENG/X)\n"


def test_page_resolver_wins() -> None:
    seen: list[PageRef] = []

    def resolve(ref: PageRef) -> str | None:
        seen.append(ref)
        return f"{BASE}/wiki/spaces/{ref.space_key}/pages/42"

    ctx = ConvertContext(base_url=BASE, page_url=resolve)
    body = '<p><ac:link><ri:page ri:space-key="ENG" ri:content-title="T"/></ac:link></p>'
    assert md(body, ctx) == f"[T]({BASE}/wiki/spaces/ENG/pages/42)\n"
    assert seen == [PageRef("page", "T", "ENG")]


def test_blog_post_space_content_id_and_url_targets() -> None:
    body = (
        '<p><ac:link><ri:blog-post ri:content-title="News" ri:posting-day="2024/01/31"/></ac:link> '
        '<ac:link><ri:space ri:space-key="HR"/></ac:link> '
        '<ac:link><ri:content-entity ri:content-id="555"/></ac:link> '
        '<ac:link><ri:url ri:value="https://example.org/x"/>'
        "<ac:plain-text-link-body><![CDATA[ext]]></ac:plain-text-link-body></ac:link></p>"
    )
    result = storage_to_markdown(body, context=CTX)
    assert result.markdown == (
        f"[News]({BASE}/display/ENG/2024/01/31/News) [HR]({BASE}/display/HR) "
        f"[555]({BASE}/pages/viewpage.action?pageId=555) [ext](https://example.org/x)\n"
    )
    kinds = [link.kind for link in result.structure.links]
    assert kinds == ["blog-post", "space", "content", "url"]
    assert result.structure.links[2].page_id == "555"


def test_anchor_only_link_is_a_fragment() -> None:
    assert md('<p><ac:link ac:anchor="Section Heading"/></p>') == (
        "[Section Heading](#Section-Heading)\n"
    )


def test_attachment_links_on_this_and_another_page() -> None:
    body = (
        '<p><ac:link><ri:attachment ri:filename="report.pdf"/></ac:link> '
        '<ac:link><ri:attachment ri:filename="b.png"><ri:page ri:content-title="Other"/>'
        "</ri:attachment><ac:plain-text-link-body><![CDATA[pic]]></ac:plain-text-link-body>"
        "</ac:link></p>"
    )
    result = storage_to_markdown(body, context=CTX)
    assert result.markdown == (
        f"[report.pdf]({BASE}/download/attachments/100/report.pdf) "
        f"[pic]({BASE}/display/ENG/Other?preview=b.png)\n"
    )
    files = [(a.filename, a.container) for a in result.structure.attachments]
    assert files == [("report.pdf", None), ("b.png", PageRef("page", "Other", None))]


def test_attachment_resolver_wins() -> None:
    ctx = ConvertContext(attachment_url=lambda name, container: f"https://cdn/{name}")
    body = '<p><ac:image><ri:attachment ri:filename="a.png"/></ac:image></p>'
    assert md(body, ctx) == "![a.png](https://cdn/a.png)\n"


def test_without_context_links_are_relative_and_parseable() -> None:
    body = (
        '<p><ac:link><ri:page ri:content-title="Home"/></ac:link> '
        '<ac:link><ri:attachment ri:filename="a b.pdf"/></ac:link></p>'
    )
    assert md(body, ConvertContext()) == (
        "[Home](/pages/viewpage.action?title=Home) [a b.pdf](a%20b.pdf)\n"
    )


def test_shortcut_link_keeps_its_text() -> None:
    body = '<p><ac:link><ri:shortcut ri:key="google" ri:parameter="radex"/></ac:link></p>'
    assert md(body) == "radex@google\n"


def test_image_with_alt_caption_and_url_source() -> None:
    body = (
        '<p><ac:image ac:alt="Flow chart" ac:width="400"><ri:attachment ri:filename="flow.png"/>'
        "<ac:caption><p>The <em>flow</em></p></ac:caption></ac:image></p>"
        '<p><ac:image><ri:url ri:value="https://img.example.com/logo.svg"/></ac:image></p>'
    )
    assert md(body) == (
        f"![Flow chart]({BASE}/download/attachments/100/flow.png)\\\n*The flow*\n\n"
        "![logo.svg](https://img.example.com/logo.svg)\n"
    )


USERS: dict[tuple[UserIdKind, str], str] = {
    ("account-id", "557058:abc"): "Alice Example",
    ("userkey", "ff8080817b"): "Bob Builder (Deactivated)",
    ("username", "carol"): "Carol *Star*",
}


def lookup(kind: UserIdKind, user_id: str) -> str | None:
    return USERS.get((kind, user_id))


@pytest.mark.parametrize(
    ("flavor", "user", "expected", "kind"),
    [
        ("cloud", '<ri:user ri:account-id="557058:abc"/>', "@Alice Example", "account-id"),
        ("dc", '<ri:user ri:userkey="ff8080817b"/>', "@Bob Builder", "userkey"),
        ("dc", '<ri:user ri:username="carol"/>', "@Carol \\*Star\\*", "username"),
        ("cloud", '<ri:user ri:account-id="unknown-1"/>', "@user:unknown-1", "account-id"),
    ],
)
def test_mentions_resolve_display_names(flavor: str, user: str, expected: str, kind: str) -> None:
    ctx = ConvertContext(users=lookup)
    result = storage_to_markdown(
        f"<p>ping <ac:link>{user}</ac:link></p>", flavor=flavor, context=ctx
    )  # type: ignore[arg-type]
    assert result.markdown == f"ping {expected}\n"
    mention = result.structure.mentions[0]
    assert mention.id_kind == kind


def test_mentions_are_recorded_once() -> None:
    user = '<ac:link><ri:user ri:account-id="u1"/></ac:link>'
    body = f"<p>{user} {user}</p>"
    result = storage_to_markdown(body)
    assert result.markdown == "@user:u1 @user:u1\n"
    assert len(result.structure.mentions) == 1


def test_tasks_render_checkboxes_with_mentions_and_dates() -> None:
    body = (
        "<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status>"
        '<ac:task-body><ac:link><ri:user ri:account-id="557058:abc"/></ac:link> ship by '
        '<time datetime="2024-05-01"/></ac:task-body></ac:task>'
        "<ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status>"
        "<ac:task-body>review<ac:task-list><ac:task><ac:task-id>3</ac:task-id>"
        "<ac:task-status>incomplete</ac:task-status><ac:task-body>nested</ac:task-body>"
        "</ac:task></ac:task-list></ac:task-body></ac:task></ac:task-list>"
    )
    out = storage_to_markdown(body, context=ConvertContext(users=lookup)).markdown
    assert out == "- [x] @Alice Example ship by 2024-05-01\n- [ ] review\n  - [ ] nested\n"
    assert "1" not in out.replace("2024-05-01", "")


def test_link_inside_link_body_is_not_nested() -> None:
    body = (
        '<p><ac:link><ri:page ri:content-title="P"/><ac:link-body>'
        '<a href="https://x.org">inner</a></ac:link-body></ac:link></p>'
    )
    assert md(body) == f"[inner]({BASE}/display/ENG/P)\n"
