"""Rich progress bars for imports: pages listed, fetched, converted and embedded."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from radex.ingest.progress import STAGES, Stage

_LABELS: dict[Stage, str] = {
    "listed": "pages listed",
    "fetched": "pages fetched",
    "converted": "pages converted",
    "embedded": "pages embedded",
}


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        """The stage's current rate."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:6.1f}/s" if speed else "     -/s", style="progress.data.speed")


class RichImportProgress:
    """One bar per import stage with count, rate and ETA (drawn on stderr)."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("•"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[Stage, TaskID] = {
            stage: self._bars.add_task(_LABELS[stage], total=None) for stage in STAGES
        }

    def __enter__(self) -> RichImportProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def total(self, stage: Stage, total: int) -> None:
        """Set a stage's total."""
        self._bars.update(self._tasks[stage], total=total)
        if total == 0:
            self._bars.update(self._tasks[stage], total=1, completed=1)

    def advance(self, stage: Stage, n: int = 1) -> None:
        """Move a stage on."""
        self._bars.advance(self._tasks[stage], n)
