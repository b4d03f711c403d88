"""Golden tests: HTML elements of storage format -> Markdown, one behaviour per test."""

from __future__ import annotations

import pytest

from radex.confluence.storage import storage_to_markdown


def md(body: str) -> str:
    return storage_to_markdown(body).markdown


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<h1>Title</h1>", "# Title\n"),
        ("<h3>Three</h3>", "### Three\n"),
        ("<h6>Six</h6>", "###### Six\n"),
        ("<h2><br/></h2><p>x</p>", "x\n"),
        ("<h2>C #</h2>", "## C \\#\n"),
    ],
)
def test_headings_are_atx(body: str, expected: str) -> None:
    assert md(body) == expected


def test_paragraphs_are_separated_by_one_blank_line() -> None:
    assert md("<p>one</p><p/><p><br/></p><p>two</p>") == "one\n\ntwo\n"


def test_whitespace_collapses_and_nbsp_becomes_space() -> None:
    assert md("<p>  a \n\t b&nbsp;&nbsp;c </p>") == "a b c\n"


def test_html_entities_are_mapped_and_xml_ones_kept() -> None:
    assert md("<p>a &mdash; b &rsquo; &lt;x&gt; &amp; &copy;</p>") == "a — b ’ \\<x> & ©\n"


def test_unknown_entity_stays_visible_text() -> None:
    assert md("<p>&bogus; R&D</p>") == "\\&bogus; R&D\n"


def test_emphasis_strike_sub_sup_underline() -> None:
    body = (
        "<p><strong>b</strong> <em>i</em> <s>s</s> <del>d</del> <u>u</u> "
        "H<sub>2</sub>O x<sup>2</sup></p>"
    )
    assert md(body) == "**b** *i* ~~s~~ ~~d~~ u H<sub>2</sub>O x<sup>2</sup>\n"


def test_spaces_inside_marks_move_outside() -> None:
    assert md("<p>a<strong> bold </strong>b</p>") == "a **bold** b\n"
    assert md("<p>When<em> y</em>ou</p>") == "When *y*ou\n"


def test_adjacent_identical_marks_merge() -> None:
    assert md("<p><strong>a</strong><strong>b</strong></p>") == "**ab**\n"


def test_nested_identical_marks_are_not_doubled() -> None:
    assert md("<p><strong>a <b>b</b> c</strong></p>") == "**a b c**\n"


def test_coloured_span_is_dropped_but_text_kept() -> None:
    assert md('<p><span style="color: rgb(255,0,0);">red</span> text</p>') == "red text\n"


def test_inline_code_uses_a_fence_longer_than_its_backticks() -> None:
    assert md("<p><code>a`b</code></p>") == "``a`b``\n"
    assert md("<p><code>x</code><code>y</code></p>") == "`xy`\n"


def test_markdown_specials_in_text_are_escaped() -> None:
    out = md("<p>*not bold* [not a link] snake_case _x_ a&lt;b&gt;c ~~no~~ `tick`</p>")
    assert (
        out
        == "\\*not bold\\* \\[not a link\\] snake_case \\_x\\_ a\\<b>c \\~\\~no\\~\\~ \\`tick\\`\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# not heading", "\\# not heading"),
        ("> not quote", "\\> not quote"),
        ("- not list", "\\- not list"),
        ("+ not list", "\\+ not list"),
        ("1986. A year", "1986\\. A year"),
        ("---", "\\---"),
        ("#hashtag", "#hashtag"),
        ("-5 degrees", "-5 degrees"),
    ],
)
def test_line_starts_that_would_change_meaning_are_escaped(text: str, expected: str) -> None:
    assert md(f"<p>{text}</p>") == expected + "\n"


def test_line_break_is_a_hard_break_and_double_break_a_new_paragraph() -> None:
    assert md("<p>a<br/>b</p>") == "a\\\nb\n"
    assert md("<p>a<br/><br/>b</p>") == "a\n\nb\n"
    assert md("<p><br/>a<br/></p>") == "a\n"


def test_break_before_list_like_text_is_escaped() -> None:
    assert md("<p>a<br/>- b</p>") == "a\\\n\\- b\n"


def test_hr_and_blockquote() -> None:
    assert md("<p>a</p><hr/><blockquote><p>q1</p><p>q2</p></blockquote>") == (
        "a\n\n---\n\n> q1\n>\n> q2\n"
    )


def test_pre_is_a_fence_keeping_whitespace() -> None:
    assert md("<pre>  indented\n    more &lt;b&gt;</pre>") == "```\n  indented\n    more <b>\n```\n"


def test_fence_is_longer_than_backtick_runs_inside() -> None:
    assert md("<pre>```\ncode\n```</pre>") == "````\n```\ncode\n```\n````\n"


def test_unordered_nested_list() -> None:
    body = "<ul><li>one<ul><li>two<ul><li>three</li></ul></li></ul></li><li>four</li></ul>"
    assert md(body) == "- one\n  - two\n    - three\n- four\n"


def test_ordered_list_keeps_start_and_indents_to_content() -> None:
    body = '<ol start="9"><li>nine<ul><li>sub</li></ul></li><li>ten</li></ol>'
    assert md(body) == "9. nine\n   - sub\n10. ten\n"


def test_list_item_with_paragraphs_is_loose_inside_the_item() -> None:
    body = "<ul><li><p>first</p><p>second</p></li></ul>"
    assert md(body) == "- first\n\n  second\n"


def test_list_nested_straight_inside_list_joins_previous_item() -> None:
    assert md("<ul><li>a</li><ul><li>b</li></ul></ul>") == "- a\n  - b\n"


def test_adjacent_lists_do_not_merge() -> None:
    assert md("<ul><li>a</li></ul><ul><li>b</li></ul>") == "- a\n\n* b\n"
    assert md("<ol><li>a</li></ol><ol><li>b</li></ol>") == "1. a\n\n1) b\n"


def test_html_link_and_image() -> None:
    body = '<p>See <a href="https://example.com/a b">the site</a> <img src="x.png" alt="X"/></p>'
    assert md(body) == "See [the site](https://example.com/a%20b) ![X](x.png)\n"


def test_link_with_parentheses_uses_angle_brackets() -> None:
    assert md('<p><a href="https://w.org/A_(b)">w</a></p>') == "[w](<https://w.org/A_(b)>)\n"


def test_javascript_links_are_not_links() -> None:
    assert md('<p><a href="javascript:alert(1)">click</a></p>') == "click\n"


def test_exclamation_before_link_does_not_make_an_image() -> None:
    assert md('<p>Wow!<a href="https://x.org">x</a></p>') == "Wow\\![x](https://x.org)\n"


def test_link_keeps_surrounding_spaces() -> None:
    assert md('<p>a<a href="https://x.org"> x </a>b</p>') == "a [x](https://x.org) b\n"


def test_div_and_section_are_containers() -> None:
    assert md("<div><p>a</p><div>b</div></div>c") == "a\n\nb\n\nc\n"


def test_definition_lists_keep_terms() -> None:
    assert md("<dl><dt>Term</dt><dd>Meaning</dd></dl>") == "**Term**\n\nMeaning\n"


def test_time_is_an_iso_date_apart_from_words() -> None:
    assert md('<p>due<time datetime="2024-01-31"/>ok</p>') == "due 2024-01-31 ok\n"


def test_placeholders_are_dropped_and_comment_markers_kept_as_text() -> None:
    body = (
        "<p><ac:placeholder>Type here</ac:placeholder>Before"
        '<ac:inline-comment-marker ac:ref="r1">marked</ac:inline-comment-marker>after</p>'
    )
    conv = storage_to_markdown(body)
    assert conv.markdown == "Beforemarkedafter\n"
    assert conv.structure.inline_comment_refs == ("r1",)


@pytest.mark.parametrize(
    ("emoticon", "expected"),
    [
        ('<ac:emoticon ac:name="tick"/>', "✅"),
        ('<ac:emoticon ac:name="cross"/>', "❌"),
        ('<ac:emoticon ac:name="warning"/>', "⚠️"),
        ('<ac:emoticon ac:name="information"/>', "ℹ️"),
        (
            '<ac:emoticon ac:name="blue-star" ac:emoji-id="1f4e7" ac:emoji-fallback=":e-mail:"/>',
            "📧",
        ),
        ('<ac:emoticon ac:name="x" ac:emoji-id="atlassian-x" ac:emoji-fallback="🙃"/>', "🙃"),
        ('<ac:emoticon ac:name="made_up"/>', ":made_up:"),
    ],
)
def test_emoticons_and_emoji_become_unicode(emoticon: str, expected: str) -> None:
    assert md(f"<p>{emoticon}</p>") == expected + "\n"


def test_output_is_deterministic_and_normalised() -> None:
    body = "<p>a</p>\n\n\n<p></p><ul><li>x</li></ul>\n<p>b   </p>"
    first = md(body)
    assert first == md(body)
    assert "\n\n\n" not in first
    assert all(line == line.rstrip() for line in first.split("\n"))
    assert first.endswith("\n")
    assert not first.endswith("\n\n")


def test_empty_body_is_empty_markdown() -> None:
    assert md("") == ""
    assert md("   ") == ""


def test_xml_declaration_and_bom_are_accepted() -> None:
    assert md('\ufeff<?xml version="1.0" encoding="UTF-8"?><p>x</p>') == "x\n"


def test_bytes_input_is_utf8() -> None:
    assert storage_to_markdown("<p>grüß</p>".encode()).markdown == "grüß\n"


def test_xhtml_default_namespace_is_understood() -> None:
    assert md('<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>') == "x\n"


def test_unknown_prefixes_are_tolerated() -> None:
    conv = storage_to_markdown("<p>a <bs:thing>b</bs:thing></p>")
    assert conv.markdown == "a b\n"
    assert not conv.report.recovered
