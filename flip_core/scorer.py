"""FlipScorer: the standalone FLIP reward model over any generation backend.

    scorer = FlipScorer()                       # bundled SmolLM2-135M-Instruct, greedy
    rewards = scorer.score("Write a haiku about rain.", [response_a, response_b])
    best = scorer.rerank("Write a haiku about rain.", candidates).best_index

The scorer never shows the instruction to the model: it asks for the instruction behind each
response and rewards the word overlap with the real one. All responses of all items go to the
backend in one call, so batching spans items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from flip_core.backends import GenerationBackend, make_backend
from flip_core.profiles import DecodingProfile, get_profile
from flip_core.prompts import FLIP_RECONSTRUCTION, flip_messages
from flip_core.reconstruction import (
    OnParseFailure,
    Reconstruction,
    on_parse_failure,
    score_reconstruction,
)
from flip_core.selection import pick_best
from flip_core.similarity import get_similarity


@dataclass(frozen=True)
class FlipReward:
    """The reward of one response: the mean over its sampled reconstructions.

    With one sample (greedy profiles) the fields of that sample are the fields of the reward;
    ``samples`` keeps every reconstruction for sampled profiles (``paper``).
    """

    response_index: int
    reward: float
    samples: tuple[Reconstruction, ...]

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
        **backend_options: Any,
    ) -> None:
        if isinstance(profile, str):
            self.profile = get_profile(profile, max_new_tokens, batch_size)
        else:
            self.profile = profile.with_overrides(max_new_tokens, batch_size)
        self.similarity_name = similarity
        self._similarity = get_similarity(similarity)
        self.failure_policy = _policy(on_parse_failure)
        self.generator = generator or make_backend(backend, model, **backend_options)

    @property
    def settings(self) -> dict[str, Any]:
        """Everything that determines a reward, for recording beside results."""
        return {
            "model": self.generator.model_name,
            "profile": self.profile.to_dict(),
            "similarity": self.similarity_name,
            "on_parse_failure": self.failure_policy.value,
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
        flat = [
            (i, j, response)
            for i, (_, responses) in enumerate(items)
            for j, response in enumerate(responses)
        ]
        generations = self.generator.generate(
            [flip_messages(response) for _, _, response in flat], self.profile, progress=progress
        )
        results: list[list[FlipReward]] = [[] for _ in items]
        for (item_index, response_index, _), samples in zip(flat, generations, strict=True):
            instruction = items[item_index][0]
            reconstructions = tuple(
                score_reconstruction(
                    sample.text,
                    instruction,
                    self._similarity,
                    self.failure_policy,
                    generated_tokens=sample.num_tokens,
                    finished=sample.finished,
                )
                for sample in samples
            )
            reward = mean(r.reward for r in reconstructions)
            results[item_index].append(FlipReward(response_index, reward, reconstructions))
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


def _policy(value: str | OnParseFailure) -> OnParseFailure:
    return value if isinstance(value, OnParseFailure) else on_parse_failure(value)
