"""Reranking input: prompts with N candidates (generic rows or AlpacaEval best-of-11), and
the context budget that cuts candidates for a model call."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flip_core.errors import FlipConfigError, FlipInputError
from flip_rerank.constants import ALPACAEVAL_SOURCE, MIN_CANDIDATE_CHARS


@dataclass(frozen=True)
class RerankPrompt:
    """One prompt with its N candidates and, where known, each candidate's reference score.

    ``line``: the 1-based line of the input file it came from (for messages).
    """

    id: str
    instruction: str
    candidates: tuple[str, ...]
    reference_scores: tuple[float, ...] | None = None
    domain: str | None = None
    line: int = 0

    @property
    def fingerprint(self) -> str:
        """A short hash of everything a result depends on, to detect a changed input."""
        canonical = json.dumps(
            [self.instruction, list(self.candidates), self.reference_scores],
            ensure_ascii=True,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def alpacaeval_win_rate(preference: float) -> float:
    """AlpacaEval's win rate of a candidate from the annotator's preference in [1, 2]."""
    return (preference - 1.0) * 100.0


def _numbers(values: Any, key: str, count: int, key_of_candidates: str) -> tuple[float, ...]:
    if not isinstance(values, list):
        raise ValueError(f"{key!r} must be a list of numbers")
    if len(values) != count:
        raise ValueError(
            f"{key!r} has {len(values)} values for {count} {key_of_candidates} (must match)"
        )
    numbers = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key!r} must hold numbers only, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{key!r} must hold finite numbers, got {value!r}")
        numbers.append(float(value))
    return tuple(numbers)


def _candidates(values: Any, key: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise ValueError(f"{key!r} must be a list of strings")
    if not values:
        raise ValueError(f"{key!r} is empty: a prompt needs at least one candidate")
    if not all(isinstance(text, str) for text in values):
        raise ValueError(f"{key!r} must hold strings only")
    return tuple(values)


def _instruction(row: dict[str, Any]) -> str:
    if not isinstance(row["instruction"], str):
        raise ValueError("'instruction' must be a string")
    return row["instruction"]


def _generic_prompt(row: dict[str, Any], line: int) -> RerankPrompt:
    instruction = _instruction(row)
    candidates = _candidates(row["responses"], "responses")
    scores = row.get("reference_scores")
    return RerankPrompt(
        id=str(row.get("id", line)),
        instruction=instruction,
        candidates=candidates,
        reference_scores=(
            None
            if scores is None
            else _numbers(scores, "reference_scores", len(candidates), "responses")
        ),
        domain=row.get("domain") if isinstance(row.get("domain"), str) else None,
        line=line,
    )


def _alpacaeval_prompt(row: dict[str, Any], line: int) -> RerankPrompt:
    instruction = _instruction(row)
    candidates = _candidates(row["outputs"], "outputs")
    preferences = _numbers(
        row["preference_vs_gpt35"], "preference_vs_gpt35", len(candidates), "outputs"
    )
    outside = [p for p in preferences if not 1.0 <= p <= 2.0]
    if outside:
        raise ValueError(f"'preference_vs_gpt35' must lie in [1, 2], got {outside[0]!r}")
    dataset = str(row["dataset"])
    return RerankPrompt(
        id=f"{ALPACAEVAL_SOURCE}:{dataset}:{row['id']}",
        instruction=instruction,
        candidates=candidates,
        reference_scores=tuple(alpacaeval_win_rate(p) for p in preferences),
        domain=dataset,
        line=line,
    )


def prompt_from_row(row: Any, line: int) -> RerankPrompt:
    """A prompt from one input row: this project's generic shape or an AlpacaEval row.

    Generic: ``instruction``, ``responses`` (optional ``id``, default the line number;
    optional ``reference_scores``, one number per response; optional ``domain``).
    AlpacaEval best-of-N: ``id``, ``instruction``, ``outputs``, ``preference_vs_gpt35``,
    ``dataset``; the reference score is the win rate ``(preference - 1) * 100`` and the id
    ``alpacaeval_bon:{dataset}:{id}`` (docs/conventions.md's item identity).
    """
    if not isinstance(row, dict):
        raise ValueError("each line must be a JSON object")
    if "responses" in row:
        return _generic_prompt(row, line)
    if "outputs" in row:
        return _alpacaeval_prompt(row, line)
    raise ValueError(
        "expected 'instruction' and 'responses' (optional 'id', 'reference_scores'), or "
        "AlpacaEval's 'id', 'instruction', 'outputs', 'preference_vs_gpt35', 'dataset'"
    )


def parse_prompt_lines(lines: Iterable[str], source: str) -> list[RerankPrompt]:
    """Prompts from JSON Lines text; any bad line is one error naming ``source`` and the line."""
    prompts: list[RerankPrompt] = []
    seen: dict[str, int] = {}
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            prompt = prompt_from_row(json.loads(line), line_number)
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
            raise FlipInputError(f"{source}:{line_number}: {reason.splitlines()[0]}") from None
        if prompt.id in seen:
            raise FlipInputError(
                f"{source}:{line_number}: id {prompt.id!r} repeats line {seen[prompt.id]} "
                "(ids must be unique: they key resumption)"
            )
        seen[prompt.id] = line_number
        prompts.append(prompt)
    if not prompts:
        raise FlipInputError(f"{source} holds no prompts")
    return prompts


def load_rerank_prompts(path: str | Path) -> list[RerankPrompt]:
    """Read and validate a whole JSON Lines file of prompts (generic or AlpacaEval rows)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return parse_prompt_lines(handle, str(path))
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise FlipInputError(f"cannot read {path}: {reason}") from None


# --------------------------------------------------------------------------- context budget


@dataclass(frozen=True)
class FittedPrompt:
    """A prompt as a model will see it: candidates cut to the budget, or a refusal.

    ``truncated`` maps a candidate index to the number of characters kept.
    """

    prompt: RerankPrompt
    shown: tuple[str, ...]
    truncated: dict[int, int] = field(default_factory=dict)
    refusal: str | None = None


def fit_to_budget(
    prompt: RerankPrompt, max_chars: int | None, shows_instruction: bool
) -> FittedPrompt:
    """Cut candidates to what one call may show; refuse a prompt whose instruction leaves too
    little room (only where the method shows the instruction). ``None``: no budget."""
    if max_chars is None:
        return FittedPrompt(prompt, prompt.candidates)
    room = max_chars - (len(prompt.instruction) if shows_instruction else 0)
    if shows_instruction and room < MIN_CANDIDATE_CHARS:
        return FittedPrompt(
            prompt,
            (),
            refusal=(
                f"instruction is {len(prompt.instruction)} characters; the budget of "
                f"{max_chars} characters per call (--max-candidate-chars) must leave at least "
                f"{MIN_CANDIDATE_CHARS} for the candidate"
            ),
        )
    truncated = {i: room for i, text in enumerate(prompt.candidates) if len(text) > room}
    shown = tuple(text[:room] for text in prompt.candidates)
    return FittedPrompt(prompt, shown, truncated)


def check_max_candidate_chars(value: int) -> int:
    if value < MIN_CANDIDATE_CHARS:
        raise FlipConfigError(
            f"--max-candidate-chars must be >= {MIN_CANDIDATE_CHARS}, got {value}"
        )
    return value
