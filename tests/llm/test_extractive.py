"""The extractive answerer: best sentences cited, tables as rows, nothing found said plainly."""

from __future__ import annotations

from radex.llm.extractive import ExtractiveAnswerer, sentences, terms
from radex.types import Hit


def hit(doc: str, text: str, heading: str | None = None) -> Hit:
    return Hit(
        f"{doc}:0", doc, f"ext-{doc}", f"Title {doc}", f"https://wiki/{doc}", 1.0, "", text, heading
    )


def test_table_rows_become_header_value_sentences() -> None:
    md = "| Severity | Acknowledge |\n|---|---|\n| SEV1 | 5 minutes |\n| SEV2 | 15 minutes |\n"
    assert sentences(md) == [
        "Severity: SEV1; Acknowledge: 5 minutes",
        "Severity: SEV2; Acknowledge: 15 minutes",
    ]


def test_light_stemming_meets_word_forms() -> None:
    assert terms("acknowledged")[0] == terms("acknowledge")[0] == terms("acknowledgement")[0]
    assert terms("rotations") == terms("rotate")


def test_answer_cites_each_source_once_in_order() -> None:
    hits = [
        hit("a", "Rollbacks need no approval. The canteen opens at noon."),
        hit("b", "A rollback is posted in #deployments after it is done."),
    ]
    answer = ExtractiveAnswerer().answer("Do rollbacks need approval?", hits)
    assert answer.found
    assert answer.text.startswith("Rollbacks need no approval. [1]")
    assert "canteen" not in answer.text
    assert answer.citations[0].external_id == "ext-a"
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text


def test_a_matching_heading_lifts_its_sentences_and_questions_rank_low() -> None:
    hits = [
        hit(
            "faq",
            "Is Friday special? No. Only low-risk changes go out on Fridays.",
            "Can I deploy on a Friday?",
        ),
        hit("other", "Friday is pizza day for the deploy team."),
    ]
    answer = ExtractiveAnswerer(max_sentences=1).answer("Can I deploy on a Friday?", hits)
    assert "low-risk" in answer.text or answer.text.startswith("No.")
    assert "?" not in answer.text.split("[")[0]


def test_no_hits_means_a_plain_nothing_found() -> None:
    answer = ExtractiveAnswerer().answer("anything", [])
    assert not answer.found
    assert answer.citations == ()
    assert "nothing you can read" in answer.text


def test_a_title_line_names_the_subject_but_does_not_lead_the_answer() -> None:
    policy = "On-call compensation policy 2026\n\nOne on the primary rotation receives EUR 420."
    hits = [hit("pdf", policy), hit("page", "- Primary rotation allowance doubles on holidays")]
    answer = ExtractiveAnswerer(max_sentences=2).answer(
        "What is the on-call compensation for the primary rotation?", hits
    )
    assert answer.text.startswith("One on the primary rotation receives EUR 420. [1]")
    assert "policy 2026" not in answer.text
    assert "doubles on holidays. [2]" in answer.text  # a list item without a full stop counts
