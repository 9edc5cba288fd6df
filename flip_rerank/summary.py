"""The picks measured: mean reference score with a 95% interval beside random, longest,
shortest and the oracle on the same prompts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.selection import Interval, bootstrap_interval, pick_best


@dataclass(frozen=True)
class ReferenceSummary:
    """Mean reference score of the picks [CI], beside the model-free reference points."""

    picked: Interval
    random_expected: float
    longest: float
    shortest: float
    oracle: float
    n: int


@dataclass(frozen=True)
class RerankSummary:
    method: str
    prompts: int
    scored: int
    refused: int
    ties: int
    truncated_candidates: int
    truncated_prompts: int
    parse_failures: int | None
    parsed_calls: int | None
    generated_tokens: int | None
    reference: ReferenceSummary | None


def summarize(
    rows: Sequence[dict[str, Any]], confidence: float = 0.95, seed: int = 0
) -> RerankSummary:
    """Statistics of result rows; reference points use the rows' own candidate data.

    Over the scored rows that carry reference scores: the mean reference score of the picks
    with a percentile-bootstrap interval over prompts; the expected value of a uniform random
    pick; always-longest and always-shortest (original character lengths, first of the tied);
    and the oracle (the best candidate).
    """
    if not rows:
        raise FlipConfigError("nothing to summarise: no result rows")
    scored = [row for row in rows if row["status"] == "ok"]
    candidates = [c for row in scored for c in row["candidates"]]
    statuses = [c["parse_status"] for c in candidates if "parse_status" in c]
    tokens = [c["generated_tokens"] for c in candidates if "generated_tokens" in c]
    with_reference = [
        row for row in scored if all(c["reference_score"] is not None for c in row["candidates"])
    ]
    reference = None
    if with_reference:
        picked, random_expected, longest, shortest, oracle = [], [], [], [], []
        for row in with_reference:
            values = [c["reference_score"] for c in row["candidates"]]
            lengths = [float(c["chars"]) for c in row["candidates"]]
            picked.append(row["picked_reference_score"])
            random_expected.append(sum(values) / len(values))
            longest.append(values[pick_best(lengths)])
            shortest.append(values[pick_best([-length for length in lengths])])
            oracle.append(max(values))
        reference = ReferenceSummary(
            picked=bootstrap_interval(picked, confidence, seed=seed),
            random_expected=_mean(random_expected),
            longest=_mean(longest),
            shortest=_mean(shortest),
            oracle=_mean(oracle),
            n=len(with_reference),
        )
    return RerankSummary(
        method=rows[0]["method"],
        prompts=len(rows),
        scored=len(scored),
        refused=len(rows) - len(scored),
        ties=sum(bool(row["tie"]) for row in scored),
        truncated_candidates=sum(row["truncated_candidates"] for row in scored),
        truncated_prompts=sum(row["truncated_candidates"] > 0 for row in scored),
        parse_failures=sum(s == "failed" for s in statuses) if statuses else None,
        parsed_calls=len(statuses) if statuses else None,
        generated_tokens=sum(tokens) if tokens else None,
        reference=reference,
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)
