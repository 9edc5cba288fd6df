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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flip_core.errors import FlipInputError
from flip_core.probes import restate_instruction
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


@dataclass(frozen=True)
class EchoCheck:
    """One GRPO group of two: a completion as the policy wrote it and the same completion
    opening with its instruction (the echo a policy learns when echoing pays).

    GRPO's advantage is each reward minus its group's mean (over the group's spread), so in a
    group of two the echo is reinforced exactly when its reward is the higher one.
    """

    instruction: str
    completion: str
    reward: float
    echoed_reward: float

    @property
    def echo_wins(self) -> bool:
        return self.echoed_reward > self.reward

    @property
    def plain_wins(self) -> bool:
        return self.reward > self.echoed_reward


def check_echo(
    reward: Callable[..., list[float]], instructions: Sequence[str], completions: Sequence[str]
) -> list[EchoCheck]:
    """Score each completion and its echoed twin (:func:`flip_core.probes.restate_instruction`,
    the ``hack_restate`` probe's edit) with ``reward`` in one call, as TRL would call it.

    A reward fit for RL has no group where the echo wins; the restatement guard
    (``FlipScorer(guard=...)``) is what makes FLIP's reward pass.
    """
    if len(instructions) != len(completions):
        raise FlipInputError(
            f"got {len(instructions)} instructions but {len(completions)} completions"
        )
    echoed = [restate_instruction(c, i) for i, c in zip(instructions, completions, strict=True)]
    rewards = reward(prompts=[*instructions, *instructions], completions=[*completions, *echoed])
    count = len(completions)
    return [
        EchoCheck(instruction, completion, rewards[k], rewards[count + k])
        for k, (instruction, completion) in enumerate(zip(instructions, completions, strict=True))
    ]
