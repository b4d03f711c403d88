"""Golden-ish extraction of each format: text, headings, tables, locators, notes, titles."""

from __future__ import annotations

import io

import extract_kit as kit
import openpyxl

from radex.extract import Limits, extract


def test_pdf_pages_are_sections_located_by_page() -> None:
    data = kit.pdf(["Revenue grew in Q1.", "", "# Costs fell in Q2."], title="Quarterly report")
    result = extract(data, filename="report.pdf")
    assert result.media_type == "application/pdf"
    assert result.title == "Quarterly report"
    assert [s.locator for s in result.sections] == ["page 1", "page 3"]
    markdown = result.to_markdown()
    assert "## Page 1\n\nRevenue grew in Q1." in markdown
    assert "## Page 3\n\n\\# Costs fell in Q2." in markdown  # PDF text never becomes a heading
    assert result.warnings == ("1 of 3 pages have no text layer (scanned?); OCR is not enabled",)
    assert not result.truncated


def test_pdf_without_text_layer_is_a_warning_not_an_error() -> None:
    result = extract(kit.blank_pdf(3))
    assert result.sections == ()
    assert result.warnings == ("no text layer (scanned?); OCR is not enabled",)
    assert result.to_markdown() == ""


def test_pdf_page_cap_keeps_the_first_pages() -> None:
    data = kit.pdf([f"Page number {n}" for n in range(1, 8)])
    result = extract(data, limits=Limits(max_pages=3))
    assert [s.locator for s in result.sections] == ["page 1", "page 2", "page 3"]
    assert result.truncated
    assert "only the first 3 were read" in result.warnings[0]


def test_docx_headings_lists_tables_in_body_order() -> None:
    result = extract(kit.word(), filename="guide.docx")
    assert result.media_type.endswith("wordprocessingml.document")
    assert result.title == "Onboarding guide"
    assert result.to_markdown() == (
        "# Welcome\n\n"
        "Read this **first**, then ask.\n\n"
        "## Accounts\n\n"
        "- Laptop\n"
        "- VPN token\n"
        "   - Hardware key\n"
        "1. Sign the policy\n\n"
        "| System | Owner |\n"
        "| --- | --- |\n"
        "| Jira | IT \\| Ops |\n"
        "| Confluence | Docs |\n\n"
        "\\# Not a heading, just text.\n"
    )


def test_xlsx_sheets_are_tables_located_by_sheet() -> None:
    result = extract(kit.workbook(rows=2))
    assert [s.locator for s in result.sections] == ["sheet Budget", "sheet Notes"]
    assert result.to_markdown() == (
        "## Sheet Budget\n\n"
        "| Item | Cost | Paid |\n"
        "| --- | --- | --- |\n"
        "| Item 1 | 100 | TRUE |\n"
        "| Item 2 | 100.5 | FALSE |\n\n"
        "## Sheet Notes\n\n"
        "| note on Notes |\n"
        "| --- |\n"
    )


def test_xlsx_row_and_sheet_caps() -> None:
    data = kit.workbook(rows=30, sheets=("Data", "Two", "Three"))
    result = extract(data, limits=Limits(max_rows_per_sheet=10, max_sheets=2))
    assert [s.locator for s in result.sections] == ["sheet Data", "sheet Two"]
    assert len(result.sections[0].text.splitlines()) == 11  # 10 rows (header included), rule
    assert result.truncated
    assert any("only the first 2 were read" in w for w in result.warnings)
    assert any("sheet Data: only the first 10 rows" in w for w in result.warnings)


def test_xlsx_wrong_stored_dimension_does_not_hide_cells() -> None:
    data = kit.replace_member(
        kit.workbook(rows=2), "xl/worksheets/sheet1.xml", b'ref="A1:C3"', b'ref="A1:A1"'
    )
    assert "| Item 2 | 100.5 | FALSE |" in extract(data).to_markdown()


def test_xlsx_columns_past_the_cap_are_dropped_with_a_warning() -> None:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.cell(row=1, column=300, value="far away")
    out = io.BytesIO()
    book.save(out)
    result = extract(out.getvalue())
    assert "far away" not in result.to_markdown()
    assert result.warnings == ("sheet Sheet: only the first 200 columns were read",)


def test_pptx_slides_with_titles_bullets_tables_and_notes() -> None:
    result = extract(kit.deck())
    assert result.title == "Roadmap"
    assert [(s.locator, s.heading) for s in result.sections] == [
        ("slide 1", "Roadmap"),
        ("slide 2", "Numbers"),
    ]
    assert result.to_markdown() == (
        "## Slide 1: Roadmap\n\n"
        "- Ship the importer\n"
        "  - with sniffing\n\n"
        "### Speaker notes\n\n"
        "Mention the deadline.\n\n"
        "## Slide 2: Numbers\n\n"
        "| Quarter | Pages |\n"
        "| --- | --- |\n"
        "| Q1 | 120 |\n"
    )


def test_pptx_slide_cap() -> None:
    result = extract(kit.deck(slides=6), limits=Limits(max_slides=4))
    assert [s.locator for s in result.sections] == [f"slide {n}" for n in range(1, 5)]
    assert result.truncated
    assert result.warnings == ("the deck has 6 slides; only the first 4 were read",)


def test_html_structure_without_scripts() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Runbook</title><style>p{color:red}</style>"
        b"<script>alert('x')</script></head><body><h1>Deploy</h1>"
        b"<p>Run <code>make ship</code>, see <a href='https://wiki/x'>docs</a>"
        b" <a href='javascript:evil()'>here</a>.<br>Then wait.</p>"
        b"<ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul>"
        b"<table><tr><th>Env</th><th>URL</th></tr><tr><td>prod</td><td>a|b</td></tr></table>"
        b"<pre>line 1\n  line 2</pre><!-- hidden --><noscript>nojs</noscript></body></html>"
    )
    result = extract(page)
    assert result.media_type == "text/html"
    assert result.title == "Runbook"
    assert result.to_markdown() == (
        "# Deploy\n\n"
        "Run `make ship`, see [docs](https://wiki/x) here.\\\n"
        "Then wait.\n\n"
        "- one\n"
        "  - nested\n"
        "- two\n\n"
        "| Env | URL |\n"
        "| --- | --- |\n"
        "| prod | a\\|b |\n\n"
        "```\nline 1\n  line 2\n```\n"
    )


def test_csv_becomes_a_bounded_table() -> None:
    data = b"name;team\n" + b"".join(f"user{n};t{n % 3}\n".encode() for n in range(20))
    result = extract(data, filename="people.csv", limits=Limits(max_rows_per_sheet=5))
    assert result.media_type == "text/csv"
    lines = result.to_markdown().splitlines()
    assert lines[:3] == ["| name | team |", "| --- | --- |", "| user0 | t0 |"]
    assert len(lines) == 6  # 5 rows (header included) and the rule
    assert result.truncated


def test_json_small_is_fenced_large_is_flattened() -> None:
    small = extract(b'{"service": "radex", "ports": [80, 443]}')
    assert small.media_type == "application/json"
    assert small.to_markdown().startswith('```json\n{\n  "service": "radex",')
    big = b'{"items": [' + b",".join(b'{"id": %d, "name": "n%d"}' % (i, i) for i in range(3000))
    large = extract(big + b"]}")
    lines = large.to_markdown().splitlines()
    assert lines[:2] == ["items[0].id: 0", "items[0].name: n0"]


def test_markdown_passes_through_and_plain_text_is_escaped() -> None:
    md = extract(b"# Guide\n\nUse **bold** and [links](https://x).\n")
    assert (md.media_type, md.title) == ("text/markdown", "Guide")
    assert md.to_markdown() == "# Guide\n\nUse **bold** and [links](https://x).\n"
    plain = extract(b"Notes\n# of items: 3\n- not a list?\n", filename="notes.txt")
    assert plain.media_type == "text/plain"
    assert plain.to_markdown() == "Notes\n\\# of items: 3\n\\- not a list?\n"


def test_non_utf8_text_is_decoded_and_reported() -> None:
    result = extract("Café crème brûlée, très bon.".encode("cp1252"), filename="menu.txt")
    assert result.to_markdown() == "Café crème brûlée, très bon.\n"
    assert result.warnings == ("the text is not UTF-8; decoded as cp1252 (a guess)",)


def test_image_has_no_text_but_keeps_its_type() -> None:
    result = extract(kit.PNG, filename="diagram.png")
    assert result.media_type == "image/png"
    assert result.sections == ()
    assert "OCR is not enabled" in result.warnings[0]
