"""The llama.cpp engine's pure-Python arithmetic on tokens and logits.

What to sample (:class:`Sampling`) and how the next token is drawn from a row of logits
(:func:`pick_token`), what a generation returns (:class:`Generated`), the prefix all prompts
share (:func:`common_prefix`, whose key/value cache the engine computes once) and the
normaliser of a log-probability (:func:`log_sum_exp`).

Kept apart from :mod:`flip_core.backends.llamacpp_engine` because none of it needs llama.cpp:
it imports, and is tested, without the ``llamacpp`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from flip_core.profiles import DEFAULT_DECODING_SEED


@dataclass(frozen=True)
class Sampling:
    """How to pick the next token: greedy when ``temperature`` is 0, else seeded sampling.

    ``top_k`` 0 and ``top_p`` 1.0 mean no truncation (pure temperature sampling, the paper's
    protocol); other values apply as in transformers.
    """

    max_new_tokens: int
    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = DEFAULT_DECODING_SEED

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass
class Generated:
    """The tokens one prompt produced, up to and including its end-of-generation token.

    ``finished`` is False when the token limit cut it off; ``stop_hit`` names the stop string
    that ended it, if one did (the tokens then run up to the token that completed it).
    """

    tokens: list[int] = field(default_factory=list)
    finished: bool = False
    stop_hit: str | None = None


def pick_token(logits: np.ndarray, sampling: Sampling, rng: np.random.Generator) -> int:
    """The next token: argmax, or a draw from the temperature-scaled (and truncated) softmax."""
    if sampling.greedy:
        return int(logits.argmax())
    scaled = logits.astype(np.float64) / sampling.temperature
    if sampling.top_k and sampling.top_k < scaled.size:
        cutoff = np.partition(scaled, -sampling.top_k)[-sampling.top_k]
        scaled = np.where(scaled < cutoff, -np.inf, scaled)
    probabilities = np.exp(scaled - scaled.max())
    probabilities /= probabilities.sum()
    if sampling.top_p < 1.0:
        order = np.argsort(-probabilities)
        cumulative = np.cumsum(probabilities[order])
        keep = order[: int(np.searchsorted(cumulative, sampling.top_p)) + 1]
        mask = np.zeros_like(probabilities)
        mask[keep] = probabilities[keep]
        probabilities = mask / mask.sum()
    return int(rng.choice(probabilities.size, p=probabilities))


def log_sum_exp(logits: np.ndarray) -> float:
    """``log(sum(exp(logits)))`` in float64, shifted by the maximum so nothing overflows: a
    token's log-probability is its logit minus this."""
    peak = float(logits.max())
    return peak + float(np.log(np.exp(logits - peak, dtype=np.float64).sum()))


def common_prefix(sequences: Sequence[Sequence[int]]) -> list[int]:
    """The longest run of tokens every sequence starts with (the system message of one
    method's prompts, whose cache the engine shares)."""
    first = list(sequences[0])
    length = len(first)
    for other in sequences[1:]:
        limit = min(length, len(other))
        same = 0
        while same < limit and first[same] == other[same]:
            same += 1
        length = same
        if not length:
            break
    return first[:length]
