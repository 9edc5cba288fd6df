"""What the restatement guard did to one response, as the store records it and the UI shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flip_core.restatement.detection import DEFAULT_N
from flip_core.restatement.policies import STRIP, ZERO


@dataclass(frozen=True)
class GuardDecision:
    """What the guard did to one response, in the form the store records and the UI shows.

    - ``applied``: whether the policy acted (``coverage >= threshold``);
    - ``coverage``: the restated fraction of the instruction in the original response;
    - ``spans``: every restating character range of the original response, applied or not;
    - ``removed_spans``: the ranges ``strip`` cut out (a subset of ``spans``; empty otherwise);
    - ``guarded_text``: the text to score: the response itself unless ``strip`` or ``zero``
      applied;
    - ``residual_coverage``: the restated fraction of the instruction in ``guarded_text``;
    - ``reward_factor``: the multiplier :func:`penalised_reward` uses (1.0 unless ``penalise``
      applied).
    """

    applied: bool
    policy: str
    coverage: float
    threshold: float
    spans: tuple[tuple[int, int], ...]
    removed_spans: tuple[tuple[int, int], ...]
    guarded_text: str
    residual_coverage: float
    reward_factor: float = 1.0
    n: int = DEFAULT_N

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (spans as lists ``[start, end]``); :meth:`from_dict` reads
        them back."""
        return {
            "applied": self.applied,
            "policy": self.policy,
            "coverage": self.coverage,
            "threshold": self.threshold,
            "spans": [[start, end] for start, end in self.spans],
            "removed_spans": [[start, end] for start, end in self.removed_spans],
            "guarded_text": self.guarded_text,
            "residual_coverage": self.residual_coverage,
            "reward_factor": self.reward_factor,
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuardDecision:
        """The decision :meth:`to_dict` recorded (for a decision read back from the store)."""
        return cls(
            applied=bool(data["applied"]),
            policy=str(data["policy"]),
            coverage=float(data["coverage"]),
            threshold=float(data["threshold"]),
            spans=tuple((int(s), int(e)) for s, e in data["spans"]),
            removed_spans=tuple((int(s), int(e)) for s, e in data["removed_spans"]),
            guarded_text=str(data["guarded_text"]),
            residual_coverage=float(data["residual_coverage"]),
            reward_factor=float(data["reward_factor"]),
            n=int(data["n"]),
        )

    def summary(self) -> str:
        """One line for a UI, e.g. ``guard applied: restated span removed (73% of the
        instruction)``."""
        share = f"{self.coverage:.0%} of the instruction"
        if not self.applied:
            return (
                f"guard not applied ({self.policy}): {share} restated, "
                f"below the {self.threshold:.0%} threshold"
            )
        if self.policy == STRIP:
            what = "span" if len(self.removed_spans) == 1 else f"{len(self.removed_spans)} spans"
            return f"guard applied: restated {what} removed ({share})"
        if self.policy == ZERO:
            return f"guard applied: response scored as empty ({share} restated)"
        return f"guard applied: reward x {self.reward_factor:.2f} ({share} restated)"
