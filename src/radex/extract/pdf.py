"""PDF: the text layer of each page (pypdf), one section per page; no OCR."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from radex.errors import ExtractionError
from radex.extract.md import Budget, escape_lines, tidy
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import PDF

_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_MAX_DEPTH = 64
_MAX_NODES_PER_PAGE = 8
NO_TEXT = "no text layer (scanned?); OCR is not enabled"


def extract_pdf(data: bytes, limits: Limits) -> Extraction:
    """The text layer of the first ``max_pages`` pages, located as "page N"."""
    reader = PdfReader(io.BytesIO(data))
    warnings: list[str] = []
    if reader.is_encrypted:
        if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ExtractionError(
                "the PDF is encrypted",
                hint="save or export it without a password, then upload it again",
            )
        warnings.append("the PDF is encrypted with an empty password; read anyway")
    budget = Budget(limits)
    sections: list[Section] = []
    read = blank = 0
    truncated = False
    for number, page in enumerate(_pages(reader, limits.max_pages + 1), start=1):
        if number > limits.max_pages:
            truncated = True
            warnings.append(
                f"the PDF has more than {limits.max_pages} pages "
                f"(its page tree claims {_claimed(reader)}); only the first "
                f"{limits.max_pages} were read"
            )
            break
        if budget.exhausted:
            truncated = True
            warnings.append(f"stopped after page {read}: {budget.reason()}")
            break
        read += 1
        text = tidy(escape_lines(page.extract_text() or ""))
        if not text.strip():
            blank += 1
            continue
        budget.spend(text)
        sections.append(Section(text, locator=f"page {number}"))
    if read and not sections:
        warnings.append(NO_TEXT)
    elif blank:
        warnings.append(
            f"{blank} of {read} pages have no text layer (scanned?); OCR is not enabled"
        )
    return Extraction(PDF, tuple(sections), _title(reader), tuple(warnings), truncated)


def _pages(reader: PdfReader, most: int) -> Iterator[PageObject]:
    """Leaf pages in order, walking the page tree lazily: never more than ``most`` pages."""
    root = reader.trailer["/Root"].get_object()
    tree = root.get("/Pages") if isinstance(root, DictionaryObject) else None
    tree = tree.get_object() if tree is not None else None
    if not isinstance(tree, DictionaryObject):
        raise ExtractionError("the PDF file is truncated or corrupt: it has no page tree")
    seen = {id(tree)}
    stack: list[tuple[Iterator[object], dict[NameObject, PdfObject]]] = [_enter(tree, {})]
    yielded = visited = 0
    while stack and yielded < most and visited < _MAX_NODES_PER_PAGE * most:
        kids, inherited = stack[-1]
        kid = next(kids, None)
        if kid is None:
            stack.pop()
            continue
        visited += 1
        node = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if not isinstance(node, DictionaryObject) or not node or id(node) in seen:
            continue  # junk, an empty entry, or a node reached twice (a cycle)
        if node.get("/Type") == "/Pages" or ("/Kids" in node and node.get("/Type") != "/Page"):
            if len(stack) >= _MAX_DEPTH:
                raise ExtractionError("the PDF file is corrupt: its page tree is nested too deeply")
            seen.add(id(node))
            stack.append(_enter(node, inherited))
            continue
        page = PageObject(reader, kid if isinstance(kid, IndirectObject) else None)
        if not isinstance(kid, IndirectObject):
            page.update(node)
        for key, value in inherited.items():
            if key not in page:
                page[key] = value
        yielded += 1
        yield page


def _enter(
    node: DictionaryObject, inherited: dict[NameObject, PdfObject]
) -> tuple[Iterator[object], dict[NameObject, PdfObject]]:
    """An iterator over a /Pages node's kids and the attributes they inherit."""
    passed = dict(inherited)
    passed.update({NameObject(k): node.raw_get(k) for k in _INHERITED if k in node})
    kids = node.get("/Kids")
    kids = kids.get_object() if kids is not None else None
    return iter(kids if isinstance(kids, ArrayObject) else ()), passed


def _claimed(reader: PdfReader) -> str:
    """The page count the page tree's root claims, as text."""
    try:
        count = reader.trailer["/Root"].get_object()["/Pages"].get_object()["/Count"]  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return "no count"
    return f"{int(count):,} pages" if isinstance(count, int) else "no count"


def _title(reader: PdfReader) -> str | None:
    """The document information title, when there is a usable one."""
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:  # a broken info dictionary only costs the title
        return None
    title = " ".join(str(title or "").split())
    return title[:500] or None
