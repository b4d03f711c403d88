"""The answering interface: a question and the hits the reader may see -> a cited answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from radex.types import Answer, Hit

NOTHING_FOUND = (
    "I found nothing you can read that answers this. Try other words, or check that the "
    "space is imported and that you have access to it in Confluence."
)


class Answerer(ABC):
    """Composes an answer from retrieved hits; it sees only what the reader may see."""

    @abstractmethod
    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """An answer whose ``[n]`` markers refer to ``Answer.citations``."""
