"""Applying the restatement guard: decide from the coverage, then strip, zero or penalise.

``strip`` cuts the fewest restating spans that bring the coverage under its threshold
(:func:`cut_spans` tidies each cut); ``zero`` scores the response as empty; ``penalise`` keeps
the text and scales the reward afterwards (:func:`penalised_reward`).
"""

from __future__ import annotations

from flip_core.errors import FlipConfigError
from flip_core.restatement.decision import GuardDecision
from flip_core.restatement.detection import DEFAULT_N, Detection, detect
from flip_core.restatement.policies import POLICIES, STRIP, THRESHOLDS, ZERO


def _spans_to_strip(found: Detection, threshold: float) -> tuple[tuple[int, int], ...]:
    """The fewest spans (greedily, the most restating first, earlier first on ties) whose
    removal brings the coverage under ``threshold``, in text order."""
    result = found.restatement
    order = sorted(range(len(result.spans)), key=lambda k: (-len(found.covers[k]), k))
    kept = set(range(len(result.spans)))
    for k in order:
        remaining = set().union(*(found.covers[m] for m in kept))
        if len(remaining) / result.instruction_words < threshold:  # as guard() compares
            break
        kept.discard(k)
    return tuple(span for k, span in enumerate(result.spans) if k not in kept)


def cut_spans(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``text`` without ``spans``, tidied at each cut.

    Each cut also takes the whitespace after it (so "A [cut] B" becomes "A B" and a restated
    first paragraph leaves no blank lines), or, for a cut at the very end, the whitespace
    before it. A text left with nothing but whitespace becomes "".
    """
    pieces = []
    position = 0
    for start, end in spans:
        if not 0 <= position <= start <= end <= len(text):
            raise FlipConfigError(f"spans must be sorted, disjoint ranges of the text: {spans}")
        stop = end
        while stop < len(text) and text[stop].isspace():
            stop += 1
        if stop == len(text):
            while start > position and text[start - 1].isspace():
                start -= 1
        pieces.append(text[position:start])
        position = stop
    pieces.append(text[position:])
    kept = "".join(pieces)
    return kept if kept.strip() else ""


def guard(
    instruction: str,
    response: str,
    policy: str = STRIP,
    threshold: float | None = None,
    n: int = DEFAULT_N,
) -> GuardDecision:
    """Decide whether ``response`` restates ``instruction`` enough to act, and act.

    Decision rule: the guard applies when the response's :attr:`Restatement.coverage` is
    above 0 and at least ``threshold`` (the policy's default from :data:`THRESHOLDS` unless
    given). Then

    - ``strip``: ``guarded_text`` is the response with restated spans cut out
      (:func:`cut_spans`): the fewest spans, the most restating first, that bring the coverage
      under the threshold. A response that is only the instruction becomes ""; a restatement
      put before (or after) an answer is cut and the answer kept as it was, echoes and all,
      so ``guard(i, restate_instruction(x, i))`` scores what ``guard(i, x)`` scores;
    - ``zero``: ``guarded_text`` is "": score it as the empty response;
    - ``penalise``: ``guarded_text`` is the response, and ``reward_factor`` is
      ``1 - (coverage - threshold) / (1 - threshold)``: 1 at the threshold, falling linearly
      to 0 for a complete restatement (0 at once when the threshold is 1).

    Empty instructions and responses restate nothing, so nothing applies. Never raises on any
    text; raises :class:`FlipConfigError` for an unknown policy, a threshold outside (0, 1] or
    ``n < 1``.
    """
    if policy not in THRESHOLDS:
        raise FlipConfigError(
            f"unknown guard policy {policy!r}; choose one of {', '.join(POLICIES)}"
        )
    limit = THRESHOLDS[policy] if threshold is None else float(threshold)
    if not 0 < limit <= 1:
        raise FlipConfigError(f"a guard threshold must be in (0, 1], got {threshold}")
    found = detect(instruction, response, n)
    coverage = found.restatement.coverage
    applied = coverage > 0 and coverage >= limit
    text, factor, removed, residual = response, 1.0, (), coverage
    if applied and policy == STRIP:
        removed = _spans_to_strip(found, limit)
        text = cut_spans(response, removed)
        residual = detect(instruction, text, n).restatement.coverage
    elif applied and policy == ZERO:
        text, residual = "", 0.0
    elif applied:
        factor = 0.0 if limit >= 1 else max(0.0, 1 - (coverage - limit) / (1 - limit))
    return GuardDecision(
        applied=applied,
        policy=policy,
        coverage=coverage,
        threshold=limit,
        spans=found.restatement.spans,
        removed_spans=removed,
        guarded_text=text,
        residual_coverage=residual,
        reward_factor=factor,
        n=found.restatement.n,
    )


def penalised_reward(reward: float, decision: GuardDecision, floor: float = 0.0) -> float:
    """``reward`` scaled toward ``floor`` by the decision's ``reward_factor``:
    ``floor + (reward - floor) * reward_factor``.

    ``floor`` is the reward of an empty or useless response on the reward's own scale: 0 for
    FLIP's F1 (or 10 x F1), 1 for a 1-10 judge rating, and for FLIP-likelihood the
    log-probability of the instruction after the empty response (its reference call), so that
    the penalty scales the PMI. Multiplying a log-probability itself would raise it, which is
    why there is a floor. A decision of ``strip`` or ``zero`` (or one that did not apply) has
    factor 1 and leaves the reward as it is: those policies act on the scored text instead.
    """
    return floor + (reward - floor) * decision.reward_factor
