"""What a scoring method is: its model calls, how their outputs become scores, and its metrics.

A method turns an item into model calls (a conversation plus which candidates it shows, in the
order shown), then turns the raw outputs of those calls into one score per candidate, and those
scores into per-item metrics. The harness tasks, the results store (which re-scores logged raw
outputs), ``flip summarize`` and the reranker all call these same methods, so a score or a
metric is computed one way only. Everything a caller needs to know about a method (what it asks
the model, which metrics it reports, what its outputs mean, its seeds) is a property of its
class; nothing outside this package branches on a method's name.

Label-blindness: the gold index is never used to build a call.

Methods are registered in :mod:`flip_core.methods` (:func:`register_method`); :func:`get_method`
builds one by name, and :func:`method_from_document` rebuilds one exactly as a logged run
configured it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.parsing import Parsed, ParseStatus
from flip_core.prompts import Conversation, PromptTemplate
from flip_core.selection import is_strictly_correct, tie_aware_credit

Score = float | None


class OutputKind(StrEnum):
    """What one call's parsed value is; views render calls by it (never by method name)."""

    RECONSTRUCTION = "reconstruction"  # an inferred instruction (FLIP)
    RATING = "rating"  # a 1-10 score (pointwise judge)
    VERDICT = "verdict"  # "A" or "B" (pairwise judge)
    PICK = "pick"  # a shown position (listwise judge)
    LOGPROB = "logprob"  # a teacher-forced log-probability (FLIP-likelihood)


class MethodFamily(StrEnum):
    """FLIP-style methods (reward from what a response implies about its instruction) against
    LLM-as-a-judge baselines: the comparison the leaderboard exists for."""

    FLIP = "flip"
    JUDGE = "judge"


@dataclass(frozen=True)
class Call:
    """One model call: the conversation, and the candidate indices it shows, in shown order.

    ``continuation``: for likelihood methods, the text whose log-probability is asked for as
    the model's whole answer (None for generative methods). A call may show no candidate
    (FLIP-likelihood's empty-response reference).
    """

    conversation: Conversation
    shown: tuple[int, ...]
    continuation: str | None = None


@dataclass(frozen=True)
class CallResult:
    """What one call's output(s) meant: the parsed value per sample and its parse status."""

    shown: tuple[int, ...]
    values: tuple[Any, ...]
    statuses: tuple[ParseStatus, ...]

    @classmethod
    def of(cls, shown: tuple[int, ...], parsed: Sequence[Parsed[Any]]) -> CallResult:
        """The result of a call from the parsed outputs of its samples."""
        return cls(shown, tuple(p.value for p in parsed), tuple(p.status for p in parsed))

    @property
    def failed(self) -> bool:
        """A call fails when none of its samples parsed."""
        return all(status is ParseStatus.FAILED for status in self.statuses)


@dataclass(frozen=True)
class ItemScores:
    """Per-candidate scores (source order) and the per-call details behind them."""

    scores: list[Score]
    calls: list[CallResult] = field(default_factory=list)

    @property
    def parse_fail_rate(self) -> float:
        if not self.calls:
            return 0.0
        return sum(call.failed for call in self.calls) / len(self.calls)


COMMON_METRICS = ("acc", "acc_tie_aware", "parse_fail_rate")
"""Per-item metrics of every method: strict best-of-N, tie-aware credit, failed calls."""


class Method:
    """A scoring method: ``calls(item)`` to ask, ``score(item, outputs)`` to read the answers.

    ``outputs[k]`` holds the sampled raw outputs of ``calls(item)[k]`` (one per sample): text
    for ``request_type == "generate_until"``, (log-probability, is_greedy) pairs for
    ``"loglikelihood"``.

    Class attributes describe the method for every caller: ``label`` (for people),
    ``family``, ``paper`` (the paper's method, or this project's extension), ``output_kind``,
    ``template``, ``request_type``, ``extra_metrics`` (per-item metrics beyond
    :data:`COMMON_METRICS`), ``supports_sampling`` (the ``s5`` variant).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    family: ClassVar[MethodFamily]
    paper: ClassVar[bool] = True
    output_kind: ClassVar[OutputKind]
    template: ClassVar[PromptTemplate]
    request_type: ClassVar[str] = "generate_until"
    extra_metrics: ClassVar[tuple[str, ...]] = ()
    supports_sampling: ClassVar[bool] = False
    first_shown_answer: ClassVar[Any] = None
    """The parsed answer that names the candidate shown first (the pairwise judge's ``"A"``,
    the listwise judge's position 0); None for methods that do not pick among shown
    candidates. :meth:`first_shown_share` counts it: a judge's position bias."""

    # --- the protocol -------------------------------------------------------------------

    def calls(self, item: Item) -> list[Call]:
        raise NotImplementedError

    def score(self, item: Item, outputs: Sequence[Sequence[Any]]) -> ItemScores:
        raise NotImplementedError

    # --- configuration, logged with every document --------------------------------------

    @property
    def settings(self) -> dict[str, Any]:
        """Everything that configures this method beyond its class (logged per document, so
        a logged run is re-scored exactly as it was scored)."""
        return {}

    @property
    def shuffle_seed(self) -> int | None:
        """The seed of the order in which candidates are shown (None: source order)."""
        return None

    SETTINGS: ClassVar[frozenset[str]] = frozenset()
    """The constructor's keyword arguments that :attr:`settings` logs and :meth:`from_settings`
    accepts (none by default)."""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Method:
        """The method configured by logged ``settings`` (see :attr:`settings`)."""
        unknown = set(settings) - cls.SETTINGS
        if unknown:
            raise FlipConfigError(f"{cls.name}: unknown settings {sorted(unknown)}")
        return cls(**settings)

    # --- properties the harness, the store and the views read ----------------------------

    @property
    def generative(self) -> bool:
        return self.request_type == "generate_until"

    @classmethod
    def metric_names(cls, sampled: bool = False) -> tuple[str, ...]:
        """The per-item metrics :meth:`item_metrics` returns (harness tasks declare them);
        ``sampled``: for the ``s5`` variant (several samples per call)."""
        return COMMON_METRICS + cls.extra_metrics

    def item_metrics(
        self,
        item: Item,
        scored: ItemScores,
        outputs: Sequence[Sequence[Any]],
        sampled: bool = False,
    ) -> dict[str, float]:
        """Per-item metrics: the common ones and the method's own (:meth:`metric_names`)."""
        gold = _gold(item)
        return {
            "acc": float(is_strictly_correct(scored.scores, gold)),
            "acc_tie_aware": tie_aware_credit(scored.scores, gold),
            "parse_fail_rate": scored.parse_fail_rate,
            **self.extra_item_metrics(item, scored, outputs, sampled),
        }

    def extra_item_metrics(
        self,
        item: Item,
        scored: ItemScores,
        outputs: Sequence[Sequence[Any]],
        sampled: bool,
    ) -> dict[str, float]:
        return {}

    def first_shown_share(self, scored: ItemScores) -> float | None:
        """Share of an item's parsed answers that name the candidate shown first; None where
        nothing parsed or the method does not pick (:attr:`first_shown_answer`).

        Why it is worth a column: the pairwise judge asks both orders of every pair, so a judge
        that always names the first slot wins each pair once, a tie, and strict accuracy calls
        it wrong; on pairs an unbiased judge is near 50%.
        """
        if self.first_shown_answer is None:
            return None
        answers = [value for call in scored.calls for value in call.values if value is not None]
        if not answers:
            return None
        return sum(answer == self.first_shown_answer for answer in answers) / len(answers)

    def call_annotations(self, item: Item) -> list[dict[str, Any] | None]:
        """What the method did to each call beyond asking it (a guard's decision), for the
        store and Inspect; None where there is nothing to say."""
        return [None] * len(self.calls(item))

    # --- shared checks --------------------------------------------------------------------

    def _check(self, item: Item, outputs: Sequence[Sequence[Any]]) -> list[Call]:
        calls = self.calls(item)
        if len(outputs) != len(calls):
            raise FlipConfigError(
                f"{self.name}: item {item.id} needs {len(calls)} outputs, got {len(outputs)}"
            )
        if any(len(samples) == 0 for samples in outputs):
            raise FlipConfigError(f"{self.name}: item {item.id} has a call without output")
        return calls


def _gold(item: Item) -> int:
    if item.gold_index is None:
        raise FlipConfigError(f"item {item.id} has no gold candidate: no accuracy to compute")
    return item.gold_index


def chosen_and_rejected_mean(scores: Sequence[Score], gold_index: int) -> tuple[float, float]:
    """The chosen candidate's score and the mean score of the rejected ones."""
    rejected = [float(s) for i, s in enumerate(scores) if i != gold_index]  # type: ignore[arg-type]
    return float(scores[gold_index]), sum(rejected) / len(rejected)  # type: ignore[arg-type]


# --- the registry -------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Method]] = {}


def register_method(cls: type[Method]) -> type[Method]:
    """Make a method known by its ``name`` (its task-name prefix)."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise FlipConfigError(f"two methods are registered as {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def method_names() -> tuple[str, ...]:
    """Every registered method, in registration order (the paper's first)."""
    return tuple(_REGISTRY)


def method_class(name: str) -> type[Method]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise FlipConfigError(
            f"unknown method {name!r}; choose one of {', '.join(_REGISTRY)}"
        ) from None


def get_method(name: str, **settings: Any) -> Method:
    """A method by its name, with its defaults or the given settings."""
    return method_class(name).from_settings(settings)


def method_from_document(doc: Mapping[str, Any]) -> Method:
    """The method that produced a logged document, configured as it was.

    Documents log ``method`` and ``method_settings``; older ones log only the listwise
    ``shuffle_seed`` (and were scored with every other setting at its default).
    """
    cls = method_class(str(doc["method"]))
    settings = doc.get("method_settings")
    if settings is None:
        seed = doc.get("shuffle_seed")
        settings = {"seed": seed} if seed is not None else {}
    if not isinstance(settings, Mapping):
        raise FlipConfigError(f"method_settings must be an object, got {type(settings).__name__}")
    return cls.from_settings(settings)
