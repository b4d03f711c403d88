"""Answer composers: extractive (offline, the default) and, later, LLM chat models."""

from radex.llm.base import Answerer
from radex.llm.extractive import ExtractiveAnswerer

__all__ = ["Answerer", "ExtractiveAnswerer"]
