"""FLIP (FLipped Inference for Prompt reconstruction) as a library.

A scorer model reads only a response, infers the instruction that most plausibly produced it,
and the reward is the word-level F1 between that inferred instruction and the real one
(Wang et al., "Small Reward Models via Backward Inference", arXiv 2602.13551).

Light imports only here: the scorer (which needs torch) is imported on first use, so that
``from flip_core import token_f1`` stays fast.
"""

from flip_core.errors import FlipConfigError, FlipError, FlipInputError, FlipModelError
from flip_core.similarity import token_f1

__all__ = [
    "FlipConfigError",
    "FlipError",
    "FlipInputError",
    "FlipModelError",
    "FlipReward",
    "FlipRewardFunction",
    "FlipScorer",
    "token_f1",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    if name in {"FlipScorer", "FlipReward"}:
        from flip_core import scorer

        return getattr(scorer, name)
    if name == "FlipRewardFunction":
        from flip_core.reward import FlipRewardFunction

        return FlipRewardFunction
    raise AttributeError(f"module 'flip_core' has no attribute {name!r}")
