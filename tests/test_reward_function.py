"""The TRL-shaped reward function: prompt formats, the instruction column, the scale."""

from __future__ import annotations

import json

import pytest

from flip_core.errors import FlipInputError
from flip_core.reward import FlipRewardFunction
from flip_core.scorer import FlipScorer
from flip_core.similarity import token_f1


def echo(user_message: str, sample: int) -> str:
    response = user_message.split("[Response]\n", 1)[1].split("\n\nWhich instruction", 1)[0]
    return json.dumps({"INFERRED INSTRUCTION": response})


@pytest.fixture
def reward_function(fake_backend_factory):
    return FlipRewardFunction(FlipScorer(generator=fake_backend_factory(echo)))


def test_plain_strings_scaled_by_ten_by_default(reward_function):
    rewards = reward_function(
        prompts=["name three colours", "name three colours"],
        completions=["three colours", "a cat"],
    )
    assert rewards == pytest.approx([10 * token_f1("three colours", "name three colours").f1, 0.0])
    assert reward_function.__name__ == "flip_reward"


def test_conversational_prompts_use_the_last_user_message(fake_backend_factory):
    reward_function = FlipRewardFunction(
        FlipScorer(generator=fake_backend_factory(echo)), scale=1.0
    )
    prompts = [
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "say hello"},
        ]
    ]
    completions = [[{"role": "assistant", "content": "hello"}]]
    assert reward_function(prompts=prompts, completions=completions) == pytest.approx(
        [token_f1("hello", "say hello").f1]
    )


def test_instruction_column_takes_precedence_over_the_prompt(reward_function):
    rewards = reward_function(
        prompts=["SYSTEM TEXT. Task: say hello"],
        completions=["say hello"],
        instruction=["say hello"],
    )
    assert rewards == pytest.approx([10.0])


def test_mismatched_lengths_are_rejected(reward_function):
    with pytest.raises(FlipInputError, match="2 prompts but 1 completions"):
        reward_function(prompts=["a", "b"], completions=["c"])
