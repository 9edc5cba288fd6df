"""One FLIP reward from one raw model output: parse the inferred instruction, then compare it.

Pure (no model, no torch): the scorer calls it right after generation, and the results store
calls it again on logged raw outputs, so a stored reward can always be recomputed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.parsing import ParseStatus, parse_reconstruction
from flip_core.similarity import Similarity, f1_similarity


class OnParseFailure(StrEnum):
    """What a FLIP output without a findable instruction is worth.

    ``raw_output`` (default, as the authors' code does): compare the whole raw output with the
    instruction, so a model that answers in prose still earns partial credit.
    ``zero``: a failed parse scores 0 (strict).
    """

    RAW_OUTPUT = "raw_output"
    ZERO = "zero"


def on_parse_failure(value: str) -> OnParseFailure:
    try:
        return OnParseFailure(value)
    except ValueError:
        choices = ", ".join(v.value for v in OnParseFailure)
        raise FlipConfigError(
            f"unknown on_parse_failure {value!r}; choose one of {choices}"
        ) from None


@dataclass(frozen=True)
class Reconstruction:
    """One sampled reconstruction of one response, and its reward."""

    raw_output: str
    inferred_instruction: str | None
    reasoning: str | None
    parse_status: ParseStatus
    reward: float
    generated_tokens: int = 0
    finished: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "parse_status": self.parse_status.value}


def score_reconstruction(
    raw_output: str,
    instruction: str,
    similarity: Similarity = f1_similarity,
    failure_policy: OnParseFailure = OnParseFailure.RAW_OUTPUT,
    generated_tokens: int = 0,
    finished: bool = True,
) -> Reconstruction:
    """Parse a FLIP output and compute its reward against the original instruction."""
    parsed = parse_reconstruction(raw_output)
    if parsed.value is not None:
        reward = similarity(parsed.value, instruction)
    elif failure_policy is OnParseFailure.RAW_OUTPUT:
        reward = similarity(raw_output, instruction)
    else:
        reward = 0.0
    return Reconstruction(
        raw_output=raw_output,
        inferred_instruction=parsed.value,
        reasoning=parsed.reasoning,
        parse_status=parsed.status,
        reward=reward,
        generated_tokens=generated_tokens,
        finished=finished,
    )
