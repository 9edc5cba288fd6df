"""Best-of-N reranking: pick one of N candidates per prompt, and measure the picks.

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

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.selection import Interval, bootstrap_interval, pick_best, top_indices

if TYPE_CHECKING:
    from flip_core.backends.base import GenerationBackend
    from flip_core.profiles import DecodingProfile

RERANK_METHODS = ("flip", "judge_pointwise", "longest", "shortest", "random")
MODEL_METHODS = ("flip", "judge_pointwise")

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


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class RerankPrompt:
    """One prompt with its N candidates and, where known, each candidate's reference score.

    ``line``: the 1-based line of the input file it came from (for messages).
    """

    id: str
    instruction: str
    candidates: tuple[str, ...]
    reference_scores: tuple[float, ...] | None = None
    domain: str | None = None
    line: int = 0

    @property
    def fingerprint(self) -> str:
        """A short hash of everything a result depends on, to detect a changed input."""
        canonical = json.dumps(
            [self.instruction, list(self.candidates), self.reference_scores],
            ensure_ascii=True,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def alpacaeval_win_rate(preference: float) -> float:
    """AlpacaEval's win rate of a candidate from the annotator's preference in [1, 2]."""
    return (preference - 1.0) * 100.0


def _numbers(values: Any, key: str, count: int, key_of_candidates: str) -> tuple[float, ...]:
    if not isinstance(values, list):
        raise ValueError(f"{key!r} must be a list of numbers")
    if len(values) != count:
        raise ValueError(
            f"{key!r} has {len(values)} values for {count} {key_of_candidates} (must match)"
        )
    numbers = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key!r} must hold numbers only, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{key!r} must hold finite numbers, got {value!r}")
        numbers.append(float(value))
    return tuple(numbers)


def _candidates(values: Any, key: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise ValueError(f"{key!r} must be a list of strings")
    if not values:
        raise ValueError(f"{key!r} is empty: a prompt needs at least one candidate")
    if not all(isinstance(text, str) for text in values):
        raise ValueError(f"{key!r} must hold strings only")
    return tuple(values)


def _instruction(row: dict[str, Any]) -> str:
    if not isinstance(row["instruction"], str):
        raise ValueError("'instruction' must be a string")
    return row["instruction"]


def _generic_prompt(row: dict[str, Any], line: int) -> RerankPrompt:
    instruction = _instruction(row)
    candidates = _candidates(row["responses"], "responses")
    scores = row.get("reference_scores")
    return RerankPrompt(
        id=str(row.get("id", line)),
        instruction=instruction,
        candidates=candidates,
        reference_scores=(
            None
            if scores is None
            else _numbers(scores, "reference_scores", len(candidates), "responses")
        ),
        domain=row.get("domain") if isinstance(row.get("domain"), str) else None,
        line=line,
    )


def _alpacaeval_prompt(row: dict[str, Any], line: int) -> RerankPrompt:
    instruction = _instruction(row)
    candidates = _candidates(row["outputs"], "outputs")
    preferences = _numbers(
        row["preference_vs_gpt35"], "preference_vs_gpt35", len(candidates), "outputs"
    )
    outside = [p for p in preferences if not 1.0 <= p <= 2.0]
    if outside:
        raise ValueError(f"'preference_vs_gpt35' must lie in [1, 2], got {outside[0]!r}")
    dataset = str(row["dataset"])
    return RerankPrompt(
        id=f"{ALPACAEVAL_SOURCE}:{dataset}:{row['id']}",
        instruction=instruction,
        candidates=candidates,
        reference_scores=tuple(alpacaeval_win_rate(p) for p in preferences),
        domain=dataset,
        line=line,
    )


def prompt_from_row(row: Any, line: int) -> RerankPrompt:
    """A prompt from one input row: this project's generic shape or an AlpacaEval row.

    Generic: ``instruction``, ``responses`` (optional ``id``, default the line number;
    optional ``reference_scores``, one number per response; optional ``domain``).
    AlpacaEval best-of-N: ``id``, ``instruction``, ``outputs``, ``preference_vs_gpt35``,
    ``dataset``; the reference score is the win rate ``(preference - 1) * 100`` and the id
    ``alpacaeval_bon:{dataset}:{id}`` (conventions.md's item identity).
    """
    if not isinstance(row, dict):
        raise ValueError("each line must be a JSON object")
    if "responses" in row:
        return _generic_prompt(row, line)
    if "outputs" in row:
        return _alpacaeval_prompt(row, line)
    raise ValueError(
        "expected 'instruction' and 'responses' (optional 'id', 'reference_scores'), or "
        "AlpacaEval's 'id', 'instruction', 'outputs', 'preference_vs_gpt35', 'dataset'"
    )


def parse_prompt_lines(lines: Iterable[str], source: str) -> list[RerankPrompt]:
    """Prompts from JSON Lines text; any bad line is one error naming ``source`` and the line."""
    prompts: list[RerankPrompt] = []
    seen: dict[str, int] = {}
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            prompt = prompt_from_row(json.loads(line), line_number)
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
            raise FlipInputError(f"{source}:{line_number}: {reason.splitlines()[0]}") from None
        if prompt.id in seen:
            raise FlipInputError(
                f"{source}:{line_number}: id {prompt.id!r} repeats line {seen[prompt.id]} "
                "(ids must be unique: they key resumption)"
            )
        seen[prompt.id] = line_number
        prompts.append(prompt)
    if not prompts:
        raise FlipInputError(f"{source} holds no prompts")
    return prompts


def load_rerank_prompts(path: str | Path) -> list[RerankPrompt]:
    """Read and validate a whole JSON Lines file of prompts (generic or AlpacaEval rows)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return parse_prompt_lines(handle, str(path))
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise FlipInputError(f"cannot read {path}: {reason}") from None


# --------------------------------------------------------------------------- context budget


@dataclass(frozen=True)
class FittedPrompt:
    """A prompt as a model will see it: candidates cut to the budget, or a refusal.

    ``truncated`` maps a candidate index to the number of characters kept.
    """

    prompt: RerankPrompt
    shown: tuple[str, ...]
    truncated: dict[int, int] = field(default_factory=dict)
    refusal: str | None = None


def fit_to_budget(
    prompt: RerankPrompt, max_chars: int | None, shows_instruction: bool
) -> FittedPrompt:
    """Cut candidates to what one call may show; refuse a prompt whose instruction leaves too
    little room (only where the method shows the instruction). ``None``: no budget."""
    if max_chars is None:
        return FittedPrompt(prompt, prompt.candidates)
    room = max_chars - (len(prompt.instruction) if shows_instruction else 0)
    if shows_instruction and room < MIN_CANDIDATE_CHARS:
        return FittedPrompt(
            prompt,
            (),
            refusal=(
                f"instruction is {len(prompt.instruction)} characters; the budget of "
                f"{max_chars} characters per call (--max-candidate-chars) must leave at least "
                f"{MIN_CANDIDATE_CHARS} for the candidate"
            ),
        )
    truncated = {i: room for i, text in enumerate(prompt.candidates) if len(text) > room}
    shown = tuple(text[:room] for text in prompt.candidates)
    return FittedPrompt(prompt, shown, truncated)


def check_max_candidate_chars(value: int) -> int:
    if value < MIN_CANDIDATE_CHARS:
        raise FlipConfigError(
            f"--max-candidate-chars must be >= {MIN_CANDIDATE_CHARS}, got {value}"
        )
    return value


# --------------------------------------------------------------------------- pickers


@dataclass(frozen=True)
class PromptScores:
    """Every candidate's score (None: no score, ranks last) and method-specific details."""

    scores: list[float | None]
    details: list[dict[str, Any]]


class Reranker:
    """Scores the candidates of a batch of prompts.

    ``settings``: everything that determines a pick, recorded in every row and compared on
    resumption. ``max_candidate_chars``: the context budget (None for model-free pickers).
    """

    name: str
    shows_instruction: bool = False
    max_candidate_chars: int | None = None

    @property
    def settings(self) -> dict[str, Any]:
        return {"method": self.name}

    @property
    def model_name(self) -> str | None:
        return None

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        raise NotImplementedError


class LengthPicker(Reranker):
    """``longest`` / ``shortest``: the score is the (negated) character length."""

    def __init__(self, rule: str) -> None:
        if rule not in ("longest", "shortest"):
            raise FlipConfigError(f"unknown length rule {rule!r}; choose longest or shortest")
        self.name = rule

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        sign = 1.0 if self.name == "longest" else -1.0
        return [
            PromptScores([sign * len(text) for text in fitted.prompt.candidates], [])
            for fitted in batch
        ]


class RandomPicker(Reranker):
    """``random``: one uniform draw per candidate, seeded by ``(seed, prompt id)``."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    @property
    def settings(self) -> dict[str, Any]:
        return {"method": self.name, "seed": self.seed}

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        results = []
        for fitted in batch:
            rng = random.Random(f"{self.seed}:{fitted.prompt.id}")
            results.append(PromptScores([rng.random() for _ in fitted.prompt.candidates], []))
        return results


GeneratorFactory = Callable[[], "GenerationBackend"]


class _ModelReranker(Reranker):
    """A picker that asks a generation backend, loaded on first use (not for a finished run)."""

    def __init__(
        self,
        profile: DecodingProfile,
        model_label: str,
        backend_name: str,
        max_candidate_chars: int,
        generator: GenerationBackend | None = None,
        load_generator: GeneratorFactory | None = None,
    ) -> None:
        if generator is None and load_generator is None:
            raise FlipConfigError("a model picker needs a generator or a way to load one")
        self.profile = profile
        self.model_label = model_label
        self.backend_name = backend_name
        self.max_candidate_chars = check_max_candidate_chars(max_candidate_chars)
        self._generator = generator
        self._load_generator = load_generator

    @property
    def generator(self) -> GenerationBackend:
        if self._generator is None:
            self._generator = self._load_generator()
        return self._generator

    @property
    def model_name(self) -> str | None:
        return None if self._generator is None else self._generator.model_name

    def _base_settings(self, template: Any) -> dict[str, Any]:
        return {
            "method": self.name,
            "model": self.model_label,
            "backend": self.backend_name,
            "profile": self.profile.to_dict(),
            "prompt_template": template.name,
            "prompt_version": template.version,
            "prompt_hash": template.hash,
            "max_candidate_chars": self.max_candidate_chars,
        }


class FlipReranker(_ModelReranker):
    """``flip``: FlipScorer rewards; one ``score_many`` call per batch of prompts."""

    name = "flip"

    def __init__(
        self, *args: Any, similarity: str = "f1", on_parse_failure: str = "raw_output", **kw: Any
    ) -> None:
        from flip_core.reconstruction import on_parse_failure as check_policy
        from flip_core.similarity import get_similarity

        super().__init__(*args, **kw)
        get_similarity(similarity)
        self.similarity = similarity
        self.on_parse_failure = check_policy(on_parse_failure).value
        self._scorer: Any = None

    @property
    def settings(self) -> dict[str, Any]:
        from flip_core.prompts import FLIP_RECONSTRUCTION

        return {
            **self._base_settings(FLIP_RECONSTRUCTION),
            "similarity": self.similarity,
            "on_parse_failure": self.on_parse_failure,
        }

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        from flip_core.scorer import FlipScorer

        if self._scorer is None:
            self._scorer = FlipScorer(
                generator=self.generator,
                profile=self.profile,
                similarity=self.similarity,
                on_parse_failure=self.on_parse_failure,
            )
        rewards = self._scorer.score_many(
            [(fitted.prompt.instruction, fitted.shown) for fitted in batch], progress=False
        )
        return [
            PromptScores(
                [r.reward for r in item],
                [
                    {k: v for k, v in r.to_dict().items() if k not in ("index", "reward")}
                    for r in item
                ],
            )
            for item in rewards
        ]


class PointwiseJudgeReranker(_ModelReranker):
    """``judge_pointwise``: flip_core.methods' 1-10 judge, one call per candidate."""

    name = "judge_pointwise"
    shows_instruction = True

    def __init__(self, *args: Any, **kw: Any) -> None:
        from flip_core.methods import get_method

        super().__init__(*args, **kw)
        self.method = get_method("judge_pointwise")

    @property
    def settings(self) -> dict[str, Any]:
        return self._base_settings(self.method.template)

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        from flip_core.items import Item

        items = [
            Item(id=f.prompt.id, instruction=f.prompt.instruction, candidates=f.shown)
            for f in batch
        ]
        calls = [self.method.calls(item) for item in items]
        generations = self.generator.generate(
            [call.conversation for item_calls in calls for call in item_calls],
            self.profile,
            progress=False,
        )
        results = []
        start = 0
        for item, item_calls in zip(items, calls, strict=True):
            item_generations = generations[start : start + len(item_calls)]
            start += len(item_calls)
            scored = self.method.score(item, [[g.text for g in gens] for gens in item_generations])
            details: list[dict[str, Any]] = [{} for _ in item.candidates]
            for call, result, gens in zip(item_calls, scored.calls, item_generations, strict=True):
                (index,) = call.shown
                details[index] = {
                    "rating": scored.scores[index],
                    "parse_status": result.statuses[0].value,
                    "generated_tokens": sum(g.num_tokens for g in gens),
                    "samples": [
                        {
                            "raw_output": g.text,
                            "rating": value,
                            "parse_status": status.value,
                            "generated_tokens": g.num_tokens,
                            "finished": g.finished,
                        }
                        for g, value, status in zip(
                            gens, result.values, result.statuses, strict=True
                        )
                    ],
                }
            results.append(PromptScores(list(scored.scores), details))
        return results


def make_reranker(
    method: str,
    *,
    generator: GenerationBackend | None = None,
    load_generator: GeneratorFactory | None = None,
    model_label: str = "default",
    backend_name: str = "hf",
    profile: str = "default",
    batch_size: int | None = None,
    max_new_tokens: int | None = None,
    seed: int | None = None,
    max_candidate_chars: int = DEFAULT_MAX_CANDIDATE_CHARS,
    similarity: str = "f1",
    on_parse_failure: str = "raw_output",
) -> Reranker:
    """A picker by name. Model pickers take a ``generator`` (a built backend) or
    ``load_generator`` (called on first use); ``seed`` seeds ``random`` (default 0) and, when
    given, the sampling of a model picker's profile."""
    if method == "random":
        return RandomPicker(0 if seed is None else seed)
    if method in ("longest", "shortest"):
        return LengthPicker(method)
    if method not in MODEL_METHODS:
        raise FlipConfigError(
            f"unknown method {method!r}; choose one of {', '.join(RERANK_METHODS)}"
        )
    from flip_core.profiles import get_profile

    decoding = get_profile(profile, max_new_tokens, batch_size)
    if seed is not None:
        decoding = replace(decoding, seed=seed)
    args = (decoding, model_label, backend_name, max_candidate_chars, generator, load_generator)
    if method == "flip":
        return FlipReranker(*args, similarity=similarity, on_parse_failure=on_parse_failure)
    return PointwiseJudgeReranker(*args)


# --------------------------------------------------------------------------- result rows


def result_row(fitted: FittedPrompt, scored: PromptScores | None, reranker: Reranker) -> dict:
    """The output row of one prompt: the pick, ties, and every candidate's score."""
    prompt = fitted.prompt
    candidates = []
    for i, text in enumerate(prompt.candidates):
        candidate: dict[str, Any] = {
            "index": i,
            "chars": len(text),
            "truncated_to": fitted.truncated.get(i),
            "reference_score": (
                None if prompt.reference_scores is None else prompt.reference_scores[i]
            ),
            "score": None if scored is None else scored.scores[i],
        }
        if scored is not None and scored.details:
            candidate.update(scored.details[i])
        candidates.append(candidate)
    row: dict[str, Any] = {
        "id": prompt.id,
        "domain": prompt.domain,
        "instruction": prompt.instruction,
        "method": reranker.name,
        "status": "refused" if scored is None else "ok",
        "refusal": fitted.refusal,
        "picked_index": None,
        "picked_response": None,
        "picked_reference_score": None,
        "top_indices": [],
        "tie": False,
        "truncated_candidates": len(fitted.truncated),
        "candidates": candidates,
        "input_fingerprint": prompt.fingerprint,
        "settings": reranker.settings,
    }
    if reranker.model_name is not None:
        row["model_name"] = reranker.model_name
    if scored is not None:
        top = top_indices(scored.scores)
        picked = pick_best(scored.scores, tie_break="first")
        row.update(
            picked_index=picked,
            picked_response=prompt.candidates[picked],
            picked_reference_score=(
                None if prompt.reference_scores is None else prompt.reference_scores[picked]
            ),
            top_indices=top,
            tie=len(top) > 1,
        )
    return row


# --------------------------------------------------------------------------- resumable output


def _row_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


@dataclass
class FinishedRows:
    """Rows already in an output file (by prompt id), and what was repaired on reading it."""

    rows: dict[str, dict[str, Any]]
    dropped_line: int | None = None


def read_finished(
    path: str | Path,
    settings: dict[str, Any],
    prompts: Sequence[RerankPrompt] = (),
) -> FinishedRows:
    """The rows already in ``path``; repairs the file after a kill.

    A last line that is not complete JSON (a kill while writing it) is cut off the file and
    reported in ``dropped_line``. Any other bad line, a row written with other settings, or a
    row whose prompt is not (or no longer the same) in ``prompts`` is an error that names the
    file and line: nothing is mixed.
    """
    path = Path(path)
    if not path.exists():
        return FinishedRows({})
    if path.is_dir():
        raise FlipInputError(f"cannot write {path}: it is a folder")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FlipInputError(f"cannot read {path}: {error.strerror or error}") from None
    known = {prompt.id: prompt for prompt in prompts}
    rows: dict[str, dict[str, Any]] = {}
    lines = data.splitlines(keepends=True)
    offset = 0
    for number, raw in enumerate(lines, start=1):
        start, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            if number == len(lines) and row is None:
                _truncate(path, start)
                return FinishedRows(rows, dropped_line=number)
            raise FlipInputError(f"{path}:{number}: not a rerank result row")
        _check_row(path, number, row, settings, known)
        rows[row["id"]] = row
    if data and not data.endswith(b"\n"):  # a complete row whose newline was lost
        with path.open("ab") as handle:
            handle.write(b"\n")
    return FinishedRows(rows)


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)


def _check_row(
    path: Path,
    number: int,
    row: dict[str, Any],
    settings: dict[str, Any],
    known: dict[str, RerankPrompt],
) -> None:
    where = f"{path}:{number}"
    if not isinstance(row.get("id"), str) or "settings" not in row:
        raise FlipInputError(f"{where}: not a rerank result row (no 'id' or 'settings')")
    if row["settings"] != settings:
        old = row["settings"] if isinstance(row["settings"], dict) else {}
        key = next(
            (k for k in sorted(set(old) | set(settings)) if old.get(k) != settings.get(k)),
            "settings",
        )
        raise FlipInputError(
            f"{where}: written with other settings ({key}: {old.get(key)!r}, now "
            f"{settings.get(key)!r}); choose another --output to keep both"
        )
    if known:
        prompt = known.get(row["id"])
        if prompt is None:
            raise FlipInputError(f"{where}: prompt {row['id']!r} is not in the input")
        if row.get("input_fingerprint") != prompt.fingerprint:
            raise FlipInputError(
                f"{where}: prompt {row['id']!r} differs from the input's (line {prompt.line}); "
                "choose another --output"
            )


class RowWriter:
    """Appends rows as JSON lines, flushed and synced one by one (a kill loses no whole row)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        except OSError as error:
            raise FlipInputError(f"cannot write {self.path}: {error.strerror or error}") from None

    def write(self, row: dict[str, Any]) -> None:
        self._handle.write(_row_line(row))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- the run


@dataclass
class RerankRun:
    """What a run produced: the rows of the given prompts, in input order, and bookkeeping."""

    rows: list[dict[str, Any]]
    resumed: int
    scored_now: int
    dropped_line: int | None


def run_rerank(
    prompts: Sequence[RerankPrompt],
    reranker: Reranker,
    output: str | Path,
    *,
    limit: int | None = None,
    prompts_per_batch: int = 4,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
) -> RerankRun:
    """Pick the best candidate of every prompt not yet in ``output``, appending a row per prompt.

    ``limit``: only the first N prompts (an output may hold more, from an earlier run; rows
    are checked against all of ``prompts``). The candidates of ``prompts_per_batch`` prompts
    go to the model in one call (batching across prompts); each prompt's row is written as
    soon as its batch returns, so a kill loses at most one batch.
    """
    from tqdm.auto import tqdm

    if prompts_per_batch < 1:
        raise FlipConfigError(f"--prompts-per-batch must be >= 1, got {prompts_per_batch}")
    if limit is not None and limit < 1:
        raise FlipConfigError(f"--limit must be >= 1, got {limit}")
    say = on_message or (lambda message: None)
    finished = read_finished(output, reranker.settings, prompts)
    prompts = prompts[:limit]
    if finished.dropped_line is not None:
        say(
            f"{output}:{finished.dropped_line}: dropped an incomplete last line (a run was "
            "stopped while writing it); that prompt is scored again"
        )
    done = dict(finished.rows)
    resumed = sum(prompt.id in done for prompt in prompts)
    pending = [prompt for prompt in prompts if prompt.id not in done]
    if resumed:
        say(f"resuming {output}: {resumed} of {len(prompts)} prompts already done")
    with (
        RowWriter(output) as writer,
        tqdm(
            total=len(prompts), initial=resumed, unit="prompt", desc=reranker.name,
            disable=not progress,
        ) as bar,
    ):  # fmt: skip
        for start in range(0, len(pending), prompts_per_batch):
            batch = [
                fit_to_budget(p, reranker.max_candidate_chars, reranker.shows_instruction)
                for p in pending[start : start + prompts_per_batch]
            ]
            to_score = [fitted for fitted in batch if fitted.refusal is None]
            scores = iter(reranker.score(to_score) if to_score else [])
            for fitted in batch:
                scored = None if fitted.refusal is not None else next(scores)
                row = result_row(fitted, scored, reranker)
                writer.write(row)
                done[row["id"]] = row
                bar.update(1)
    return RerankRun(
        rows=[done[prompt.id] for prompt in prompts],
        resumed=resumed,
        scored_now=len(pending),
        dropped_line=finished.dropped_line,
    )


def default_output_path(
    input_path: str | Path, method: str, model: str | None = None, profile: str | None = None
) -> Path:
    """``results/rerank/{input stem}-{method}[-{model}-{profile}].jsonl``."""
    parts = [Path(input_path).stem, method]
    if method in MODEL_METHODS:
        parts += [re.sub(r"[^A-Za-z0-9._-]+", "_", model or "default").strip("_")[-60:], profile]
    return Path("results") / "rerank" / ("-".join(p for p in parts if p) + ".jsonl")


# --------------------------------------------------------------------------- summary


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
