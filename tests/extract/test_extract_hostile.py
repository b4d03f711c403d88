"""Hostile and broken input: bombs, huge page trees, encryption, truncation, lying names.

Every case ends with a clear ExtractionError or a bounded result, never another exception.
No timing asserts: bounds are shown by caps, warnings and by what is never called.
"""

from __future__ import annotations

import builtins
import os
from typing import Any

import docx
import extract_kit as kit
import pypdf
import pytest

from radex.errors import ExtractionError, InputError
from radex.extract import Limits, extract
from radex.extract.model import MIB


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("must not be called")


def test_zip_bomb_docx_is_refused_before_python_docx_opens_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = kit.rezip(kit.word(), {"word/media/filler.bin": b"\0" * (8 * MIB)})
    assert len(bomb) < 100_000  # 8 MiB of zeros deflate about 1000:1
    monkeypatch.setattr(docx, "Document", _refuse)
    with pytest.raises(ExtractionError, match="looks like a decompression bomb") as caught:
        extract(bomb, filename="bomb.docx")
    assert "word/media/filler.bin unpacks" in caught.value.message


def test_zip_whose_directory_claims_a_huge_member_is_refused() -> None:
    data = kit.claim_size(kit.word(), "word/document.xml", 3_000_000_000)
    with pytest.raises(ExtractionError, match=r"decompression bomb: .* unpacks"):
        extract(data)


def test_zip_over_the_unzipped_limit_is_refused() -> None:
    data = kit.rezip(kit.workbook(), {"xl/media/photo.bin": os.urandom(300_000)}, stored=True)
    with pytest.raises(ExtractionError, match=r"it unpacks to 0.3 MiB \(at most 0.2 MiB\)"):
        extract(data, limits=Limits(max_unzipped_bytes=256_000))


def test_nested_archive_is_refused() -> None:
    data = kit.rezip(kit.deck(), {"ppt/media/inner.zip": b"PK\x05\x06" + b"\0" * 18})
    with pytest.raises(ExtractionError, match="nested archive"):
        extract(data)


def test_pdf_claiming_ten_thousand_pages_is_read_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = kit.blank_pdf(10_000)
    monkeypatch.setattr(pypdf.PdfReader, "_flatten", _refuse)  # no walk of the whole tree
    result = extract(data)
    assert result.truncated
    assert result.warnings[0] == (
        "the PDF has more than 2000 pages (its page tree claims 10,000 pages); "
        "only the first 2000 were read"
    )


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(ExtractionError, match="the PDF is encrypted") as caught:
        extract(kit.encrypted_pdf("s3cret", "owner"))
    assert "without a password" in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_pdf_encrypted_only_with_an_owner_password_is_read() -> None:
    result = extract(kit.encrypted_pdf("", "owner"))
    assert "Secret plans" in result.to_markdown()
    assert "empty password" in result.warnings[0]


@pytest.mark.parametrize(
    ("make", "name"),
    [(kit.workbook, "XLSX"), (kit.word, "DOCX"), (kit.deck, "PPTX")],
)
def test_truncated_office_files_are_corrupt(make: Any, name: str) -> None:
    data = make()
    with pytest.raises(ExtractionError, match=f"the {name} file is truncated or corrupt: "):
        extract(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n" + b"garbage " * 100, "the PDF file is truncated or corrupt"),
        (kit.rezip(kit.word(), {}, stored=True)[:200], "the ZIP file is truncated or corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy Office files"),
        (bytes(range(256)) * 8, "unsupported file type"),
        (kit.rezip(kit.deck(), {})[:30] + b"\0" * 200, "the ZIP file is truncated or corrupt"),
    ],
)
def test_broken_files_give_plain_reasons(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract(data)


def test_office_package_missing_its_main_part() -> None:
    data = kit.claim_size(kit.word(), "word/document.xml", 10).replace(
        b"word/document.xml", b"word/documenX.xml"
    )
    with pytest.raises(ExtractionError, match="the DOCX file is truncated or corrupt: "):
        extract(data)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ExtractionError, match="the file is empty"):
        extract(b"", filename="empty.pdf")


def test_oversized_file_names_the_limit_and_the_setting() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(b"x" * 2048, limits=Limits(max_bytes=1024))
    assert caught.value.message == "the file is 2,048 bytes, more than the 1,024 bytes limit"
    assert "RADEX_MAX_IMPORT_SIZE_MB" in str(caught.value)


def test_filename_is_only_a_hint_never_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    extract(b"warm up the text reader")
    monkeypatch.setattr(builtins, "open", _refuse)
    monkeypatch.setattr(os, "open", _refuse)
    result = extract(b"harmless words", filename="../../etc/passwd")
    assert result.media_type == "text/plain"
    assert result.to_markdown() == "harmless words\n"


def test_total_characters_are_capped() -> None:
    result = extract(
        kit.pdf([f"Page {n} " + "word " * 100 for n in range(5)]), limits=Limits(max_chars=1000)
    )
    assert result.truncated
    assert result.chars <= 1000
    assert "reached the character limit" in " ".join(result.warnings)


def test_text_over_the_character_cap_is_cut() -> None:
    result = extract(b"line of text\n" * 1000, limits=Limits(max_chars=500))
    assert result.truncated
    assert result.chars <= 500
    assert result.warnings == ("text cut at 500 characters",)


def _nested(levels: int) -> bytes:
    return b"<html><body>" + b"<div>" * levels + b"deep" + b"</div>" * levels + b"</body></html>"


def test_deeply_nested_html_is_flattened_not_overflowed() -> None:
    result = extract(_nested(200))
    assert result.to_markdown() == "deep\n"
    assert result.warnings == ("the HTML is nested deeply; content past 100 levels is plain text",)


def test_html_nested_past_the_parser_limit_is_bounded_and_reported() -> None:
    result = extract(_nested(50_000))
    assert "content past 255 levels was dropped" in result.warnings[0]


def test_deeply_nested_json_is_read_as_text() -> None:
    result = extract(b"[" * 100_000 + b"]" * 100_000)
    assert result.media_type == "text/plain"


def test_html_entities_and_external_references_are_not_fetched() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "http://example.invalid/x">]>'
        b"<html><body><p>a &x; b</p>"
        b"<img src='http://example.invalid/i.png' alt='chart'></body></html>"
    )
    result = extract(data)
    assert result.to_markdown() == "a &x; b\n\n[image: chart]\n"  # not expanded, not fetched


@pytest.mark.parametrize(
    "unit",
    [" ", "\t", "\n", " \n", "[", "[a](", "**a", "# ", "|---", "<!-- -->", "a,", "-|"],
)
def test_pathological_text_is_read_in_linear_time(unit: str) -> None:
    """Runs of one pattern that made the sniffing regexes backtrack quadratically."""
    data = (unit * (1_000_000 // len(unit))).encode()
    result = extract(data)
    assert result.chars <= 1_000_000


_LAUGHS = b"".join(
    b'<!ENTITY %s "%s">' % (bytes([c]), (b"&%s;" % bytes([c - 1])) * 10) for c in range(98, 106)
)
_ENTITY_BOMB = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">' + _LAUGHS + b"]>"


_HEAD = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>"


@pytest.mark.parametrize(
    ("make", "member", "prolog", "text"),
    [
        (kit.word, "word/document.xml", _HEAD, b"Welcome"),
        (kit.deck, "ppt/slides/slide1.xml", _HEAD, b"Roadmap"),
        (kit.workbook, "xl/worksheets/sheet1.xml", b"<worksheet", b"Item"),
    ],
)
def test_entity_bombs_inside_office_parts_are_refused(
    make: Any, member: str, prolog: bytes, text: bytes
) -> None:
    """A billion-laughs DOCTYPE in a part: the XML parsers refuse it, nothing expands."""
    data = kit.replace_member(make(), member, prolog, _ENTITY_BOMB + prolog.removeprefix(_HEAD))
    data = kit.replace_member(data, member, text, b"&i;")
    with pytest.raises(ExtractionError, match=r"truncated or corrupt: .*(entity|XML)"):
        extract(data)
