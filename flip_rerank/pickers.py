"""Rerankers: score every candidate of a prompt (FLIP, the pointwise judge, length, seeded
random); the pick is the first of the top-scoring."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flip_core.errors import FlipConfigError
from flip_rerank.constants import DEFAULT_MAX_CANDIDATE_CHARS, MODEL_METHODS, RERANK_METHODS
from flip_rerank.inputs import FittedPrompt, check_max_candidate_chars

if TYPE_CHECKING:
    from flip_core.backends.base import GenerationBackend
    from flip_core.profiles import DecodingProfile


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
        self,
        *args: Any,
        similarity: str = "f1",
        on_parse_failure: str = "raw_output",
        guard: str | None = None,
        **kw: Any,
    ) -> None:
        from flip_core.reconstruction import on_parse_failure as check_policy
        from flip_core.similarity import get_similarity

        super().__init__(*args, **kw)
        get_similarity(similarity)
        self.similarity = similarity
        self.on_parse_failure = check_policy(on_parse_failure).value
        self.guard = guard
        self._scorer: Any = None

    @property
    def settings(self) -> dict[str, Any]:
        from flip_core.prompts import FLIP_RECONSTRUCTION

        return {
            **self._base_settings(FLIP_RECONSTRUCTION),
            "similarity": self.similarity,
            "on_parse_failure": self.on_parse_failure,
            **({"guard": self.guard} if self.guard else {}),
        }

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        from flip_core.scorer import FlipScorer

        if self._scorer is None:
            self._scorer = FlipScorer(
                generator=self.generator,
                profile=self.profile,
                similarity=self.similarity,
                on_parse_failure=self.on_parse_failure,
                guard=self.guard,
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


class FlipLikelihoodReranker(_ModelReranker):
    """``flipll`` (FLIP-likelihood, this project's extension): a candidate's score is the
    teacher-forced log-probability of the original instruction as the model's whole answer to
    FLIP's question about it (:class:`flip_core.methods.FlipLikelihoodMethod`'s calls and
    :func:`flip_core.likelihood.likelihood_request`'s text, as the ``flipll`` tasks score it).
    Nothing is generated, so the decoding profile only names the run; one more request per
    prompt scores the instruction after an empty response, for the PMI kept in each row."""

    name = "flipll"

    def __init__(self, *args: Any, guard: str | None = None, **kw: Any) -> None:
        from flip_core.methods import get_method

        super().__init__(*args, **kw)
        self.guard = guard
        self.method = get_method("flipll_guarded", policy=guard) if guard else get_method("flipll")

    @property
    def settings(self) -> dict[str, Any]:
        guard = {"guard": self.guard} if self.guard else {}
        return {**self._base_settings(self.method.template), **guard}

    def score(self, batch: Sequence[FittedPrompt]) -> list[PromptScores]:
        from flip_core.backends.base import LikelihoodBackend, chat_template_hook
        from flip_core.items import Item
        from flip_core.likelihood import likelihood_request

        backend = self.generator
        if not isinstance(backend, LikelihoodBackend):
            raise FlipConfigError(
                f"flipll reranking needs teacher-forced scoring, which the {self.backend_name} "
                "backend does not offer; use --backend hf or --backend llamacpp"
            )
        render = chat_template_hook(backend.tokenizer)
        items = [Item(f.prompt.id, f.prompt.instruction, f.shown) for f in batch]
        calls = [self.method.calls(item) for item in items]
        requests = [
            likelihood_request(render, [dict(m) for m in call.conversation], call.continuation)
            for prompt_calls in calls
            for call in prompt_calls
        ]
        logprobs = backend.loglikelihood(requests, progress=False)
        results, start = [], 0
        for item, prompt_calls in zip(items, calls, strict=True):
            values = logprobs[start : start + len(prompt_calls)]
            start += len(prompt_calls)
            scored = self.method.score(item, [[(value, False)] for value in values])
            reference = values[-1]
            guards = self.method.call_annotations(item)
            results.append(
                PromptScores(
                    list(scored.scores),
                    [
                        {"logprob": v, "pmi": v - reference}
                        | ({"guard": guards[i]} if guards[i] else {})
                        for i, v in enumerate(values[:-1])
                    ],
                )
            )
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
    guard: str | None = None,
) -> Reranker:
    """A picker by name. Model pickers take a ``generator`` (a built backend) or
    ``load_generator`` (called on first use); ``seed`` seeds ``random`` (default 0) and, when
    given, the sampling of a model picker's profile; ``guard`` puts FLIP and FLIP-likelihood
    behind the restatement guard (:mod:`flip_core.methods.guarded`)."""
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
        return FlipReranker(
            *args, similarity=similarity, on_parse_failure=on_parse_failure, guard=guard
        )
    if method == "flipll":
        return FlipLikelihoodReranker(*args, guard=guard)
    return PointwiseJudgeReranker(*args)
