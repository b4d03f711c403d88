"""Which format a file is, from its content; the name and declared type only break text ties."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from radex.extract.decode import decode_text, is_texty

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ZIP = "application/zip"
OLE = "application/x-ole-storage"
HTML = "text/html"
XML = "application/xml"
JSON = "application/json"
CSV = "text/csv"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"
BINARY = "application/octet-stream"
IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
OOXML = (DOCX, XLSX, PPTX)

_OOXML_PARTS = ((b"word/", DOCX), (b"xl/", XLSX), (b"ppt/", PPTX))
_SUFFIXES = {
    "md": MARKDOWN,
    "markdown": MARKDOWN,
    "csv": CSV,
    "tsv": CSV,
    "json": JSON,
    "html": HTML,
    "htm": HTML,
    "txt": PLAIN,
    "text": PLAIN,
    "log": PLAIN,
    "docx": DOCX,
    "xlsx": XLSX,
    "pptx": PPTX,
    "pdf": PDF,
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
_HTML_TAG = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p|h[1-6]|table|ul|ol)[\s>/]",
    re.IGNORECASE,
)
_MD_SIGNS = (  # each bounded and free of nested quantifiers: no catastrophic backtracking
    re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE),
    re.compile(r"^(?:```|~~~)", re.MULTILINE),
    re.compile(r"^[ \t]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE),
    re.compile(r"\[[^\[\]\n]{1,200}\]\([^()\s]{1,500}\)"),
    re.compile(r"(\*\*|__)[^\s*_][^\n*_]{0,200}(?<=\S)\1"),
    re.compile(r"^[ \t]{0,3}\|?[ \t]{0,3}:?-{3,}:?[ \t]{0,3}\|[ \t]{0,3}:?-{3,}", re.MULTILINE),
    re.compile(r"^>[ \t]", re.MULTILINE),
)
_CSV_DELIMITERS = ",;\t"
_CSV_SAMPLE_LINES = 50


def sniff(data: bytes, filename: str | None = None, declared: str | None = None) -> str:
    """The media type of ``data`` by content (magic bytes, zip members, markup, parse)."""
    hint = hinted_type(filename, declared)
    head = data[:16]
    if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"%PDF-":
        return PDF
    image = image_type(head)
    if image is not None:
        return image
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(data, hint)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if not is_texty(data):
        return BINARY
    return _text_type(data, hint)


def image_type(head: bytes) -> str | None:
    """The image media type the first bytes announce (PNG, JPEG, GIF, WebP), if any."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def csv_dialect(text: str, min_rows: int = 2) -> str | None:
    """The delimiter that splits the first lines into the same number (≥ 2) of fields, if any."""
    lines = text[:262144].splitlines()
    sample = [line for line in lines[:_CSV_SAMPLE_LINES] if line.strip()]
    if len(sample) < min_rows:
        return None
    for delimiter in _CSV_DELIMITERS:
        if delimiter not in sample[0]:
            continue
        try:
            rows = list(csv.reader(io.StringIO("\n".join(sample)), delimiter=delimiter))
        except csv.Error:
            continue
        if len(lines) > _CSV_SAMPLE_LINES or len(text) > 262144:
            rows = rows[:-1]  # a quoted field may run past the sample
        widths = {len(r) for r in rows}
        if len(rows) >= min_rows and len(widths) == 1 and widths.pop() >= 2:
            return delimiter
    return None


def hinted_type(filename: str | None, declared: str | None) -> str | None:
    """A media type the name's suffix or the declared type suggests (never a path)."""
    if declared:
        kind = declared.split(";", 1)[0].strip().lower()
        if kind and kind != BINARY:
            return {"text/x-markdown": MARKDOWN, "text/tab-separated-values": CSV}.get(kind, kind)
    if filename:
        base = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if "." in base:
            return _SUFFIXES.get(base.rsplit(".", 1)[-1])
    return None


def _zip_type(data: bytes, hint: str | None) -> str:
    """DOCX, XLSX or PPTX by their parts; a plain zip otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n.encode("utf-8", "replace") for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # No readable central directory (e.g. a cut file): the local headers still name parts.
        for marker, kind in _OOXML_PARTS:
            if re.search(rb"PK\x03\x04.{26}" + re.escape(marker), data, re.DOTALL):
                return kind
        if hint in OOXML:
            return str(hint)
        return ZIP
    if b"[Content_Types].xml" in names:
        for marker, kind in _OOXML_PARTS:
            if any(n.startswith(marker) for n in names):
                return kind
    return ZIP


def _text_type(data: bytes, hint: str | None) -> str:
    """HTML, XML, JSON, CSV, Markdown or plain text."""
    stripped = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _starts_with_html(stripped[:4096]):
        return HTML
    if stripped[:5] == b"<?xml":
        return HTML if re.search(rb"<html[\s>]", stripped[:4096], re.IGNORECASE) else XML
    text = decode_text(data).text
    if stripped[:1] in (b"{", b"["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return JSON
    if hint == HTML and re.search(r"<[a-zA-Z][^>]*>", text[:4096]):
        return HTML
    if hint in (MARKDOWN, PLAIN):
        return str(hint)
    if hint == CSV and csv_dialect(text) is not None:
        return CSV
    if csv_dialect(text, min_rows=3) is not None and not _looks_markdown(text):
        return CSV
    return MARKDOWN if _looks_markdown(text) else PLAIN


def _starts_with_html(head: bytes) -> bool:
    """True when the first tag, after any comments, is an HTML one."""
    while head.startswith(b"<!--"):
        end = head.find(b"-->")
        if end < 0:
            return False
        head = head[end + 3 :].lstrip()
    return _HTML_TAG.match(head) is not None


def _looks_markdown(text: str) -> bool:
    """Two or more different Markdown constructs in the first 64 KB."""
    sample = text[:65536]
    return sum(1 for sign in _MD_SIGNS if sign.search(sample)) >= 2
