"""Detecting and neutralising a response that restates its instruction (FLIP's weak spot).

A response that opens with (or quotes) its own instruction hands FLIP the answer: the scorer
model copies the restated instruction into its reconstruction, and FLIP-likelihood's
teacher-forced instruction becomes almost certain. Under the ``hack_restate`` probe
(:func:`flip_core.probes.restate_instruction`) FLIP falls from 49.3% to 32.8% on LLMBar
Neighbor and FLIP-likelihood from 67.9% to 0.0%. This module measures a restatement and
decides what to do about it; it is pure (no model, no store), so every method, the store and
the UI apply and record the same guard.

**Words.** Both texts are cut into words exactly as the FLIP F1 counts them
(:func:`flip_core.similarity.normalize_answer`: lower case, ASCII punctuation and the articles
a/an/the dropped), after two steps that only matter for non-ASCII text: NFKC folding
(full-width letters, ligatures) and dropping Unicode punctuation (curly quotes, dashes,
guillemets), so typographic quotes cannot hide a restatement. For ASCII text the words are the
F1's words, one for one. Each response word remembers the whitespace-separated token of the
original text it came from, so a match maps back to character offsets that can be cut out.

**Matching.** An instruction with ``L`` words has the word n-grams of :data:`DEFAULT_N` = 3
words (``min(n, L)`` when it is shorter: then the whole instruction is its only n-gram, so a
one-word instruction is "restated" by any mention of its word). A response n-gram *matches*
when it is also an instruction n-gram. :attr:`Restatement.spans` are the maximal chains of
matching response n-grams that overlap one another, as half-open character ranges of the
response (from the first word's token to the last word's, so quotes and punctuation glued to
them go too; widened over the article and punctuation-only tokens that the instruction has at
the same place, so "The ..." is cut with its article). :attr:`Restatement.coverage` is the
fraction of the instruction's words that lie inside a matching n-gram: 1.0 for a verbatim
restatement, 0.5 when its first half is quoted, 0.0 when no three consecutive words are.

**Guard.** :func:`guard` applies one of :data:`POLICIES` when the coverage reaches the
policy's threshold (:data:`THRESHOLDS`) and returns a :class:`GuardDecision` to record per
call. ``strip`` and ``zero`` change the text the scorer sees (``decision.guarded_text``);
``penalise`` keeps the text and scales the reward (:func:`penalised_reward`)::

    decision = guard(instruction, response, policy="strip")
    reward = score(instruction, decision.guarded_text)           # strip / zero
    reward = penalised_reward(score(instruction, response), decision, floor=0.0)  # penalise
    store(decision.to_dict()); ui(decision.summary())
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flip_core.errors import FlipConfigError
from flip_core.similarity import normalize_answer

DEFAULT_N = 3
"""Words per n-gram. Single words and pairs of an instruction turn up in clean answers all the
time (its topic words, "poem about"); three consecutive words rarely do by chance, yet three is
short enough that a restatement broken by edits still matches on most of its length (with
n-grams of ``n`` words, a changed word costs only its own coverage while the unchanged runs
between changes are at least ``n`` words long: one change in every four words for n = 3) and
that instructions of three or four words still have a whole n-gram. Measured on the 638 clean
responses of the 319 LLMBar pairs: about 1 in 3 share a trigram with their instruction (over half
share a bigram), the median coverage is 0, and at coverage >= 0.5 the guard fires on 11% of clean
responses with n = 3 (14% with n = 2, 8% with n = 4, 6% with n = 5)."""

STRIP = "strip"
PENALISE = "penalise"
ZERO = "zero"
POLICIES = (STRIP, PENALISE, ZERO)
"""The guard's policies, for integrators to compare on real data:

- ``strip``: cut restated spans out of the response; the scorer sees what is left.
- ``penalise``: score the response as it is, then scale the reward toward the scale's floor by
  how far the coverage exceeds the threshold (:func:`penalised_reward`).
- ``zero``: a response that restates at least the threshold of its instruction is scored as if
  it were empty (``guarded_text == ""``).
"""

STRIP_THRESHOLD = 0.5
"""``strip`` fires when at least half the instruction's words are restated, and then cuts only
as much as brings the coverage under half. A false positive costs little: the answer loses its
echo of the instruction ("Three ways to extend the battery life of a laptop: ...", 24% of its
characters on average) and keeps its content, and echoes are what FLIP feeds on anyway. Clean
LLMBar responses reach half their instruction 11% of the time (35 of 319 chosen, 34 of 319
rejected), but not evenly: more often the chosen ones on Neighbor (8.2% against 3.7%) and
GPTInst (18.5% / 5.4%), the rejected ones on GPTOut (6.4% / 25.5%) and Manual (8.7% / 26.1%),
so check clean accuracy with the guard on. The ``hack_restate`` probe always reaches all of
the instruction; lower thresholds fire on many more clean responses (20% at 0.3) and catch no
probed one more."""

PENALISE_THRESHOLD = 0.5
"""``penalise`` fires on the same responses as ``strip`` (so the two policies differ only in
what they do, and compare on the same responses) and ramps the penalty linearly from none at
half the instruction to the full penalty at all of it: continuous, with no cliff for a trained
policy to learn to stop just under."""

ZERO_THRESHOLD = 0.9
"""``zero`` discards the whole response, the harshest policy, so it waits for a near-complete
restatement: 90% of the instruction, which a verbatim restatement with one word in ten changed
still reaches, and which clean LLMBar responses reach 0.8% of the time (2 of 319 chosen, 3 of
319 rejected; 3% at 0.8)."""

THRESHOLDS: dict[str, float] = {
    STRIP: STRIP_THRESHOLD,
    PENALISE: PENALISE_THRESHOLD,
    ZERO: ZERO_THRESHOLD,
}
"""Each policy's default coverage threshold (the guard fires at ``coverage >= threshold``)."""

_TOKEN = re.compile(r"\S+")  # the same tokens as str.split(): both use Unicode whitespace


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    key: str  # NFKC-folded, case-folded raw text, to compare article/punctuation tokens
    words: tuple[str, ...]  # its F1 words (empty for "the", '"', "--", ...)


def _fold(raw: str) -> str:
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith("P"))


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        words = tuple(normalize_answer(_fold(raw)).split())
        key = unicodedata.normalize("NFKC", raw).casefold()
        tokens.append(_Token(match.start(), match.end(), key, words))
    return tokens


def words(text: str) -> list[str]:
    """The words the guard compares: the F1's words (plus NFKC folding and Unicode punctuation
    dropped, which change nothing in ASCII text)."""
    return [word for token in _tokens(text) for word in token.words]


@dataclass(frozen=True)
class Restatement:
    """How much of an instruction a response restates, and where.

    ``coverage`` is the fraction of the instruction's ``instruction_words`` covered by its
    n-grams found in the response (``covered_words`` of them). ``spans`` are the response's
    restating character ranges ``(start, end)``: half-open, sorted, non-overlapping, each a
    chain of matching n-grams that overlap one another; ``span_coverage[k]`` is the fraction of
    the instruction that span ``k`` restates on its own (spans may restate the same words, so
    these can sum to more than ``coverage``). ``n`` is the n-gram length used (``min(n, L)``).
    """

    coverage: float
    spans: tuple[tuple[int, int], ...]
    span_coverage: tuple[float, ...]
    n: int
    instruction_words: int
    covered_words: int

    @property
    def restated_chars(self) -> int:
        return sum(end - start for start, end in self.spans)


@dataclass(frozen=True)
class _Found:
    restatement: Restatement
    covers: tuple[frozenset[int], ...]  # the instruction word positions each span restates


def restatement(instruction: str, response: str, n: int = DEFAULT_N) -> Restatement:
    """Measure how much of ``instruction`` ``response`` restates (see the module docstring).

    An instruction or response without words (empty, whitespace, only articles or
    punctuation) restates nothing: coverage 0, no spans. ``n`` is the n-gram length in words;
    an instruction shorter than ``n`` words is matched as a whole.
    """
    return _detect(instruction, response, n).restatement


def _detect(instruction: str, response: str, n: int) -> _Found:
    if n < 1:
        raise FlipConfigError(f"the n-gram length must be >= 1, got {n}")
    inst_tokens, resp_tokens = _tokens(instruction), _tokens(response)
    inst = [(word, t) for t, token in enumerate(inst_tokens) for word in token.words]
    resp = [(word, t) for t, token in enumerate(resp_tokens) for word in token.words]
    size = min(n, len(inst))
    if not inst or len(resp) < size:
        return _Found(Restatement(0.0, (), (), size, len(inst), 0), ())
    inst_words = [word for word, _ in inst]
    resp_words = [word for word, _ in resp]
    inst_grams: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(inst_words) - size + 1):
        inst_grams.setdefault(tuple(inst_words[i : i + size]), []).append(i)
    matched = [
        j
        for j in range(len(resp_words) - size + 1)
        if tuple(resp_words[j : j + size]) in inst_grams
    ]
    # Chains of matched n-grams that overlap by at least one word. Two chains that merely
    # touch (the n-gram bridging them does not match) stay apart: "<instruction> The
    # <instruction>" is two restatements with the response's own "The" between them.
    chains: list[list[int]] = []
    for j in matched:
        if chains and j - chains[-1][-1] < size:
            chains[-1].append(j)
        else:
            chains.append([j])
    spans: list[tuple[int, int]] = []
    covers: list[set[int]] = []
    for chain in chains:
        grams = {tuple(resp_words[j : j + size]) for j in chain}  # distinct: repeats are cheap
        cover = {p for gram in grams for i in inst_grams[gram] for p in range(i, i + size)}
        first_token, last_token = resp[chain[0]][1], resp[chain[-1] + size - 1][1]
        left = max(
            _aligned_extension(resp_tokens, first_token, inst_tokens, inst[i][1], step=-1)
            for i in inst_grams[tuple(resp_words[chain[0] : chain[0] + size])]
        )
        right = max(
            _aligned_extension(resp_tokens, last_token, inst_tokens, inst[i + size - 1][1], step=1)
            for i in inst_grams[tuple(resp_words[chain[-1] : chain[-1] + size])]
        )
        start, end = resp_tokens[first_token - left].start, resp_tokens[last_token + right].end
        if spans and start < spans[-1][1]:  # chains that share a token or a widened article
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            covers[-1] |= cover
        else:
            spans.append((start, end))
            covers.append(cover)
    covered = len(set().union(*covers))
    total = len(inst_words)
    found = Restatement(
        coverage=covered / total,
        spans=tuple(spans),
        span_coverage=tuple(len(cover) / total for cover in covers),
        n=size,
        instruction_words=total,
        covered_words=covered,
    )
    return _Found(found, tuple(frozenset(cover) for cover in covers))


def _aligned_extension(
    resp_tokens: list[_Token], resp_at: int, inst_tokens: list[_Token], inst_at: int, step: int
) -> int:
    """How many word-less tokens (articles, lone punctuation) beside a chain the instruction has
    at the same place too: the span is widened over them, so that a restated "The ..." or
    '... ?' is cut whole, while the response's own "A" or "-" next to it is kept."""
    count = 0
    while True:
        r, i = resp_at + step * (count + 1), inst_at + step * (count + 1)
        if not (0 <= r < len(resp_tokens) and 0 <= i < len(inst_tokens)):
            return count
        resp_token, inst_token = resp_tokens[r], inst_tokens[i]
        if resp_token.words or inst_token.words or resp_token.key != inst_token.key:
            return count
        count += 1


def _spans_to_strip(found: _Found, threshold: float) -> tuple[tuple[int, int], ...]:
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
    found = _detect(instruction, response, n)
    coverage = found.restatement.coverage
    applied = coverage > 0 and coverage >= limit
    text, factor, removed, residual = response, 1.0, (), coverage
    if applied and policy == STRIP:
        removed = _spans_to_strip(found, limit)
        text = cut_spans(response, removed)
        residual = _detect(instruction, text, n).restatement.coverage
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
