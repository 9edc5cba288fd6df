"""What every picker is: a name, whether it asks a model, how it scores the candidates of a
batch of prompts, and how a logged row's scores are re-derived without a model.

The last part lets the store check a submitted ``flip rerank`` output (a consistent forgery of
scores would otherwise reach the leaderboard): each picker owns its re-derivation, so adding a
picker is one class and its registration in :mod:`flip_rerank.pickers`, and no other layer
branches on picker names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from flip_rerank.constants import DEFAULT_MAX_CANDIDATE_CHARS
from flip_rerank.inputs import FittedPrompt, RerankPrompt

if TYPE_CHECKING:
    from flip_core.backends.base import GenerationBackend

GeneratorFactory = Callable[[], "GenerationBackend"]


@dataclass(frozen=True)
class PromptScores:
    """Every candidate's score (None: no score, ranks last) and method-specific details."""

    scores: list[float | None]
    details: list[dict[str, Any]]


@dataclass(frozen=True)
class PickerOptions:
    """Everything ``flip rerank`` may set; each picker takes the options it uses.

    Model pickers take a ``generator`` (a built backend) or ``load_generator`` (called on first
    use, so that resuming a finished run loads nothing); ``seed`` seeds ``random`` (default 0)
    and, when given, the sampling of a model picker's profile; ``guard`` puts FLIP and
    FLIP-likelihood behind the restatement guard (:mod:`flip_core.methods.guarded`).
    """

    generator: GenerationBackend | None = None
    load_generator: GeneratorFactory | None = None
    model_label: str = "default"
    backend_name: str = "hf"
    profile: str = "default"
    batch_size: int | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    max_candidate_chars: int = DEFAULT_MAX_CANDIDATE_CHARS
    similarity: str = "f1"
    on_parse_failure: str = "raw_output"
    guard: str | None = None


class Reranker:
    """Scores the candidates of a batch of prompts.

    ``settings``: everything that determines a pick, recorded in every row and compared on
    resumption. ``max_candidate_chars``: the context budget (None for model-free pickers).
    """

    name: ClassVar[str]
    uses_model: ClassVar[bool] = False
    verifiable: ClassVar[bool] = True
    """Its scores follow from what a row logs, without the model (see :meth:`rederive_scores`)."""
    shows_instruction: ClassVar[bool] = False
    store_model_name: ClassVar[str | None] = None
    """What the store and the leaderboard call the "model" of a model-free picker's run (a
    model picker's run is stored under its model)."""
    max_candidate_chars: int | None = None

    @classmethod
    def create(cls, options: PickerOptions) -> Reranker:
        """The picker as ``options`` configure it."""
        raise NotImplementedError

    @classmethod
    def rederive_scores(
        cls, row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any]
    ) -> list[float | None]:
        """The candidate scores that ``row`` (a result row of this picker, written with
        ``settings``) must hold for ``prompt``; only called where :attr:`verifiable`."""
        raise NotImplementedError(f"the {cls.name} picker's scores need the model")

    @property
    def settings(self) -> dict[str, Any]:
        return {"method": self.name}

    @property
    def model_name(self) -> str | None:
        return None

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        raise NotImplementedError


def logged_outputs(row: dict[str, Any]) -> list[list[str]]:
    """A model picker's raw outputs per candidate, as its row logged them."""
    return [[str(s["raw_output"]) for s in candidate["samples"]] for candidate in row["candidates"]]
