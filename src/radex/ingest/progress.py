"""Progress of a long job, reported stage by stage (the CLI draws bars, tests count)."""

from __future__ import annotations

from typing import Literal, Protocol

Stage = Literal["listed", "fetched", "converted", "embedded"]
STAGES: tuple[Stage, ...] = ("listed", "fetched", "converted", "embedded")


class Progress(Protocol):
    """Receives how far each stage of an import has come."""

    def total(self, stage: Stage, total: int) -> None:
        """The stage will handle ``total`` items (may be called again as the total grows)."""

    def expect(self, stage: Stage, n: int) -> None:
        """``n`` more items are on their way to the stage (its total grows by ``n``)."""

    def advance(self, stage: Stage, n: int = 1) -> None:
        """``n`` more items passed the stage."""


class NoProgress:
    """A Progress that ignores everything."""

    def total(self, stage: Stage, total: int) -> None:
        """Ignore."""

    def expect(self, stage: Stage, n: int) -> None:
        """Ignore."""

    def advance(self, stage: Stage, n: int = 1) -> None:
        """Ignore."""
