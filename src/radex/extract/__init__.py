"""Text extraction from files: sniff the format, guard the limits, one module per format.

``extract`` never raises anything but :class:`~radex.errors.ExtractionError`;
``extract_in_subprocess`` does the same in a child process with a time and memory bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from radex.errors import ExtractionError
from radex.extract.guards import check_size, check_zip
from radex.extract.isolate import CHILD_MEMORY_LIMIT, ExtractWorker, extract_in_subprocess
from radex.extract.model import DEFAULT_LIMITS, Extraction, Limits, Section
from radex.extract.sniff import (
    CSV,
    DOCX,
    HTML,
    IMAGES,
    JSON,
    MARKDOWN,
    OLE,
    OOXML,
    PDF,
    PLAIN,
    PPTX,
    XLSX,
    XML,
    ZIP,
    hinted_type,
    sniff,
)

Extractor = Callable[[bytes, Limits], Extraction]

__all__ = [
    "CHILD_MEMORY_LIMIT",
    "DEFAULT_LIMITS",
    "ExtractWorker",
    "Extraction",
    "Limits",
    "Section",
    "extract",
    "extract_in_subprocess",
    "label",
    "sniff",
]

_LABELS = {
    PDF: "PDF",
    DOCX: "DOCX",
    XLSX: "XLSX",
    PPTX: "PPTX",
    ZIP: "ZIP",
    HTML: "HTML",
    XML: "XML",
    JSON: "JSON",
    CSV: "CSV",
    MARKDOWN: "Markdown",
    PLAIN: "text",
}
_TEXT_TYPES = frozenset({PLAIN, MARKDOWN, CSV, JSON, XML, HTML})
_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_SUPPORTED = "PDF, DOCX, XLSX, PPTX, HTML, Markdown, plain text, CSV, JSON and PNG/JPEG/GIF/WebP"


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Extraction:
    """The text of ``data`` as Markdown sections; the name and type given are only hints."""
    data = bytes(data)
    check_size(len(data), limits)
    name = ""
    try:
        media = sniff(data, filename, declared_type)
        name = label(media)
        if media in OOXML or media == ZIP:
            check_zip(data, limits, name)
        result = _extractor(media)(data, limits)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError(
            f"{_what(name)} needs more memory than extraction may use",
            hint="split the file or save it in a simpler form",
        ) from exc
    except RecursionError as exc:
        raise ExtractionError(f"{_what(name)} is nested too deeply to read") from exc
    except Exception as exc:
        raise _translate(exc, name) from exc
    return _finish(result, media, hinted_type(filename, declared_type), limits)


def label(media_type: str) -> str:
    """A short name for a media type in messages: "PDF", "XLSX", "PNG image"."""
    if media_type.startswith("image/"):
        return f"{media_type.removeprefix('image/').upper()} image"
    return _LABELS.get(media_type, media_type)


def _what(name: str) -> str:
    """ "the PDF file", or "the file" before the format is known."""
    return f"the {name} file" if name else "the file"


def _extractor(media: str) -> Extractor:
    """The format module's function for a media type (imported on first use)."""
    if media == PDF:
        from radex.extract.pdf import extract_pdf

        return extract_pdf
    if media == DOCX:
        from radex.extract.docx import extract_docx

        return extract_docx
    if media == XLSX:
        from radex.extract.xlsx import extract_xlsx

        return extract_xlsx
    if media == PPTX:
        from radex.extract.pptx import extract_pptx

        return extract_pptx
    if media == HTML:
        from radex.extract.html import extract_html

        return extract_html
    if media in IMAGES:
        from radex.extract.image import extract_image

        return extract_image
    from radex.extract import text

    readers: dict[str, Extractor] = {
        PLAIN: text.extract_plain,
        XML: text.extract_plain,
        MARKDOWN: text.extract_markdown,
        CSV: text.extract_csv,
        JSON: text.extract_json,
    }
    if media in readers:
        return readers[media]
    raise _unsupported(media)


def _unsupported(media: str) -> ExtractionError:
    """The error for a format RADEX does not read."""
    if media == ZIP:
        return ExtractionError(
            "ZIP archives are not extracted", hint="unpack it and upload the files inside"
        )
    if media == OLE:
        return ExtractionError(
            "legacy Office files (.doc, .xls, .ppt) and password-protected Office files "
            "are not supported",
            hint="save it as .docx, .xlsx or .pptx without a password",
        )
    return ExtractionError(
        "unsupported file type: the content is not a format RADEX reads",
        hint=f"upload one of: {_SUPPORTED}",
    )


def _translate(exc: Exception, name: str) -> ExtractionError:
    """A library's exception as a plain reason."""
    reason = _OBJECT_REPR.sub("the file", str(exc)[:1000]).strip().strip("'\"")
    reason = " ".join(reason.split())[:300] or type(exc).__name__
    if type(exc).__name__ == "DependencyError":
        return ExtractionError(f"reading {_what(name)} needs a library that is missing: {reason}")
    if type(exc).__name__ == "PackageNotFoundError":
        reason = f"it is not a valid {name} package"
    return ExtractionError(
        f"{_what(name)} is truncated or corrupt: {reason}",
        hint="open it in the program that made it and save it again",
    )


def _finish(result: Extraction, media: str, hint: str | None, limits: Limits) -> Extraction:
    """The media type noted, a misleading name or type warned about, total characters capped."""
    warnings = list(result.warnings)
    known = hint in _LABELS or hint in IMAGES
    if known and hint != media and not (hint in _TEXT_TYPES and media in _TEXT_TYPES):
        said = label(str(hint))
        warnings.insert(0, f"the name or declared type says {said}, the content is {label(media)}")
    sections, truncated = result.sections, result.truncated
    if result.chars > limits.max_chars:
        sections, truncated = _cap(sections, limits.max_chars), True
        warnings.append(f"text cut at {limits.max_chars:,} characters")
    return replace(
        result, media_type=media, sections=sections, warnings=tuple(warnings), truncated=truncated
    )


def _cap(sections: tuple[Section, ...], max_chars: int) -> tuple[Section, ...]:
    """Sections kept whole until the budget, the next one cut, the rest dropped."""
    kept: list[Section] = []
    left = max_chars
    for section in sections:
        if left <= 0:
            break
        kept.append(
            section if len(section.text) <= left else replace(section, text=section.text[:left])
        )
        left -= len(section.text)
    return tuple(kept)
