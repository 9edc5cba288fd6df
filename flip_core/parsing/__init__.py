"""Turn what a (small) model really writes into values, with an honest status.

Small models wrap JSON in code fences or chatter, use single quotes, leave trailing commas,
stop before the closing brace (token limit), misspell keys ("Inferred_Instruction") or skip
JSON altogether ("Score: 8/10"). Every parser here returns the value, a :class:`ParseStatus`
and the raw text, so that the store can recount parse failures and re-parse raw outputs later:

- ``ok``: a syntactically valid JSON object held the field (fences or prose around it allowed);
- ``repaired``: the value was recovered by JSON repair (``json-repair``), from a labelled line
  such as ``Score: 8`` or a heading, from prose (a bare ``8``, ``The better response is B``),
  or coerced from an irregular form (``"8/10"``, ``"Response B"``);
- ``failed``: no usable value; ``value`` is ``None``.

A pairwise verdict or a listwise pick can also be read under a named, non-default reading
(:data:`CONCLUSION_READING`): the answer a reasoning concludes with, where the output holds no
answer field (:func:`parse_verdict`, :func:`parse_index`).

Two rules keep repairs honest. A field that is present but unusable (``"SCORE": "N/A"``,
``"BETTER_RESPONSE": "A and B"``) fails: the rest of the text is not searched for a number
that might be something else. And prose is only read when the output holds no recognisable
field at all, so a number inside a reasoning ("a score of 3 would be harsh") is never taken
for the verdict. Parsers never raise on model text (property tests check this): a number too
large for a float or an int (``{"SCORE": 999...}``) or a value nested too deep to walk is an
unusable value, so a ``failed`` parse.

Bounded, linear work. Model text is untrusted, and one pathological output must not stall an
ingest, so parsing reads at most :data:`MAX_PARSED_CHARS` (65,536) characters of it: the 512 new
tokens of the ``default`` and ``paper`` profiles times 128 characters, the longest token in the
vocabularies the catalog uses (Qwen's run of 128 spaces; SmolLM2's longest is 81). No output of
a 512-token budget is ever cut; the excess of a longer one (a raised token limit, a broken
engine) is ignored, while ``raw`` keeps all of it. Every pattern is linear in the text it scans:
anchored or bounded, and written so that adjacent repeats never compete for one run of
characters, none retries a long run once per starting point or per split (the old ones were
quadratic in a run of digits or of spaces). On the bounded text this costs milliseconds.

The parsers are in :mod:`flip_core.parsing.answers`, the shared field rule in
:mod:`flip_core.parsing.fields`, and the bounded search for JSON objects (valid or repaired) in
:mod:`flip_core.parsing.json_objects`.
"""

from flip_core.parsing.answers import (
    CONCLUSION_READING,
    SCORE_MAX,
    SCORE_MIN,
    STRICT_READING,
    VERDICT_READINGS,
    check_verdict_reading,
    parse_index,
    parse_reconstruction,
    parse_score,
    parse_verdict,
)
from flip_core.parsing.fields import (
    INDEX_KEYS,
    INSTRUCTION_KEYS,
    MAX_PARSED_CHARS,
    REASONING_KEYS,
    SCORE_KEYS,
    VERDICT_KEYS,
    Parsed,
    ParseStatus,
    canonical_key,
    extract_fields,
)

__all__ = [
    "CONCLUSION_READING",
    "INDEX_KEYS",
    "INSTRUCTION_KEYS",
    "MAX_PARSED_CHARS",
    "REASONING_KEYS",
    "SCORE_KEYS",
    "SCORE_MAX",
    "SCORE_MIN",
    "STRICT_READING",
    "VERDICT_KEYS",
    "VERDICT_READINGS",
    "ParseStatus",
    "Parsed",
    "canonical_key",
    "check_verdict_reading",
    "extract_fields",
    "parse_index",
    "parse_reconstruction",
    "parse_score",
    "parse_verdict",
]
