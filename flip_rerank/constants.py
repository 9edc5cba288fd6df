"""The reranking context budget defaults and the AlpacaEval source name."""

from __future__ import annotations

DEFAULT_MAX_CANDIDATE_CHARS = 3500
"""Characters of item text one model call may show, by default.

Derived for the bundled SmolLM2-135M-Instruct at a 2048-token context (the length it was
mostly trained at; its config allows 8192): 2048 - 512 new tokens (``default`` profile) - about
210 tokens of FLIP template = about 1,320 tokens for the response, times 2.75 characters per
token (conservative: on the AlpacaEval best-of-11 candidates the SmolLM2 tokenizer gives 4.6
characters per token at the median and 2.8 at the 5th percentile), rounded down. On those
2,222 candidates it cuts 68 (3.1%), and 17 (0.8%: digit runs, code, non-Latin text) still
exceed 1,320 tokens after the cut; nothing fails then (the model accepts 8192 positions), but
lower the budget for such data or for a model with a shorter context."""

MIN_CANDIDATE_CHARS = 200
"""The least room (characters) a shown instruction must leave for the candidate."""

ALPACAEVAL_SOURCE = "alpacaeval_bon"
