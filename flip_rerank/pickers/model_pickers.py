"""Pickers that ask a model: FLIP, the pointwise judge and FLIP-likelihood.

Each loads its backend on first use (resuming a finished run loads nothing) and records in
every row what determines its picks. FLIP and the judge log their raw outputs, from which
their scores are re-derived at ingest; FLIP-likelihood logs log-probabilities, which only the
model can recompute, so its runs are stored as submitted, unverified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flip_core.errors import FlipConfigError
from flip_rerank.inputs import FittedPrompt, RerankPrompt, check_max_candidate_chars, fit_to_budget
from flip_rerank.pickers.base import (
    PickerOptions,
    PromptScores,
    Reranker,
    logged_outputs,
)

if TYPE_CHECKING:
    from flip_core.backends.base import GenerationBackend
    from flip_core.profiles import DecodingProfile


class _ModelReranker(Reranker):
    """A picker that asks a generation backend, loaded on first use (not for a finished run)."""

    uses_model = True

    def __init__(self, profile: DecodingProfile, options: PickerOptions) -> None:
        if options.generator is None and options.load_generator is None:
            raise FlipConfigError("a model picker needs a generator or a way to load one")
        self.profile = profile
        self.model_label = options.model_label
        self.backend_name = options.backend_name
        self.max_candidate_chars = check_max_candidate_chars(options.max_candidate_chars)
        self._generator = options.generator
        self._load_generator = options.load_generator

    @classmethod
    def create(cls, options: PickerOptions) -> Reranker:
        from flip_core.profiles import get_profile

        decoding = get_profile(options.profile, options.max_new_tokens, options.batch_size)
        if options.seed is not None:
            decoding = replace(decoding, seed=options.seed)
        return cls(decoding, options)

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

    def __init__(self, profile: DecodingProfile, options: PickerOptions) -> None:
        from flip_core.reconstruction import on_parse_failure as check_policy
        from flip_core.similarity import get_similarity

        super().__init__(profile, options)
        get_similarity(options.similarity)
        self.similarity = options.similarity
        self.on_parse_failure = check_policy(options.on_parse_failure).value
        self.guard = options.guard
        self._scorer: Any = None

    @classmethod
    def rederive_scores(
        cls, row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any]
    ) -> list[float | None]:
        """FLIP as the row's settings configured it (similarity, parse-failure policy,
        restatement guard) scores the logged reconstructions of the candidates it was shown."""
        from flip_core.items import Item
        from flip_core.methods import get_method

        fitted = fit_to_budget(prompt, settings.get("max_candidate_chars"), False)
        options = {
            "similarity": str(settings.get("similarity", "f1")),
            "on_parse_failure": str(settings.get("on_parse_failure", "raw_output")),
        }
        guard = settings.get("guard")
        flip = (
            get_method("flip_guarded", policy=str(guard), **options)
            if guard
            else get_method("flip", **options)
        )
        item = Item(prompt.id, prompt.instruction, tuple(fitted.shown))
        return list(flip.score(item, logged_outputs(row)).scores)

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

    def __init__(self, profile: DecodingProfile, options: PickerOptions) -> None:
        from flip_core.methods import get_method

        super().__init__(profile, options)
        self.method = get_method("judge_pointwise")

    @classmethod
    def rederive_scores(
        cls, row: dict[str, Any], prompt: RerankPrompt, settings: dict[str, Any]
    ) -> list[float | None]:
        """The ratings parsed again from the logged raw outputs, their mean per candidate."""
        from flip_core.items import Item
        from flip_core.methods import get_method

        item = Item(prompt.id, prompt.instruction, tuple(prompt.candidates))
        return list(get_method("judge_pointwise").score(item, logged_outputs(row)).scores)

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

    verifiable = False

    def __init__(self, profile: DecodingProfile, options: PickerOptions) -> None:
        from flip_core.methods import get_method

        super().__init__(profile, options)
        self.guard = options.guard
        self.method = (
            get_method("flipll_guarded", policy=self.guard) if self.guard else get_method("flipll")
        )

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
