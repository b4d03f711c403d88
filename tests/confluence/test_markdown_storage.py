"""Markdown -> storage format: the macros and elements write-back produces."""

from __future__ import annotations

import pytest

from radex.confluence.markdown import markdown_to_storage
from radex.confluence.storage import ConvertContext, storage_to_markdown
from radex.confluence.storage.parse import parse_storage
from radex.errors import ConversionError


def st(md: str, **kwargs: object) -> str:
    out = markdown_to_storage(md, **kwargs)  # type: ignore[arg-type]
    assert not parse_storage(out, max_chars=10**8).recovered, out  # always valid XML
    return out


def test_paragraphs_headings_and_marks() -> None:
    assert st("# Title\n\nSome *em* **strong** ~~gone~~ `code` H<sub>2</sub>O\n") == (
        "<h1>Title</h1><p>Some <em>em</em> <strong>strong</strong> <s>gone</s> "
        "<code>code</code> H<sub>2</sub>O</p>"
    )


def test_text_is_xml_escaped_and_raw_html_is_never_passed_through() -> None:
    out = st('a < b & c\n\n<div onclick="x()">hi</div>\n\n<script>alert(1)</script> x\n')
    assert "<div" not in out
    assert "<script" not in out
    assert "&lt;div" in out
    assert "a &lt; b &amp; c" in out


def test_unbalanced_inline_html_stays_well_formed() -> None:
    assert st("x<sub>open only\n") == "<p>x<sub>open only</sub></p>"
    assert st("x</sup> close only\n") == "<p>x close only</p>"


def test_hard_break_and_hr() -> None:
    assert st("a\\\nb\n\n---\n") == "<p>a<br />b</p><hr />"


def test_lists_nested_ordered_with_start() -> None:
    assert st("- a\n  - b\n- c\n\n3. x\n4. y\n") == (
        '<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><ol start="3"><li>x</li><li>y</li></ol>'
    )


def test_task_list_becomes_ac_task_list() -> None:
    assert st("- [ ] todo\n- [x] done\n- [ ]\n") == (
        "<ac:task-list>"
        "<ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status>"
        "<ac:task-body>todo</ac:task-body></ac:task>"
        "<ac:task><ac:task-id>2</ac:task-id><ac:task-status>complete</ac:task-status>"
        "<ac:task-body>done</ac:task-body></ac:task>"
        "<ac:task><ac:task-id>3</ac:task-id><ac:task-status>incomplete</ac:task-status>"
        "<ac:task-body></ac:task-body></ac:task></ac:task-list>"
    )


def test_fence_becomes_code_macro_with_confluence_language_and_title() -> None:
    out = st("*Setup*\n\n```python\nx = ']]>'\n```\n")
    assert out == (
        '<ac:structured-macro ac:name="code" ac:schema-version="1">'
        '<ac:parameter ac:name="language">py</ac:parameter>'
        '<ac:parameter ac:name="title">Setup</ac:parameter>'
        "<ac:plain-text-body><![CDATA[x = ']]]]><![CDATA[>']]></ac:plain-text-body>"
        "</ac:structured-macro>"
    )


def test_fence_title_in_info_string_and_no_language() -> None:
    out = st('```sql title="Query"\nselect 1\n```\n\n```\nplain\n```\n')
    assert '<ac:parameter ac:name="title">Query</ac:parameter>' in out
    assert '<ac:parameter ac:name="language">none</ac:parameter>' in out


@pytest.mark.parametrize(
    ("kind", "macro"),
    [
        ("INFO", "info"),
        ("NOTE", "note"),
        ("WARNING", "warning"),
        ("TIP", "tip"),
        ("PANEL", "panel"),
        ("IMPORTANT", "info"),
        ("CAUTION", "warning"),
    ],
)
def test_callouts_become_panel_macros(kind: str, macro: str) -> None:
    out = st(f"> [!{kind}] Read *this*\n>\n> Body\n")
    assert out == (
        f'<ac:structured-macro ac:name="{macro}" ac:schema-version="1">'
        '<ac:parameter ac:name="title">Read this</ac:parameter>'
        "<ac:rich-text-body><p>Body</p></ac:rich-text-body></ac:structured-macro>"
    )


def test_github_alert_with_body_on_the_next_line() -> None:
    out = st("> [!NOTE]\n> Useful text\n")
    assert out == (
        '<ac:structured-macro ac:name="note" ac:schema-version="1">'
        "<ac:rich-text-body><p>Useful text</p></ac:rich-text-body></ac:structured-macro>"
    )


def test_plain_blockquote_and_escaped_callout_stay_quotes() -> None:
    assert st("> quoted\n") == "<blockquote><p>quoted</p></blockquote>"
    assert st("> \\[!INFO] not a callout\n") == (
        "<blockquote><p>[!INFO] not a callout</p></blockquote>"
    )


def test_details_becomes_expand() -> None:
    out = st("<details>\n<summary>More &amp; more</summary>\n\n- x\n\n</details>\n")
    assert out == (
        '<ac:structured-macro ac:name="expand" ac:schema-version="1">'
        '<ac:parameter ac:name="title">More &amp; more</ac:parameter>'
        "<ac:rich-text-body><ul><li>x</li></ul></ac:rich-text-body></ac:structured-macro>"
    )


def test_details_written_in_one_html_block() -> None:
    out = st("<details><summary>T</summary>\n*inner*\n</details>\n")
    assert 'ac:name="expand"' in out
    assert "<em>inner</em>" in out


def test_table_with_header_and_br_cells() -> None:
    out = st("| H1 | H2 |\n| --- | --- |\n| a\\|b | x<br>y |\n")
    assert out == (
        "<table><tbody><tr><th>H1</th><th>H2</th></tr>"
        "<tr><td>a|b</td><td>x<br />y</td></tr></tbody></table>"
    )


def test_table_with_empty_header_has_no_header_row() -> None:
    assert st("|  |  |\n| --- | --- |\n| a | b |\n") == (
        "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>"
    )


def test_list_lines_in_a_cell_become_lists() -> None:
    out = st("|  |\n| --- |\n| intro<br>- a<br>- b<br>- [x] done |\n")
    assert out == (
        "<table><tbody><tr><td><p>intro</p><ul><li>a</li><li>b</li></ul>"
        "<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete"
        "</ac:task-status><ac:task-body>done</ac:task-body></ac:task></ac:task-list>"
        "</td></tr></tbody></table>"
    )


def test_status_lozenge() -> None:
    assert st("**[DONE]** and **\\[literal\\]**\n") == (
        '<p><ac:structured-macro ac:name="status" ac:schema-version="1">'
        '<ac:parameter ac:name="title">DONE</ac:parameter></ac:structured-macro> and '
        "<strong>[literal]</strong></p>"
    )


@pytest.mark.parametrize(
    ("flavor", "attribute"), [("cloud", "ri:account-id"), ("dc", "ri:userkey")]
)
def test_mentions_follow_the_flavor(flavor: str, attribute: str) -> None:
    assert st("ping @user:abc-1.\n", flavor=flavor) == (
        f'<p>ping <ac:link><ri:user {attribute}="abc-1" /></ac:link>.</p>'
    )


def test_page_links_attachments_anchors_and_urls() -> None:
    ctx = ConvertContext(base_url="https://w.example", space_key="ENG", page_id="100")
    md = (
        "[Guide](https://w.example/display/OPS/Deploy+guide#Step-2) "
        "[Home](/display/ENG/Home) [x](/pages/viewpage.action?title=T) "
        "[file](https://w.example/download/attachments/100/a%20b.pdf) [up](#Top) "
        "[ext](https://example.org/?a=1&b=2) [Other page](Other%20page.md) "
        "[id](/pages/viewpage.action?pageId=77)\n"
    )
    out = st(md, context=ctx)
    assert out == (
        '<p><ac:link ac:anchor="Step-2">'
        '<ri:page ri:space-key="OPS" ri:content-title="Deploy guide" />'
        "<ac:plain-text-link-body><![CDATA[Guide]]></ac:plain-text-link-body></ac:link> "
        '<ac:link><ri:page ri:content-title="Home" /></ac:link> '
        '<ac:link><ri:page ri:content-title="T" /><ac:plain-text-link-body><![CDATA[x]]>'
        "</ac:plain-text-link-body></ac:link> "
        '<ac:link><ri:attachment ri:filename="a b.pdf" /><ac:plain-text-link-body><![CDATA[file]]>'
        "</ac:plain-text-link-body></ac:link> "
        '<ac:link ac:anchor="Top"><ac:plain-text-link-body><![CDATA[up]]></ac:plain-text-link-body>'
        "</ac:link> "
        '<a href="https://example.org/?a=1&amp;b=2">ext</a> '
        '<ac:link><ri:page ri:content-title="Other page" /></ac:link> '
        '<ac:link><ri:content-entity ri:content-id="77" /><ac:plain-text-link-body><![CDATA[id]]>'
        "</ac:plain-text-link-body></ac:link></p>"
    )


def test_rich_link_text_uses_link_body() -> None:
    assert st("[**bold**](/display/ENG/P)\n") == (
        '<p><ac:link><ri:page ri:space-key="ENG" ri:content-title="P" />'
        "<ac:link-body><strong>bold</strong></ac:link-body></ac:link></p>"
    )


def test_images_attachment_or_url() -> None:
    assert st("![Chart](chart.png) ![x](https://img.example/x.svg)\n") == (
        '<p><ac:image ac:alt="Chart"><ri:attachment ri:filename="chart.png" /></ac:image> '
        '<ac:image ac:alt="x"><ri:url ri:value="https://img.example/x.svg" /></ac:image></p>'
    )


def test_jira_link_becomes_jira_macro_when_the_site_is_known() -> None:
    ctx = ConvertContext(jira_base_url="https://jira.example")
    assert st("[AB-1](https://jira.example/browse/AB-1)\n", context=ctx) == (
        '<p><ac:structured-macro ac:name="jira" ac:schema-version="1">'
        '<ac:parameter ac:name="key">AB-1</ac:parameter></ac:structured-macro></p>'
    )


def test_toc_and_dynamic_markers_become_macros() -> None:
    assert (
        st("[[_TOC_]]\n")
        == '<ac:structured-macro ac:name="toc" ac:schema-version="1"></ac:structured-macro>'
    )
    out = st('<!-- dynamic: jira jqlQuery="project = &quot;A&quot;" -->\n')
    assert out == (
        '<ac:structured-macro ac:name="jira" ac:schema-version="1">'
        '<ac:parameter ac:name="jqlQuery">project = "A"</ac:parameter></ac:structured-macro>'
    )


def test_resolved_dynamic_content_is_dropped_on_write_back() -> None:
    md = '<!-- dynamic: children depth="1" -->\n\n- [A](/p/a)\n\n<!-- /dynamic -->\n\nafter\n'
    assert st(md) == (
        '<ac:structured-macro ac:name="children" ac:schema-version="1">'
        '<ac:parameter ac:name="depth">1</ac:parameter></ac:structured-macro><p>after</p>'
    )


def test_include_marker_becomes_include_macro() -> None:
    out = st(
        '<!-- dynamic: include space="OPS" title="Shared" -->\n\n'
        "[Shared](/x)\n\n<!-- /dynamic -->\n"
    )
    assert out == (
        '<ac:structured-macro ac:name="include" ac:schema-version="1"><ac:parameter ac:name="">'
        '<ac:link><ri:page ri:space-key="OPS" ri:content-title="Shared" /></ac:link>'
        "</ac:parameter></ac:structured-macro>"
    )


def test_unknown_macro_markers_restore_the_macro_with_its_body() -> None:
    out = st("<!-- macro: fancy-box -->\n\nInside\n\n<!-- /macro -->\n")
    assert out == (
        '<ac:structured-macro ac:name="fancy-box" ac:schema-version="1">'
        "<ac:rich-text-body><p>Inside</p></ac:rich-text-body></ac:structured-macro>"
    )


def test_other_comments_are_dropped() -> None:
    assert st("<!-- a note to self -->\n\ntext\n") == "<p>text</p>"


def test_fenced_storage_is_not_passed_through() -> None:
    out = st('```csf\n<ac:structured-macro ac:name="html"/>\n```\n')
    assert 'ac:name="code"' in out
    assert "<![CDATA[<ac:structured-macro" in out


def test_converter_output_written_back_restores_the_macros() -> None:
    body = (
        '<ac:structured-macro ac:name="warning"><ac:parameter ac:name="title">T</ac:parameter>'
        "<ac:rich-text-body><p>careful</p></ac:rich-text-body></ac:structured-macro>"
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">js</ac:parameter>'
        "<ac:plain-text-body><![CDATA[let x]]></ac:plain-text-body></ac:structured-macro>"
    )
    back = st(storage_to_markdown(body).markdown)
    assert 'ac:name="warning"' in back
    assert '<ac:parameter ac:name="title">T</ac:parameter>' in back
    assert '<ac:parameter ac:name="language">js</ac:parameter>' in back


def test_bad_flavor_and_surrogates_are_conversion_errors() -> None:
    with pytest.raises(ConversionError):
        markdown_to_storage("x", flavor="server")  # type: ignore[arg-type]
    with pytest.raises(ConversionError):
        markdown_to_storage("caf\udce9")
