"""Deterministic fault injection: which request fails, and how, decided from a seed."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from radex.errors import InputError

FaultKind = Literal["429", "429-no-retry-after", "500", "503", "timeout"]
KINDS: tuple[FaultKind, ...] = ("429", "429-no-retry-after", "500", "503", "timeout")


@dataclass(frozen=True)
class FaultSpec:
    """Probabilities per fault kind, plus content ids that always fail ("poison")."""

    rates: tuple[tuple[FaultKind, float], ...] = ()
    poison: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse e.g. ``429:0.1,429-no-retry-after:0.05,500:0.02,timeout:0.01,poison:123``."""
        if not spec:
            return cls()
        rates: list[tuple[FaultKind, float]] = []
        poison: set[str] = set()
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.rpartition(":")
            if not sep or not name:
                raise InputError(
                    f"fault spec item '{part}' is not KIND:VALUE",
                    hint=f"kinds: {', '.join(KINDS)}, poison:<content id>",
                )
            if name == "poison":
                poison.add(value)
                continue
            if name not in KINDS:
                raise InputError(
                    f"unknown fault kind '{name}'", hint=f"use one of {', '.join(KINDS)}, poison"
                )
            try:
                rate = float(value)
            except ValueError:
                raise InputError(f"fault rate '{value}' for {name} is not a number") from None
            if not 0.0 <= rate <= 1.0:
                raise InputError(f"fault rate {rate} for {name} must be between 0 and 1")
            rates.append((name, rate))
        if sum(r for _, r in rates) > 1.0:
            raise InputError("fault rates add up to more than 1")
        return cls(tuple(rates), frozenset(poison))

    def __bool__(self) -> bool:
        return bool(self.rates or self.poison)


@dataclass
class FaultInjector:
    """Decides per request, from (seed, request, attempt number), whether to inject a fault.

    The n-th attempt of the same request always gets the same decision, whatever the order
    in which concurrent requests arrive, so runs are reproducible and retries can succeed.
    """

    spec: FaultSpec
    seed: int = 0
    _attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    injected: Counter[str] = field(default_factory=Counter)

    def decide(self, method: str, target: str) -> FaultKind | None:
        """The fault to inject into this request, if any."""
        if not self.spec.rates:
            return None
        key = f"{method} {target}"
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
        digest = hashlib.sha256(f"{self.seed}|{key}|{attempt}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        acc = 0.0
        for kind, rate in self.spec.rates:
            acc += rate
            if draw < acc:
                with self._lock:
                    self.injected[kind] += 1
                return kind
        return None

    def is_poison(self, content_id: str) -> bool:
        """True when this content id always fails."""
        return content_id in self.spec.poison
