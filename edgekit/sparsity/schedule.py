"""Gradual pruning schedule (Zhu & Gupta 2017): sparsity rises as a cubic from s0 to the target.

    s(t) = s_final + (s0 - s_final) * (1 - (t - start) / (end - start))^3     for start <= t <= end

before `start` nothing is pruned (s0 applies from `start`), after `end` the target holds and the masks
are frozen. Masks are recomputed every `every` steps inside [start, end].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgekit.errors import InvalidInputError


@dataclass(frozen=True)
class CubicSchedule:
    final: float
    start: int = 0
    end: int = 1000
    initial: float = 0.0
    every: int = 50

    def __post_init__(self) -> None:
        if self.end < self.start or self.start < 0 or self.every <= 0:
            raise InvalidInputError(f"bad pruning schedule start={self.start} end={self.end} "
                                    f"every={self.every}",
                                    hint="need 0 <= start <= end and every > 0")
        for v, what in ((self.final, "target sparsity"), (self.initial, "initial sparsity")):
            if not 0.0 <= v < 1.0:
                raise InvalidInputError(f"{what} {v} is outside [0, 1)", hint="pass e.g. 0.7")

    def fraction(self, step: int) -> float:
        """Fraction of the way from `initial` to `final` at this step (0 before start, 1 after end)."""
        if step < self.start:
            return 0.0
        if step >= self.end or self.end == self.start:
            return 1.0
        t = (step - self.start) / (self.end - self.start)
        return 1.0 - (1.0 - t) ** 3

    def sparsity(self, step: int) -> float:
        if step < self.start:
            return 0.0
        return self.initial + (self.final - self.initial) * self.fraction(step)

    def updates_at(self, step: int) -> bool:
        """Masks are recomputed at `start`, every `every` steps after it, and at `end` (then frozen)."""
        return self.start <= step <= self.end and ((step - self.start) % self.every == 0 or step == self.end)

    def frozen(self, step: int) -> bool:
        return step >= self.end

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)
