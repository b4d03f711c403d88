"""Per-user token buckets with the response headers each flavour really sends."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from radex.confluence.emulator.model import Flavor


@dataclass(frozen=True)
class RateLimitConfig:
    """Bucket size and refill: ``fill_rate`` tokens every ``interval_s`` seconds."""

    capacity: int = 100
    fill_rate: int = 10
    interval_s: float = 1.0


@dataclass
class Decision:
    """Whether a request may pass, and the headers to send either way."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """Token bucket per user (anonymous callers share one)."""

    config: RateLimitConfig
    flavor: Flavor
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, who: str) -> Decision:
        """Spend one token for ``who``, or refuse with the time until one is available."""
        cfg = self.config
        per_second = cfg.fill_rate / cfg.interval_s
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(who, _Bucket(float(cfg.capacity), now))
            bucket.tokens = min(cfg.capacity, bucket.tokens + (now - bucket.stamp) * per_second)
            bucket.stamp = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            remaining = int(bucket.tokens)
            wait = 0.0 if allowed else (1.0 - bucket.tokens) / per_second
        return Decision(allowed, self._headers(remaining, wait, allowed), wait)

    def _headers(self, remaining: int, wait: float, allowed: bool) -> dict[str, str]:
        cfg = self.config
        if self.flavor == "dc":
            return {
                "X-RateLimit-Limit": str(cfg.capacity),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Interval-Seconds": str(int(cfg.interval_s)),
                "X-RateLimit-FillRate": str(cfg.fill_rate),
                "Retry-After": str(math.ceil(wait)),
            }
        reset = datetime.now(UTC) + timedelta(seconds=wait if not allowed else cfg.interval_s)
        headers = {
            "X-RateLimit-Limit": str(cfg.capacity),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{reset.microsecond // 1000:03d}Z",
        }
        if remaining < cfg.capacity * 0.2:
            headers["X-RateLimit-NearLimit"] = "true"
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
            headers["RateLimit-Reason"] = "confluence-quota-tenant-based"
        return headers
