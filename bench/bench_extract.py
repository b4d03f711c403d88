"""Text extraction throughput per format: MB/s and pages (slides, sheets, rows) per second.

Files are generated in memory with the libraries office tools are written with (fpdf2,
python-docx, openpyxl, python-pptx) and filled with seeded pseudo-prose: a multi-page PDF of
paragraphs, a DOCX with headings, lists and tables, an XLSX with a few thousand rows, a
50-slide PPTX with bullets, tables and notes, an HTML page and a CSV file. Each is extracted
in-process with ``radex.extract.extract``; the best of the repeats counts. The cost of the
isolated path (``extract_in_subprocess``: a spawned child per file) is measured once per format.

Run: ``.venv/bin/python -m bench.bench_extract [--repeats R] [--scale S]``.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import docx
import openpyxl
import pptx
from fpdf import FPDF
from pptx.util import Inches

from radex.extract import Extraction, extract, extract_in_subprocess

_VOCABULARY = (
    "the a of to and in for on with as by at from that this is are be will can page space "
    "release plan team review budget customer service deploy incident policy access report "
    "quarter migration backlog roadmap security onboarding design meeting owner status risk"
)
_WORDS = _VOCABULARY.split()


@dataclass(frozen=True)
class Sample:
    """One generated file and how many pages (slides, sheets, rows) it has."""

    name: str
    data: bytes
    units: int
    unit: str


@dataclass(frozen=True)
class Row:
    """Figures for one sample."""

    sample: Sample
    seconds: float
    isolated_seconds: float
    chars: int

    @property
    def mb_per_s(self) -> float:
        """Input megabytes (10^6 bytes) read per second."""
        return len(self.sample.data) / 1e6 / self.seconds

    @property
    def units_per_s(self) -> float:
        """Pages, slides, sheets or rows per second."""
        return self.sample.units / self.seconds


def _prose(rng: random.Random, words: int) -> str:
    """Seeded sentences of ``words`` words."""
    out = []
    for _ in range(max(1, words // 12)):
        sentence = " ".join(rng.choice(_WORDS) for _ in range(12))
        out.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(out)


def make_pdf(pages: int, rng: random.Random) -> Sample:
    """A PDF of ``pages`` pages, a heading line and three paragraphs each."""
    doc = FPDF()
    doc.set_font("helvetica", size=10)
    for n in range(pages):
        doc.add_page()
        doc.multi_cell(
            0, 5, f"Section {n + 1}\n\n" + "\n\n".join(_prose(rng, 110) for _ in range(3))
        )
    return Sample("PDF", bytes(doc.output()), pages, "pages")


def make_docx(sections: int, rng: random.Random) -> Sample:
    """A DOCX of ``sections`` headed sections with paragraphs, a list and a table each."""
    doc = docx.Document()
    for n in range(sections):
        doc.add_heading(f"Section {n + 1}", 1 + n % 2)
        for _ in range(3):
            doc.add_paragraph(_prose(rng, 80))
        for _ in range(3):
            doc.add_paragraph(_prose(rng, 10), style="List Bullet")
        table = doc.add_table(rows=4, cols=3)
        for row in table.rows:
            for cell in row.cells:
                cell.text = _prose(rng, 3)
    out = io.BytesIO()
    doc.save(out)
    return Sample("DOCX", out.getvalue(), sections, "sections")


def make_xlsx(rows: int, rng: random.Random) -> Sample:
    """An XLSX with three sheets; the first has ``rows`` rows of eight mixed columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Ledger"
    sheet.append(["Id", "Date", "Account", "Owner", "Amount", "Tax", "Paid", "Memo"])
    for n in range(rows):
        amount = round(rng.uniform(1, 5000), 2)
        sheet.append(
            [n, f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}", rng.choice(_WORDS), rng.choice(_WORDS),
             amount, round(amount * 0.2, 2), n % 3 == 0, _prose(rng, 6)]
        )  # fmt: skip
    for name in ("Summary", "Notes"):
        extra = book.create_sheet(name)
        for n in range(50):
            extra.append([name, n, _prose(rng, 8)])
    out = io.BytesIO()
    book.save(out)
    return Sample("XLSX", out.getvalue(), rows + 100, "rows")


def make_pptx(slides: int, rng: random.Random) -> Sample:
    """A PPTX of ``slides`` slides: title, four bullets, notes; a table on every fifth."""
    deck = pptx.Presentation()
    for n in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide {n + 1}: {_prose(rng, 4)}"
        frame = slide.placeholders[1].text_frame
        frame.text = _prose(rng, 10)
        for level in (0, 1, 1):
            para = frame.add_paragraph()
            para.text, para.level = _prose(rng, 10), level
        slide.notes_slide.notes_text_frame.text = _prose(rng, 40)
        if n % 5 == 4:
            grid = slide.shapes.add_table(4, 3, Inches(1), Inches(5), Inches(6), Inches(1.5)).table
            for r in range(4):
                for c in range(3):
                    grid.cell(r, c).text = _prose(rng, 2)
    out = io.BytesIO()
    deck.save(out)
    return Sample("PPTX", out.getvalue(), slides, "slides")


def make_html(sections: int, rng: random.Random) -> Sample:
    """An HTML page of ``sections`` sections: heading, paragraphs with links, list, table."""
    parts = ["<!DOCTYPE html><html><head><title>Handbook</title><style>p{}</style></head><body>"]
    for n in range(sections):
        parts.append(f"<h2>Section {n + 1}</h2>")
        parts += [f"<p>{_prose(rng, 60)} <a href='/wiki/{n}'>more</a></p>" for _ in range(3)]
        parts.append("<ul>" + "".join(f"<li>{_prose(rng, 8)}</li>" for _ in range(4)) + "</ul>")
        rows = "".join(
            "<tr>" + "".join(f"<td>{_prose(rng, 3)}</td>" for _ in range(3)) + "</tr>"
            for _ in range(4)
        )
        parts.append(f"<table><tr><th>A</th><th>B</th><th>C</th></tr>{rows}</table>")
    parts.append("</body></html>")
    return Sample("HTML", "".join(parts).encode(), sections, "sections")


def make_csv(rows: int, rng: random.Random) -> Sample:
    """A CSV of ``rows`` rows of six columns."""
    lines = ["id,account,owner,amount,paid,memo"]
    lines += [
        f"{n},{rng.choice(_WORDS)},{rng.choice(_WORDS)},{rng.uniform(1, 5000):.2f},"
        f'{n % 2 == 0},"{_prose(rng, 6)}"'
        for n in range(rows)
    ]
    return Sample("CSV", ("\n".join(lines) + "\n").encode(), rows, "rows")


def samples(scale: float) -> list[Sample]:
    """The generated files (seed 7); ``scale`` multiplies their sizes."""
    rng = random.Random(7)

    def n(base: int) -> int:
        return max(1, round(base * scale))

    makers: list[Callable[[], Sample]] = [
        lambda: make_pdf(n(100), rng),
        lambda: make_docx(n(100), rng),
        lambda: make_xlsx(n(4000), rng),
        lambda: make_pptx(n(50), rng),
        lambda: make_html(n(300), rng),
        lambda: make_csv(n(4900), rng),
    ]
    return [make() for make in makers]


def measure(sample: Sample, repeats: int) -> Row:
    """Best-of-``repeats`` in-process time, and one isolated (child process) run."""
    result: Extraction = extract(sample.data)  # warm-up: imports, caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = extract(sample.data)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    extract_in_subprocess(sample.data)
    isolated = time.perf_counter() - start
    return Row(sample, best, isolated, result.chars)


def main() -> None:
    """Generate, measure and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best counts)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the file sizes")
    args = parser.parse_args()
    print(
        f"{'format':<6} {'size KB':>8} {'units':>12} {'chars':>9} {'ms':>8} "
        f"{'MB/s':>6} {'units/s':>10} {'isolated ms':>12}"
    )
    for sample in samples(args.scale):
        row = measure(sample, args.repeats)
        units = f"{sample.units} {sample.unit}"
        print(
            f"{sample.name:<6} {len(sample.data) / 1024:>8.0f} {units:>12} {row.chars:>9,} "
            f"{row.seconds * 1000:>8.1f} {row.mb_per_s:>6.2f} {row.units_per_s:>10,.0f} "
            f"{row.isolated_seconds * 1000:>12.0f}"
        )


if __name__ == "__main__":
    main()
