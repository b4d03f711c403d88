"""Sniffing: the content decides; the name and declared type only break ties among text types."""

from __future__ import annotations

import io
import zipfile

import extract_kit as kit
import pytest

from radex.extract import extract, sniff
from radex.extract.sniff import (
    BINARY,
    CSV,
    DOCX,
    HTML,
    JSON,
    MARKDOWN,
    OLE,
    PDF,
    PLAIN,
    PPTX,
    XLSX,
    XML,
    ZIP,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (kit.pdf(["x"]), PDF),
        (kit.PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (kit.word(), DOCX),
        (kit.workbook(), XLSX),
        (kit.deck(), PPTX),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, OLE),
        (b"  <!DOCTYPE html><html><body>x</body></html>", HTML),
        (b"<p>Just a fragment</p>", HTML),
        (b'<?xml version="1.0"?><note><to>x</to></note>', XML),
        (b'{"a": [1, 2, {"b": null}]}', JSON),
        (b"id,name,team\n1,Ann,ops\n2,Bob,dev\n3,Cy,qa\n", CSV),
        (b"id\tname\n1\tAnn\n", PLAIN),  # two rows and no hint: too little to say
        (b"# Title\n\n- item\n- item\n\nSee [x](https://y).\n", MARKDOWN),
        (b"Dear team, the meeting moved.\nThanks.\n", PLAIN),
        (bytes(range(256)) * 4, BINARY),
    ],
)
def test_content_decides(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_plain_zip_is_a_zip() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert sniff(out.getvalue(), filename="report.docx") == ZIP


def test_a_file_lying_about_its_type_is_read_by_content() -> None:
    assert sniff(kit.PNG, filename="invoice.pdf", declared="application/pdf") == "image/png"
    assert sniff(kit.pdf(["Hi"]), filename="photo.png", declared="image/png") == PDF
    result = extract(kit.pdf(["Quarterly numbers"]), filename="photo.png")
    assert result.media_type == PDF
    assert "## Page 1\n\nQuarterly numbers" in result.to_markdown()
    assert result.warnings[0] == "the name or declared type says PNG image, the content is PDF"


def test_hints_break_ties_among_text_types() -> None:
    tabbed = b"id\tname\n1\tAnn\n"
    assert sniff(tabbed, filename="people.tsv") == CSV
    assert sniff(tabbed, declared="text/csv; charset=utf-8") == CSV
    notes = b"Plain words only.\n"
    assert sniff(notes, filename="NOTES.MD") == MARKDOWN
    assert sniff(notes, declared="text/markdown") == MARKDOWN
    markdownish = b"# Title\n\n- a\n- b\n"
    assert sniff(markdownish, filename="notes.txt") == PLAIN
    assert sniff(b"<b>bold</b> words", filename="page.html") == HTML


def test_hints_never_override_content() -> None:
    assert sniff(b'{"a": 1}', filename="data.txt") == JSON
    assert sniff(b"not json at all", filename="data.json") == PLAIN
    assert sniff(b"a,b\n1,2\n", filename="x.csv", declared="application/octet-stream") == CSV
    assert sniff(b"one line, not csv", filename="x.csv") == PLAIN


def test_truncated_office_file_is_still_recognised() -> None:
    data = kit.workbook()
    assert sniff(data[: len(data) // 2]) == XLSX
