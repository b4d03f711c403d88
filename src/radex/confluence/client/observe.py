"""What the client reports: one structured log event per retry, wait and failure, plus counters."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("radex.confluence.client")

EventSink = Callable[["ClientEvent"], None]
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


@dataclass(frozen=True)
class ClientEvent:
    """One thing worth knowing: ``name`` (e.g. ``retry``) and its fields."""

    name: str
    fields: dict[str, Any]


@dataclass
class Observer:
    """Counts events and logs them as ``confluence.<name>`` records with the fields in ``extra``.

    Counters: ``requests``, ``responses.<status>``, ``retries``, ``retries.<reason>``, ``waits``,
    ``wait_seconds`` (sum), ``failures``, ``page_size_halved``, ``items_skipped``,
    ``deprecated``, ``near_limit``, ``token_refreshed``.
    """

    sink: EventSink | None = None
    counters: Counter[str] = field(default_factory=Counter)
    wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, n: int = 1) -> None:
        """Bump a counter without logging."""
        with self._lock:
            self.counters[name] += n

    def emit(self, name: str, level: int = logging.INFO, **fields: Any) -> None:
        """Count ``name``, log it, and hand it to the sink."""
        with self._lock:
            self.counters[name] += 1
            if name == "wait":
                self.wait_seconds += float(fields.get("seconds", 0.0))
        extra = {(f"{k}_" if k in _RESERVED else k): v for k, v in fields.items()}
        log.log(level, "confluence %s", name, extra={"event": f"confluence.{name}", **extra})
        if self.sink is not None:
            self.sink(ClientEvent(name, dict(fields)))

    def snapshot(self) -> dict[str, float]:
        """The counters, plus ``wait_seconds``."""
        with self._lock:
            out: dict[str, float] = dict(self.counters)
            out["wait_seconds"] = round(self.wait_seconds, 3)
        return out
