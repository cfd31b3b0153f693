"""A run's timeline: generated tokens per second, the engine's queue depth, and where wall time went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EngineState = Literal["generating", "idle_with_ready_work", "waiting"]
"""generating: inside the backend; idle_with_ready_work: the backend holds or could hold work but the
harness is busy elsewhere; waiting: nothing is ready (every request waits on grades it depends on)."""


@dataclass
class Timeline:
    """Fixed-width buckets (doubling in width to stay under ``max_points``), fed with times from any clock."""

    start: float
    width_s: float = 1.0
    max_points: int = 500
    tokens: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(
        default_factory=lambda: {"generating": 0.0, "idle_with_ready_work": 0.0, "waiting": 0.0}
    )

    def record(self, now: float, tokens: int, queue_depth: int, since: float | None = None) -> None:
        """``tokens`` generated over ``[since, now]`` (spread evenly), with ``queue_depth`` requests in the engine."""
        since = now if since is None else min(since, now)
        last = self._bucket(now)
        first = int(max(0.0, since - self.start) // self.width_s)
        span = max(now - since, 1e-12)
        for index in range(first, last + 1):
            if now == since:
                share = 1.0
            else:
                low = max(since, self.start + index * self.width_s)
                high = min(now, self.start + (index + 1) * self.width_s)
                share = max(0.0, high - low) / span
            self.tokens[index] += round(tokens * share)
            self.depth[index] = max(self.depth[index], queue_depth)

    def spend(self, state: EngineState, seconds: float) -> None:
        """Account ``seconds`` of wall time to one engine state."""
        self.seconds[state] += max(0.0, seconds)

    def _bucket(self, now: float) -> int:
        index = int(max(0.0, now - self.start) // self.width_s)
        while index >= self.max_points:
            self.tokens = [sum(self.tokens[i : i + 2]) for i in range(0, len(self.tokens), 2)]
            self.depth = [max(self.depth[i : i + 2]) for i in range(0, len(self.depth), 2)]
            self.width_s *= 2
            index = int(max(0.0, now - self.start) // self.width_s)
        while len(self.tokens) <= index:
            self.tokens.append(0)
            self.depth.append(0)
        return index

    def to_json(self, end: float) -> dict[str, Any]:
        """The ``timeline`` object of ``result.json``."""
        wall = max(end - self.start, 1e-9)
        self._bucket(end)
        return {
            "bucket_s": self.width_s,
            "points": [
                {"t": round(i * self.width_s, 3), "tokens_per_s": round(t / self.width_s, 3), "queue_depth": d}
                for i, (t, d) in enumerate(zip(self.tokens, self.depth, strict=True))
            ],
            "wall_s": round(wall, 3),
            **{f"{state}_s": round(s, 3) for state, s in self.seconds.items()},
            "idle_fraction": round(self.seconds["idle_with_ready_work"] / wall, 4),
        }
