"""extract_in_subprocess: same results as in-process, errors carried over, time and memory bound."""

from __future__ import annotations

import extract_kit as kit
import pytest

from radex.errors import ExtractionError
from radex.extract import ExtractWorker, Limits, extract, extract_in_subprocess


def test_child_returns_the_same_extraction() -> None:
    data = kit.deck()
    assert extract_in_subprocess(data, filename="deck.pptx") == extract(data, filename="deck.pptx")


def test_child_errors_come_back_as_extraction_errors() -> None:
    with pytest.raises(ExtractionError, match="the PDF is encrypted") as caught:
        extract_in_subprocess(kit.encrypted_pdf("s3cret", "owner"))
    assert caught.value.hint == "save or export it without a password, then upload it again"


def test_child_is_killed_after_the_timeout() -> None:
    with pytest.raises(ExtractionError, match=r"took longer than 0\.01 s"):
        extract_in_subprocess(kit.blank_pdf(50), limits=Limits(timeout_s=0.01))


def test_child_memory_is_capped() -> None:
    """10 million JSON numbers need well over 128 MiB: the child fails, the parent is untouched."""
    data = b"[" + b"0," * 10_000_000 + b"0]"
    with pytest.raises(ExtractionError, match="memory"):
        extract_in_subprocess(data, memory_limit=128 * 1024 * 1024)


def test_size_is_checked_before_a_child_starts() -> None:
    with pytest.raises(ExtractionError, match="the file is empty"):
        extract_in_subprocess(b"")


def test_worker_is_reused_and_replaced_after_a_timeout() -> None:
    with ExtractWorker() as worker:
        data = kit.deck()
        assert worker.extract(data, filename="deck.pptx") == extract(data, filename="deck.pptx")
        first = worker._process.pid
        with pytest.raises(ExtractionError, match="the PDF is encrypted"):
            worker.extract(kit.encrypted_pdf("s3cret", "owner"))
        assert worker._process.pid == first  # errors do not cost a new child
        slow = b"[" + b"0," * 3_000_000 + b"0]"  # parsing alone outlasts 0.05 s
        with pytest.raises(ExtractionError, match=r"took longer than 0\.05 s"):
            worker.extract(slow, limits=Limits(timeout_s=0.05))
        assert worker._process is None  # the stuck child is gone
        assert worker.extract(data, filename="deck.pptx").sections
        assert worker._process.pid != first
    assert worker._process is None


def test_worker_that_runs_out_of_memory_is_replaced() -> None:
    with ExtractWorker(memory_limit=128 * 1024 * 1024) as worker:
        with pytest.raises(ExtractionError, match="memory"):
            worker.extract(b"[" + b"0," * 10_000_000 + b"0]")
        assert worker.extract(b"# Fine\n\nstill works\n", filename="a.md").sections
