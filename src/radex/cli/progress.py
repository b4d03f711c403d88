"""Rich progress bars for imports: pages listed, fetched, converted and embedded."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
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
    "embedded": "items embedded",
}


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        """The stage's current rate."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:6.1f}/s" if speed else "     -/s", style="progress.data.speed")


class CountColumn(ProgressColumn):
    """Items done out of the stage's total ("?" while it is not known; "0/0" for none)."""

    def render(self, task: Task) -> Text:
        """``done/total`` of the stage."""
        total = task.fields.get("of")
        done = int(task.completed) if total else 0
        return Text(f"{done}/{'?' if total is None else total}", style="progress.download")


class RichImportProgress:
    """One bar per import stage with count, rate and ETA (drawn on stderr)."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            CountColumn(),
            RateColumn(),
            TextColumn("•"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[Stage, TaskID] = {
            stage: self._bars.add_task(_LABELS[stage], total=None, of=None) for stage in STAGES
        }
        self._totals: dict[Stage, int] = {}
        self._done: dict[Stage, int] = {}

    def __enter__(self) -> RichImportProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:  # a stage nothing reached had nothing to do: 0/0, not 0/?
            for stage in STAGES:
                if stage not in self._totals:
                    self.total(stage, 0)
        self._bars.stop()

    def total(self, stage: Stage, total: int) -> None:
        """Set a stage's total."""
        self._totals[stage] = total
        self._draw(stage)

    def expect(self, stage: Stage, n: int) -> None:
        """Grow a stage's total by ``n``."""
        self.total(stage, self._totals.get(stage, 0) + n)

    def advance(self, stage: Stage, n: int = 1) -> None:
        """Move a stage on."""
        self._done[stage] = self._done.get(stage, 0) + n
        self._draw(stage)

    def _draw(self, stage: Stage) -> None:
        """Show a stage's count and total (a zero total as a full bar: rich cannot draw it)."""
        total, done = self._totals.get(stage), self._done.get(stage, 0)
        task = self._tasks[stage]
        if total == 0 and not done:
            self._bars.update(task, total=1, completed=1, of=0)
        else:
            self._bars.update(task, total=total, completed=done, of=total)
