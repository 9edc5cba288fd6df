"""FLIP as a reward function for RL, in the shape TRL's ``GRPOTrainer(reward_funcs=...)`` calls.

    from trl import GRPOTrainer
    from flip_core import FlipRewardFunction

    reward = FlipRewardFunction(model="Qwen/Qwen3-1.7B")   # scale=10.0: the paper's 10 x F1
    trainer = GRPOTrainer(model=policy, reward_funcs=[reward], train_dataset=dataset, ...)

TRL calls ``reward(prompts=..., completions=..., **dataset_columns)`` and expects one float per
completion. Prompts and completions are plain strings, or chat message lists in conversational
datasets. If the dataset has an ``instruction`` column (the bare instruction, without any system
text wrapped around it in the prompt), that column is the reference; otherwise the last user
message of the prompt is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flip_core.errors import FlipInputError
from flip_core.scorer import FlipScorer


def message_text(value: str | Sequence[dict[str, Any]], role: str | None) -> str:
    """Text of a prompt or completion: a string, or the content of chat messages.

    With ``role``, only the last message of that role counts (the user's request in a prompt);
    without, all message contents are joined (a completion may span several messages).
    """
    if isinstance(value, str):
        return value
    messages = [m for m in value if role is None or m.get("role") == role]
    if not messages:
        raise FlipInputError(f"no {role or 'chat'} message found in {value!r:.80}")
    if role is not None:
        messages = messages[-1:]
    return "\n".join(str(m.get("content", "")) for m in messages)


class FlipRewardFunction:
    """A callable ``(prompts, completions, **kwargs) -> list[float]`` returning ``scale x F1``."""

    __name__ = "flip_reward"  # TRL logs each reward function under its __name__

    def __init__(
        self,
        scorer: FlipScorer | None = None,
        *,
        scale: float = 10.0,
        instruction_column: str = "instruction",
        progress: bool = False,
        **scorer_options: Any,
    ) -> None:
        self.scorer = scorer or FlipScorer(**scorer_options)
        self.scale = scale
        self.instruction_column = instruction_column
        self.progress = progress

    def __call__(
        self,
        prompts: Sequence[str | Sequence[dict[str, Any]]],
        completions: Sequence[str | Sequence[dict[str, Any]]],
        **kwargs: Any,
    ) -> list[float]:
        if len(prompts) != len(completions):
            raise FlipInputError(f"got {len(prompts)} prompts but {len(completions)} completions")
        column = kwargs.get(self.instruction_column)
        instructions = (
            [str(value) for value in column]
            if column is not None
            else [message_text(prompt, role="user") for prompt in prompts]
        )
        items = [
            (instruction, [message_text(completion, role=None)])
            for instruction, completion in zip(instructions, completions, strict=True)
        ]
        rewards = self.scorer.score_many(items, progress=self.progress)
        return [self.scale * item_rewards[0].reward for item_rewards in rewards]
