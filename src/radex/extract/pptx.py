"""PPTX: per slide its title, text frames, tables, chart titles and speaker notes (python-pptx)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pptx
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

from radex.extract.md import Budget, escape_lines, gfm_table, inline, join_blocks
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import PPTX

_BULLETED = (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)
_TITLES = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE)
_MAX_GROUP_DEPTH = 16


def extract_pptx(data: bytes, limits: Limits) -> Extraction:
    """Each slide (up to ``max_slides``) as a section located "slide N", titled by its title."""
    deck = pptx.Presentation(io.BytesIO(data))
    budget = Budget(limits)
    slides = list(deck.slides)
    warnings: list[str] = []
    truncated = len(slides) > limits.max_slides
    if truncated:
        warnings.append(
            f"the deck has {len(slides)} slides; only the first {limits.max_slides} were read"
        )
    sections: list[Section] = []
    for number, slide in enumerate(slides[: limits.max_slides], start=1):
        if budget.exhausted:
            truncated = True
            warnings.append(f"stopped before slide {number}: {budget.reason()}")
            break
        title, body = _slide(slide)
        if title or body:
            budget.spend(body)
            sections.append(Section(body, locator=f"slide {number}", heading=title))
    title = inline(str(deck.core_properties.title or "")) or next(
        (s.heading for s in sections if s.heading), None
    )
    return Extraction(PPTX, tuple(sections), title, tuple(warnings), truncated)


def _slide(slide: Any) -> tuple[str | None, str]:
    """The slide's title and its other content as Markdown (speaker notes last)."""
    title: str | None = None
    blocks: list[str] = []
    for shape in _shapes(slide.shapes, 0):
        if title is None and _is_title(shape):
            title = inline(shape.text_frame.text.replace("\v", " ")) or None
            if title:
                continue
        blocks.append(_shape(shape))
    notes = _notes(slide)
    if notes:
        blocks.append(f"### Speaker notes\n\n{notes}")
    return title, join_blocks(blocks)


def _shapes(shapes: Any, depth: int) -> Iterator[Any]:
    """Shapes in document order, group members flattened (bounded depth)."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            if depth < _MAX_GROUP_DEPTH:
                yield from _shapes(shape.shapes, depth + 1)
            continue
        yield shape


def _is_title(shape: Any) -> bool:
    """True for a title placeholder with a text frame."""
    if not (shape.is_placeholder and shape.has_text_frame):
        return False
    return shape.placeholder_format.type in _TITLES


def _shape(shape: Any) -> str:
    """One shape's text: bullets for body placeholders, tables as GFM, chart titles."""
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[c.text for c in row.cells] for row in shape.table.rows]
        return gfm_table(rows) if rows else ""
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        if chart.has_title and chart.chart_title.has_text_frame:
            name = inline(chart.chart_title.text_frame.text)
            return f"Chart: {name}" if name else ""
        return ""
    if not shape.has_text_frame:
        return ""
    bulleted = shape.is_placeholder and shape.placeholder_format.type in _BULLETED
    return _text_frame(shape.text_frame, bulleted=bulleted)


def _text_frame(frame: Any, *, bulleted: bool) -> str:
    """Paragraphs of a text frame; list items when bulleted or indented."""
    lines: list[str] = []
    for paragraph in frame.paragraphs:
        text = escape_lines(inline(paragraph.text.replace("\v", " ")))
        if not text:
            continue
        level = int(paragraph.level or 0)
        if bulleted or level:
            lines.append("  " * min(level, 8) + "- " + text)
        else:
            lines.append(("\n" if lines else "") + text)
    return "\n".join(lines)


def _notes(slide: Any) -> str:
    """The speaker notes' text, or ""."""
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    if frame is None:
        return ""
    return _text_frame(frame, bulleted=False)
