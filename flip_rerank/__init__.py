"""Best-of-N reranking: pick one of N candidates per prompt, and measure the picks.

Modules: ``inputs`` (rows, context budget), ``pickers``, ``output`` (resumable rows),
``runner``, ``summary``; this package re-exports the public API.

A reranker scores every candidate of a prompt and picks the top one; with reference scores (an
external judgement of each candidate, e.g. AlpacaEval's win rate against GPT-3.5) the quality
of a reranker is the mean reference score of its picks (the FLIP paper's extrinsic evaluation).
That number is shown beside the expected value of a random pick, always-longest,
always-shortest and the oracle (the best candidate), all on the same prompts.

Pickers (``RERANK_METHODS``):

- ``flip``: :class:`~flip_core.scorer.FlipScorer` rewards (``score_many`` batches the
  candidates of several prompts into one backend call);
- ``judge_pointwise``: the 1-10 pointwise judge of :mod:`flip_core.methods`, same backend;
- ``longest`` / ``shortest``: character length of the original candidate, no model;
- ``random``: a uniform draw per candidate from a generator seeded by ``(seed, prompt id)``,
  so a pick does not depend on batching or on resuming. Its mean is one seeded draw; the
  expected value of a random pick is reported separately as a reference point.

Ties: the first (lowest-index) of the candidates sharing the top score is picked, as
:func:`flip_core.selection.pick_best` does; every row lists the tied indices and the summary
counts the prompts whose pick was a tie. A judge rating that does not parse ranks below every
parsed one; when none parses, all candidates tie and the first is picked.

Context budget (``max_candidate_chars``, default :data:`DEFAULT_MAX_CANDIDATE_CHARS`): the
item text one model call may show. FLIP shows one candidate per call, so each candidate is cut
to the budget; the pointwise judge shows the instruction and one candidate, so each candidate
is cut to the budget minus the instruction's length, and a prompt whose instruction leaves
less than :data:`MIN_CANDIDATE_CHARS` of the budget is refused (its row says why). FLIP never
shows the instruction to the model, so it refuses nothing. Cuts are plain character prefixes,
recorded per candidate (``truncated_to``). The model-free pickers use the whole candidates.

Resumable output: one JSON line per finished prompt, appended and flushed as each batch
finishes. A rerun with the same output skips the prompts already there; a last line cut short
by a kill is dropped (with a message) and that prompt is scored again. Rows record the
settings and a fingerprint of the prompt, so an output written with other settings or from
another input is refused instead of being mixed.
"""

from flip_rerank.constants import DEFAULT_MAX_CANDIDATE_CHARS, MIN_CANDIDATE_CHARS
from flip_rerank.inputs import (
    RerankPrompt,
    alpacaeval_win_rate,
    fit_to_budget,
    load_rerank_prompts,
)
from flip_rerank.output import read_finished
from flip_rerank.pickers import MODEL_METHODS, RERANK_METHODS, make_reranker
from flip_rerank.runner import default_output_path, run_rerank
from flip_rerank.summary import summarize

__all__ = [
    "DEFAULT_MAX_CANDIDATE_CHARS",
    "MIN_CANDIDATE_CHARS",
    "MODEL_METHODS",
    "RERANK_METHODS",
    "RerankPrompt",
    "alpacaeval_win_rate",
    "default_output_path",
    "fit_to_budget",
    "load_rerank_prompts",
    "make_reranker",
    "read_finished",
    "run_rerank",
    "summarize",
]
