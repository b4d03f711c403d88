"""One politeness limiter per site, shared by every task in the process.

A token bucket (requests per second with a burst), a cap on concurrent requests, a shared pause
after a 429/503 (so one throttled request holds back all the others instead of a 429 storm), an
adaptive slowdown when the site says it is near its limit, and for OAuth apps an hourly points
budget (Atlassian's points model) spent at an even pace instead of all at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

HOUR = 3600.0


@dataclass(frozen=True)
class LimitConfig:
    """How hard one site may be driven."""

    rate: float = 20.0  # requests per second, sustained
    burst: int = 20  # requests allowed back to back before the rate applies
    max_concurrency: int = 8  # requests in flight at once
    points_per_hour: int | None = None  # OAuth apps: the hourly points budget (Atlassian: 65,000)
    points_burst: float = 0.05  # share of the hourly budget that may be spent ahead of pace
    min_rate: float = 0.5  # the slowdown never goes below this


@dataclass
class _State:
    rate: float
    tat: float = 0.0  # theoretical arrival time of the next request (GCRA)
    pause_until: float = 0.0
    points_window: int = -1
    points_used: float = 0.0
    points_tat: float = 0.0


@dataclass
class SiteLimiter:
    """The shared limiter of one site. ``clock``/``sleep``/``wall`` are injectable for tests."""

    config: LimitConfig = field(default_factory=LimitConfig)
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    wall: Clock = time.time  # for the points budget's top-of-the-hour reset
    _state: _State = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )

    def __post_init__(self) -> None:
        self._state = _State(rate=self.config.rate)

    @property
    def rate(self) -> float:
        """The current (possibly slowed-down) request rate."""
        return self._state.rate

    @property
    def points_used(self) -> float:
        """Points spent in the current hour."""
        return self._state.points_used

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.config.max_concurrency)
        return sem

    def _reserve(self, points: float) -> float:
        """Reserve the next slot (and points); the delay before it may be used."""
        cfg, st = self.config, self._state
        with self._lock:
            now = self.clock()
            interval = 1.0 / st.rate
            tolerance = (cfg.burst - 1) * interval
            st.tat = max(st.tat, now, st.pause_until)
            delay = max(0.0, st.tat - tolerance - now, st.pause_until - now)
            st.tat += interval
            if cfg.points_per_hour and points:
                delay = max(delay, self._reserve_points(points, now))
        return delay

    def _reserve_points(self, points: float, now: float) -> float:
        cfg, st = self.config, self._state
        budget = float(cfg.points_per_hour or 0)
        wall = self.wall()
        window = int(wall // HOUR)
        if window != st.points_window:
            st.points_window, st.points_used = window, 0.0
        if st.points_used + points > budget:
            # the hour's budget is spent: everything waits for the top of the next hour
            wait = (window + 1) * HOUR - wall
            st.points_window, st.points_used = window + 1, points
            st.points_tat = now + wait
            return wait
        st.points_used += points
        pace = budget / HOUR  # points per second at an even spend
        tolerance = budget * cfg.points_burst / pace
        st.points_tat = max(st.points_tat, now) + points / pace
        return max(0.0, st.points_tat - tolerance - now)

    @contextlib.asynccontextmanager
    async def slot(self, points: float = 0.0) -> AsyncIterator[float]:
        """Wait for a request slot (and its points); yields the seconds waited."""
        delay = self._reserve(points)
        if delay > 0:
            await self.sleep(delay)
        async with self._semaphore():
            yield delay

    def pause(self, seconds: float) -> None:
        """Hold every request to this site for ``seconds`` (after a 429/503)."""
        with self._lock:
            until = self.clock() + max(0.0, seconds)
            self._state.pause_until = max(self._state.pause_until, until)

    def slow_down(self, factor: float = 0.5) -> None:
        """Lower the rate (multiplicative decrease), not below ``min_rate``."""
        with self._lock:
            self._state.rate = max(self.config.min_rate, self._state.rate * factor)

    def recover(self) -> None:
        """Raise the rate a little towards the configured one (additive increase)."""
        with self._lock:
            st = self._state
            if st.rate < self.config.rate:
                st.rate = min(self.config.rate, st.rate + self.config.rate * 0.05)

    def settle_points(self, estimated: float, actual: float) -> None:
        """Correct the points charged for a request once its real cost is known: in the hour's
        total and in the pace (a list call reserves its page size; one that returns three
        objects must not hold back the calls after it as if it had read 250)."""
        budget = self.config.points_per_hour
        if not budget:
            return
        with self._lock:
            st = self._state
            st.points_used = max(0.0, st.points_used + actual - estimated)
            st.points_tat += (actual - estimated) / (budget / HOUR)

    def note_points_remaining(self, remaining: float, reset_in_s: float | None) -> None:
        """Align the budget with what the server says is left (``RateLimit: …;r=…;t=…``)."""
        budget = self.config.points_per_hour
        if not budget:
            return
        with self._lock:
            st = self._state
            st.points_window = int(self.wall() // HOUR)
            st.points_used = max(st.points_used, budget - remaining)
            if remaining <= 0 and reset_in_s is not None:
                st.pause_until = max(st.pause_until, self.clock() + reset_in_s)


_REGISTRY: dict[tuple[str, LimitConfig], SiteLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def limiter_for(key: str, config: LimitConfig | None = None) -> SiteLimiter:
    """The process-wide limiter of a site for one configuration: every client of the site with
    the same limits shares it (a client asking for other limits gets them, not the first's)."""
    wanted = config or LimitConfig()
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get((key, wanted))
        if limiter is None:
            limiter = _REGISTRY[(key, wanted)] = SiteLimiter(wanted)
        return limiter


def points_cost(method: str, objects: int, identity: bool = False) -> float:
    """Atlassian's points for one call: 1, plus 1 per object read (2 for identity objects)."""
    if method.upper() not in ("GET", "HEAD"):
        return 1.0
    return 1.0 + math.ceil(objects) * (2 if identity else 1)
