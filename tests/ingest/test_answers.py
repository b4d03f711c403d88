"""Questions about the sample handbook find the right page, with the real MiniLM embedder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_kit import admin_credential, make_emulator, sample_with_extras, served, services

from radex.app import Services
from radex.ingest.plan import ImportTarget
from radex.types import Principal

QUESTIONS = [
    ("How quickly must a SEV1 page be acknowledged?", "Incident severity levels"),
    ("Can I deploy to production on a Friday afternoon?", "FAQ"),
    ("How do I roll back a bad release?", "Rollback procedure"),
    ("Who must approve an exception to a change freeze?", "Deployment windows and change freezes"),
    (
        "Which database do we use by default and why?",
        "ADR-001: PostgreSQL as the default datastore",
    ),
    ("Where do secrets like API keys have to be stored?", "Secrets handling"),
    ("What goes into a blameless postmortem?", "Postmortem template"),
    ("What does TEU mean?", "Glossary"),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    emu = make_emulator(sample_with_extras(), "cloud")
    with served(emu) as url:
        svc = services(Path(tmp_path_factory.mktemp("kb")), embedder="minilm")

        async def go() -> None:
            source = await svc.sources.connect("s", url, admin_credential(emu))
            async with svc.sources.open(source) as client:
                report = await svc.importer(source, client).run(ImportTarget.space("ENG"))
                assert report.ok, report.failures

        asyncio.run(go())
        yield svc
        svc.close()


@pytest.mark.parametrize(("question", "title"), QUESTIONS)
def test_question_finds_its_page(kb: Services, question: str, title: str) -> None:
    hits = kb.search(question, k=3)
    assert title in [h.title for h in hits], [h.title for h in hits]
    answer = kb.ask(question)
    assert answer.found
    assert title in [c.title for c in answer.citations]
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert c.url.startswith("http://127.0.0.1")


def test_deep_links_carry_the_heading_anchor(kb: Services) -> None:
    hits = kb.search("Can I deploy on a Friday afternoon?", k=1)
    assert hits[0].url.endswith("#Can-I-deploy-on-a-Friday-afternoon?")


def test_nothing_readable_is_said_plainly(kb: Services) -> None:
    outsider = {Principal("user", "nobody"), Principal("group", "people")}
    hits = kb.retriever.search("How quickly must a SEV1 page be acknowledged?", outsider)
    assert hits == []
    answer = kb.answerer.answer("How quickly must a SEV1 page be acknowledged?", hits)
    assert not answer.found
    assert "nothing you can read" in answer.text


def test_answer_inside_a_pdf_attachment_cites_the_file_and_page(kb: Services) -> None:
    answer = kb.ask("How much is the weekly allowance for the primary on-call rotation?")
    pdf = [c for c in answer.citations if c.title.startswith("oncall-compensation-policy-2026.pdf")]
    assert pdf, answer
    assert pdf[0].url.endswith("oncall-compensation-policy-2026.pdf#page=1")
    assert pdf[0].heading == "Page 1"
    assert "420" in answer.text


def test_comments_are_searchable_and_link_to_their_page(kb: Services) -> None:
    hits = kb.search("Colima needed 8 GB of memory for the ledger integration tests", k=3)
    comment = next(h for h in hits if h.title.startswith("Comment by"))
    assert "focusedCommentId=" in comment.url
