"""Measuring how much of an instruction a response restates, and where.

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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
class Detection:
    """A :class:`Restatement` with, per span, the instruction word positions it restates: what
    the ``strip`` policy needs to choose the fewest spans to cut."""

    restatement: Restatement
    covers: tuple[frozenset[int], ...]


def restatement(instruction: str, response: str, n: int = DEFAULT_N) -> Restatement:
    """Measure how much of ``instruction`` ``response`` restates (see the module docstring).

    An instruction or response without words (empty, whitespace, only articles or
    punctuation) restates nothing: coverage 0, no spans. ``n`` is the n-gram length in words;
    an instruction shorter than ``n`` words is matched as a whole.
    """
    return detect(instruction, response, n).restatement


def detect(instruction: str, response: str, n: int) -> Detection:
    """:func:`restatement` with each span's restated instruction words (:class:`Detection`)."""
    if n < 1:
        raise FlipConfigError(f"the n-gram length must be >= 1, got {n}")
    inst_tokens, resp_tokens = _tokens(instruction), _tokens(response)
    inst = [(word, t) for t, token in enumerate(inst_tokens) for word in token.words]
    resp = [(word, t) for t, token in enumerate(resp_tokens) for word in token.words]
    size = min(n, len(inst))
    if not inst or len(resp) < size:
        return Detection(Restatement(0.0, (), (), size, len(inst), 0), ())
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
    return Detection(found, tuple(frozenset(cover) for cover in covers))


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
