"""FlipScorer: the standalone FLIP reward model over any generation backend.

    scorer = FlipScorer()                       # bundled SmolLM2-135M-Instruct, greedy
    rewards = scorer.score("Write a haiku about rain.", [response_a, response_b])
    best = scorer.rerank("Write a haiku about rain.", candidates).best_index

The scorer never shows the instruction to the model: it asks for the instruction behind each
response and rewards the word overlap with the real one. All responses of all items go to the
backend in one call, so batching spans items. What to ask and how to score is the method's
(:class:`flip_core.methods.FlipMethod`, or :class:`~flip_core.methods.GuardedFlip` with a
restatement ``guard``), exactly as the harness tasks and the store use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flip_core.backends import GenerationBackend, make_backend
from flip_core.items import Item
from flip_core.methods import FlipMethod, GuardedFlip
from flip_core.profiles import DecodingProfile, get_profile
from flip_core.prompts import FLIP_RECONSTRUCTION
from flip_core.reconstruction import OnParseFailure, Reconstruction
from flip_core.selection import pick_best


@dataclass(frozen=True)
class FlipReward:
    """The reward of one response: the mean over its sampled reconstructions.

    With one sample (greedy profiles) the fields of that sample are the fields of the reward;
    ``samples`` keeps every reconstruction for sampled profiles (``paper``).
    """

    response_index: int
    reward: float
    samples: tuple[Reconstruction, ...]
    guard: dict[str, Any] | None = None
    """What the restatement guard did to the response (scorers with a ``guard``)."""

    @property
    def inferred_instruction(self) -> str | None:
        return self.samples[0].inferred_instruction

    @property
    def reasoning(self) -> str | None:
        return self.samples[0].reasoning

    @property
    def parse_status(self) -> str:
        return self.samples[0].parse_status.value

    @property
    def generated_tokens(self) -> int:
        return sum(sample.generated_tokens for sample in self.samples)

    @property
    def max_reward(self) -> float:
        return max(sample.reward for sample in self.samples)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.response_index,
            "reward": self.reward,
            "inferred_instruction": self.inferred_instruction,
            "reasoning": self.reasoning,
            "parse_status": self.parse_status,
            "generated_tokens": self.generated_tokens,
            "samples": [sample.to_dict() for sample in self.samples],
            **({"guard": self.guard} if self.guard is not None else {}),
        }


@dataclass(frozen=True)
class RerankResult:
    """The picked candidate and every candidate's reward."""

    best_index: int
    rewards: list[FlipReward]


class FlipScorer:
    """Scores responses by prompt reconstruction (FLIP).

    ``model``: None or ``"default"`` for the bundled model, a local folder or ``.gguf`` file,
    or a Hub id. ``generator``: an already built backend (then ``model``, ``backend`` and
    ``backend_options`` are ignored), which lets several scorers share one loaded model.
    ``similarity``: ``f1`` (the paper's), ``rouge_l`` or ``embedding_cosine``.
    ``on_parse_failure``: ``raw_output`` (the paper's) or ``zero``.
    ``guard``: None (the paper's FLIP) or a restatement-guard policy (``strip``, ``penalise``,
    ``zero``; :mod:`flip_core.restatement`): a response that restates its instruction does not
    gain from it.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        backend: str = "hf",
        profile: str | DecodingProfile = "default",
        similarity: str = "f1",
        on_parse_failure: str = OnParseFailure.RAW_OUTPUT.value,
        batch_size: int | None = None,
        max_new_tokens: int | None = None,
        generator: GenerationBackend | None = None,
        guard: str | None = None,
        **backend_options: Any,
    ) -> None:
        if isinstance(profile, str):
            self.profile = get_profile(profile, max_new_tokens, batch_size)
        else:
            self.profile = profile.with_overrides(max_new_tokens, batch_size)
        failure = (
            on_parse_failure.value
            if isinstance(on_parse_failure, OnParseFailure)
            else on_parse_failure
        )
        self.method: FlipMethod = (
            FlipMethod(similarity, failure)
            if guard is None
            else GuardedFlip(guard, similarity=similarity, on_parse_failure=failure)
        )
        self.generator = generator or make_backend(backend, model, **backend_options)

    @property
    def similarity_name(self) -> str:
        return self.method.similarity_name

    @property
    def failure_policy(self) -> OnParseFailure:
        return self.method.failure_policy

    @property
    def settings(self) -> dict[str, Any]:
        """Everything that determines a reward, for recording beside results."""
        return {
            "model": self.generator.model_name,
            "profile": self.profile.to_dict(),
            "similarity": self.similarity_name,
            "on_parse_failure": self.failure_policy.value,
            "guard": self.method.settings.get("policy"),
            "prompt_template": FLIP_RECONSTRUCTION.name,
            "prompt_version": FLIP_RECONSTRUCTION.version,
            "prompt_hash": FLIP_RECONSTRUCTION.hash,
        }

    def score(
        self, instruction: str, responses: Sequence[str], progress: bool = False
    ) -> list[FlipReward]:
        """Rewards of each response to one instruction, in order."""
        return self.score_many([(instruction, responses)], progress=progress)[0]

    def score_many(
        self,
        items: Sequence[tuple[str, Sequence[str]]],
        progress: bool = True,
    ) -> list[list[FlipReward]]:
        """Rewards for many (instruction, responses) items, generated in one batched pass."""
        batch = [
            Item(str(i), instruction, tuple(responses))
            for i, (instruction, responses) in enumerate(items)
        ]
        calls = [self.method.calls(item) for item in batch]
        generations = self.generator.generate(
            [call.conversation for item_calls in calls for call in item_calls],
            self.profile,
            progress=progress,
        )
        results: list[list[FlipReward]] = []
        start = 0
        for item, item_calls in zip(batch, calls, strict=True):
            samples = generations[start : start + len(item_calls)]
            start += len(item_calls)
            texts = [[g.text for g in gens] for gens in samples]
            scores = self.method.score(item, texts).scores
            guards = self.method.call_annotations(item)
            results.append(
                [
                    FlipReward(
                        index,
                        float(scores[index]),  # type: ignore[arg-type]
                        tuple(
                            replace(r, generated_tokens=g.num_tokens, finished=g.finished)
                            for r, g in zip(reconstructions, gens, strict=True)
                        ),
                        guards[index],
                    )
                    for index, (reconstructions, gens) in enumerate(
                        zip(self.method.reconstructions(item, texts), samples, strict=True)
                    )
                ]
            )
        return results

    def rerank(
        self,
        instruction: str,
        responses: Sequence[str],
        tie_break: str = "first",
        seed: int = 0,
    ) -> RerankResult:
        """Best-of-N: the response whose reconstruction best matches the instruction."""
        rewards = self.score(instruction, responses)
        best = pick_best([r.reward for r in rewards], tie_break=tie_break, seed=seed)
        return RerankResult(best_index=best, rewards=rewards)
