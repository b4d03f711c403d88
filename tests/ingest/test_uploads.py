"""Uploads into RADEX folders: real files made here, hostile ones, versions, who may read them."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from fpdf import FPDF
from ingest_kit import services
from typer.testing import CliRunner

from radex.app import Services
from radex.cli import app
from radex.errors import InputError
from radex.ingest.uploads import UploadFile, read_files
from radex.types import Principal


def pdf_bytes(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def docx_bytes(heading: str, paragraph: str) -> bytes:
    document = docx.Document()
    document.add_heading(heading, level=1)
    document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    s = services(tmp_path / "home")
    yield s
    s.close()


def upload(svc: Services, files: list[UploadFile], folder: str = "/Docs") -> Any:
    return asyncio.run(svc.uploader().upload(files, folder))


def test_uploaded_pdf_is_answered_with_file_and_page(svc: Services) -> None:
    pdf = pdf_bytes(
        [
            "Travel policy. Economy class for flights under six hours.",
            "Hotel nights are reimbursed up to 140 euros in Hamburg and 120 euros in Lisbon.",
        ]
    )
    report = upload(svc, [UploadFile("travel-policy.pdf", pdf)])
    assert report.outcomes == {"travel-policy.pdf": "imported"}
    hits = svc.search("hotel night reimbursement Lisbon", k=3)
    assert hits[0].title == "travel-policy.pdf"
    assert hits[0].heading == "Page 2"
    assert hits[0].url == "radex:/Docs/travel-policy.pdf#page=2"
    answer = svc.ask("How much is a hotel night in Lisbon reimbursed?")
    assert "120 euros" in answer.text
    assert answer.citations[0].heading == "Page 2"
    outsider = {Principal("user", "someone-else")}
    assert svc.retriever.search("hotel night reimbursement Lisbon", outsider) == []


def test_same_bytes_change_nothing_new_bytes_make_a_version(svc: Services) -> None:
    first = docx_bytes("Laptop refresh", "Laptops are replaced every three years.")
    upload(svc, [UploadFile("laptops.docx", first)])
    again = upload(svc, [UploadFile("laptops.docx", first)])
    assert again.outcomes == {"laptops.docx": "unchanged"}
    changed = docx_bytes("Laptop refresh", "Laptops are replaced every four years.")
    third = upload(svc, [UploadFile("laptops.docx", changed)])
    assert third.outcomes == {"laptops.docx": "updated"}
    doc = next(svc.store.documents(folder_path="/Docs"))
    assert doc.version == 2
    assert "four years" in svc.search("how often are laptops replaced", k=1)[0].text


def test_hostile_files_are_failed_items_and_the_rest_goes_on(svc: Services) -> None:
    good = UploadFile("notes.md", b"# Notes\n\nThe staging database is rebuilt every Sunday.\n")
    empty = UploadFile("empty.txt", b"")
    truncated = UploadFile("budget.xlsx", docx_bytes("x", "y")[:400])
    traversal = UploadFile("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
    liar = UploadFile("report.pdf", b"# Actually Markdown\n\nThe liar file talks about kittens.\n")
    report = upload(svc, [good, empty, truncated, traversal, liar])
    failed = dict(report.failures)
    assert set(failed) == {"empty.txt", "budget.xlsx"}
    assert "empty" in failed["empty.txt"]
    assert report.outcomes["passwd"] == "imported"  # the name is only a label
    assert report.outcomes["report.pdf"] == "imported"  # read by content, not by name
    assert svc.search("kittens", k=1)[0].title == "report.pdf"
    assert {d.external_id for d in svc.store.documents()} == {
        "/Docs/notes.md",
        "/Docs/passwd",
        "/Docs/report.pdf",
    }


def test_missing_or_too_large_files_are_refused_before_anything(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a file"):
        read_files([tmp_path / "nope.pdf"], services(tmp_path / "h").limits)


def test_upload_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADEX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RADEX_EMBEDDER", "hashing")
    monkeypatch.setenv("RADEX_MAX_IMPORT_SIZE_MB", "1")
    (tmp_path / "a.md").write_text("# Coffee\n\nThe coffee machine is on the third floor.\n")
    (tmp_path / "big.bin").write_bytes(b"0" * (2 * 1024 * 1024))
    runner = CliRunner()
    ok = runner.invoke(app, ["upload", str(tmp_path / "a.md"), "--folder", "/Office"])
    assert ok.exit_code == 0, ok.output
    assert "imported\ta.md" in ok.output
    big = runner.invoke(app, ["upload", str(tmp_path / "big.bin"), "--folder", "/Office"])
    assert big.exit_code == 2
    assert "over the limit of 1 MB" in big.output
    hits = json.loads(runner.invoke(app, ["search", "coffee machine", "--json"]).output)
    assert hits[0]["title"] == "a.md"
