"""Real attachment files (PDF, DOCX, XLSX, PPTX, PNG, text) rendered from a title and some text."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Final

MEDIA_TYPES: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    "json": "application/json",
    "bin": "application/octet-stream",
}
_ALIASES: Final[dict[str, str]] = {"text": "txt", "log": "txt", "markdown": "md", "jpg": "bin"}
_FIXED_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def kind_for_filename(filename: str) -> str:
    """The file kind implied by a file name's extension (``bin`` when unknown)."""
    ext = PurePosixPath(filename).suffix.lower().lstrip(".")
    ext = _ALIASES.get(ext, ext)
    return ext if ext in MEDIA_TYPES else "bin"


def media_type_for(kind: str) -> str:
    """The media type Confluence reports for a file kind."""
    return MEDIA_TYPES.get(_ALIASES.get(kind, kind), MEDIA_TYPES["bin"])


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each on one line."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def render_attachment(kind: str, title: str, text: str) -> bytes:
    """The bytes of a real file of ``kind`` whose visible content is ``title`` and ``text``."""
    kind = _ALIASES.get(kind, kind)
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return (title + "\n\n" + text).encode("utf-8")
    return renderer(title, text)


def _pdf(title: str, text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_FIXED_TIME)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    for para in paragraphs(text):
        pdf.multi_cell(0, 6, _latin1(para), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def _latin1(s: str) -> str:
    """Core PDF fonts only cover Latin-1: swap common typography for ASCII look-alikes."""
    table = {"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"'}
    table |= {"\u201d": '"', "\u2026": "...", "\u2192": "->", "\u2022": "*"}
    return "".join(table.get(ch, ch) for ch in s).encode("latin-1", "replace").decode("latin-1")


def _docx(title: str, text: str) -> bytes:
    import docx

    doc = docx.Document()
    doc.core_properties.title = title
    doc.core_properties.created = _FIXED_TIME
    doc.core_properties.modified = _FIXED_TIME
    doc.add_heading(title, level=1)
    for para in paragraphs(text):
        doc.add_paragraph(para)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _rows(text: str) -> list[list[str]]:
    """Text as table rows: CSV-ish lines when present, else one paragraph per row."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and all("," in ln for ln in lines):
        return [[c.strip() for c in row] for row in csv.reader(lines)]
    return [["Paragraph", "Text"], *([str(i), p] for i, p in enumerate(paragraphs(text), 1))]


def _xlsx(title: str, text: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31].translate(str.maketrans("", "", "[]:*?/\\")) or "Sheet1"
    wb.properties.title = title
    wb.properties.created = _FIXED_TIME.replace(tzinfo=None)
    wb.properties.modified = _FIXED_TIME.replace(tzinfo=None)
    for row in _rows(text):
        ws.append([_number_or_text(c) for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _number_or_text(cell: str) -> float | int | str:
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


def _pptx(title: str, text: str) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    prs.core_properties.title = title
    prs.core_properties.created = _FIXED_TIME.replace(tzinfo=None)
    prs.core_properties.modified = _FIXED_TIME.replace(tzinfo=None)
    cover = prs.slides.add_slide(prs.slide_layouts[0])
    cover.shapes.title.text = title
    for i, para in enumerate(paragraphs(text), 1):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"{title} ({i})"
        slide.placeholders[1].text_frame.text = para
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _png(title: str, text: str) -> bytes:
    from PIL import Image, ImageDraw

    lines = [title, *paragraphs(text)][:12]
    img = Image.new("RGB", (640, 40 + 22 * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((16, 16 + 22 * i), line[:90], fill="black")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _json(title: str, text: str) -> bytes:
    return json.dumps({"title": title, "paragraphs": paragraphs(text)}, indent=2).encode()


def _csv(title: str, text: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(_rows(text))
    return out.getvalue().encode("utf-8")


def _md(title: str, text: str) -> bytes:
    return f"# {title}\n\n{text.strip()}\n".encode()


def _txt(title: str, text: str) -> bytes:
    return f"{title}\n\n{text.strip()}\n".encode()


_RENDERERS = {
    "pdf": _pdf,
    "docx": _docx,
    "xlsx": _xlsx,
    "pptx": _pptx,
    "png": _png,
    "json": _json,
    "csv": _csv,
    "md": _md,
    "txt": _txt,
}
