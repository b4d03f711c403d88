"""Files for the extraction tests, generated with the same libraries users' tools write with."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence

import docx
import openpyxl
import pptx
from fpdf import FPDF
from pptx.util import Inches
from pypdf import PdfWriter

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


def pdf(pages: Sequence[str], title: str | None = None) -> bytes:
    """A PDF with one page per text (fpdf2, core font)."""
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    if title:
        doc.set_title(title)
    for text in pages:
        doc.add_page()
        if text:
            doc.multi_cell(0, 6, text)
    return bytes(doc.output())


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty pages (pypdf: fast even for thousands)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(72, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str, owner_password: str) -> bytes:
    """A one-page PDF with text, encrypted (AES-256) with the given passwords."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf(["Secret plans"])))
    writer.encrypt(user_password, owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def word() -> bytes:
    """A DOCX with a title, headings, runs, lists and a table."""
    doc = docx.Document()
    doc.core_properties.title = "Onboarding guide"
    doc.add_heading("Welcome", 1)
    para = doc.add_paragraph("Read this ")
    para.add_run("first").bold = True
    para.add_run(", then ask.")
    doc.add_heading("Accounts", 2)
    doc.add_paragraph("Laptop", style="List Bullet")
    doc.add_paragraph("VPN token", style="List Bullet")
    doc.add_paragraph("Hardware key", style="List Bullet 2")
    doc.add_paragraph("Sign the policy", style="List Number")
    table = doc.add_table(rows=3, cols=2)
    for r, row in enumerate([("System", "Owner"), ("Jira", "IT | Ops"), ("Confluence", "Docs")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.add_paragraph("# Not a heading, just text.")
    return _save(doc)


def workbook(rows: int = 3, sheets: Sequence[str] = ("Budget", "Notes")) -> bytes:
    """An XLSX: the first sheet a header plus ``rows`` rows, the others a note in B2."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = sheets[0]
    first.append(["Item", "Cost", "Paid"])
    for i in range(rows):
        first.append([f"Item {i + 1}", 100 + i * 0.5, i % 2 == 0])
    for name in sheets[1:]:
        book.create_sheet(name)["B2"] = f"note on {name}"
    return _save(book)


def deck(slides: int = 2) -> bytes:
    """A PPTX: slide 1 title + bullets + notes, slide 2 title + table, then title-only slides."""
    prs = pptx.Presentation()
    first = prs.slides.add_slide(prs.slide_layouts[1])
    first.shapes.title.text = "Roadmap"
    body = first.placeholders[1].text_frame
    body.text = "Ship the importer"
    sub = body.add_paragraph()
    sub.text = "with sniffing"
    sub.level = 1
    first.notes_slide.notes_text_frame.text = "Mention the deadline."
    second = prs.slides.add_slide(prs.slide_layouts[5])
    second.shapes.title.text = "Numbers"
    grid = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (r, c), text in {(0, 0): "Quarter", (0, 1): "Pages", (1, 0): "Q1", (1, 1): "120"}.items():
        grid.cell(r, c).text = text
    for n in range(3, slides + 1):
        prs.slides.add_slide(prs.slide_layouts[5]).shapes.title.text = f"Extra {n}"
    return _save(prs)


def rezip(data: bytes, extra: dict[str, bytes], *, stored: bool = False) -> bytes:
    """A copy of a zip container with ``extra`` members added (deflated unless ``stored``)."""
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", method) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, payload in extra.items():
            dst.writestr(name, payload, compress_type=method)
    return out.getvalue()


def replace_member(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    """A copy of a zip container with ``old`` replaced by ``new`` inside ``member``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info)
            dst.writestr(info, payload.replace(old, new) if info.filename == member else payload)
    return out.getvalue()


def claim_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with ``member``'s uncompressed size in the central directory set to ``size``."""
    name = member.encode()
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at)
        if at < 0:
            raise ValueError(f"{member} is not in the central directory")
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            return data[: at + 24] + struct.pack("<I", size) + data[at + 28 :]
        at += 4


def _save(document: object) -> bytes:
    """Bytes of a python-docx / openpyxl / python-pptx document."""
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()
