"""FlipScorer logic with a fake backend: prompts, rewards, samples, failure policy, reranking."""

from __future__ import annotations

import json

import pytest

from flip_core.errors import FlipConfigError
from flip_core.prompts import FLIP_RECONSTRUCTION
from flip_core.scorer import FlipScorer
from flip_core.similarity import token_f1


def response_of(user_message: str) -> str:
    """The response shown in a FLIP prompt (between the heading and the question)."""
    return user_message.split("[Response]\n", 1)[1].split("\n\nWhich instruction", 1)[0]


def echo_json(user_message: str, sample: int) -> str:
    """A fake reconstructor that 'infers' the response text itself as the instruction."""
    return json.dumps({"REASONING": "r", "INFERRED INSTRUCTION": response_of(user_message)})


def test_reward_is_token_f1_of_the_inferred_instruction(fake_backend_factory):
    backend = fake_backend_factory(echo_json)
    scorer = FlipScorer(generator=backend)
    rewards = scorer.score("Write a poem about the sea", ["a poem about the sea", "a recipe"])
    assert [r.response_index for r in rewards] == [0, 1]
    assert rewards[0].inferred_instruction == "a poem about the sea"
    assert rewards[0].reward == pytest.approx(
        token_f1("a poem about the sea", "Write a poem about the sea").f1
    )
    assert rewards[1].reward == 0.0
    assert rewards[0].parse_status == "ok"
    assert rewards[0].generated_tokens > 0


def test_instruction_never_reaches_the_model_and_items_share_one_batch(fake_backend_factory):
    backend = fake_backend_factory(echo_json)
    scorer = FlipScorer(generator=backend)
    results = scorer.score_many(
        [("SECRET-INSTRUCTION-ONE", ["r1", "r2", "r3"]), ("SECRET-INSTRUCTION-TWO", ["r4", "r5"])],
        progress=False,
    )
    assert [len(item) for item in results] == [3, 2]
    assert len(backend.calls) == 1
    conversations, _ = backend.calls[0]
    assert [response_of(c[-1]["content"]) for c in conversations] == ["r1", "r2", "r3", "r4", "r5"]
    for conversation in conversations:
        assert conversation[0]["content"] == FLIP_RECONSTRUCTION.system
        assert all("SECRET" not in message["content"] for message in conversation)


def test_sampled_profile_averages_sample_rewards(fake_backend_factory):
    instruction = "one two three four"
    guesses = ["one", "one two", "one two three", "one two three four", "five"]
    backend = fake_backend_factory(
        lambda user, sample: json.dumps({"INFERRED INSTRUCTION": guesses[sample]})
    )
    scorer = FlipScorer(generator=backend, profile="paper")
    (reward,) = scorer.score(instruction, ["any response"])
    expected = [token_f1(g, instruction).f1 for g in guesses]
    assert len(reward.samples) == 5
    assert reward.reward == pytest.approx(sum(expected) / 5)
    assert reward.max_reward == pytest.approx(1.0)
    assert backend.calls[0][1].num_samples == 5
    assert backend.calls[0][1].temperature == 0.7


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("raw_output", token_f1("poem about sea", "write a poem about the sea").f1), ("zero", 0.0)],
)
def test_parse_failure_policy(fake_backend_factory, policy, expected):
    backend = fake_backend_factory(lambda user, sample: "poem about sea")
    scorer = FlipScorer(generator=backend, on_parse_failure=policy)
    (reward,) = scorer.score("write a poem about the sea", ["x"])
    assert reward.parse_status == "failed"
    assert reward.inferred_instruction is None
    assert reward.reward == pytest.approx(expected)
    assert expected == 0.0 or reward.reward > 0


def test_rerank_picks_the_best_reconstruction_and_breaks_ties_first(fake_backend_factory):
    scorer = FlipScorer(generator=fake_backend_factory(echo_json))
    result = scorer.rerank("list three fruits", ["a dog", "list fruits", "three fruits list"])
    assert result.best_index == 2
    tied = scorer.rerank("list three fruits", ["a dog", "three fruits", "fruits three"])
    assert tied.best_index == 1


def test_settings_record_everything_that_determines_a_reward(fake_backend_factory, monkeypatch):
    monkeypatch.setenv("FLIP_MAX_NEW_TOKENS", "16")
    scorer = FlipScorer(
        generator=fake_backend_factory(echo_json), profile="cpu", similarity="rouge_l"
    )
    settings = scorer.settings
    assert settings["model"] == "fake-lm"
    assert settings["profile"]["name"] == "cpu"
    assert settings["profile"]["max_new_tokens"] == 16  # the environment cap is recorded
    assert settings["similarity"] == "rouge_l"
    assert settings["prompt_hash"] == FLIP_RECONSTRUCTION.hash


@pytest.mark.parametrize(
    "options",
    [{"similarity": "bleu"}, {"on_parse_failure": "ignore"}, {"profile": "fast"}],
)
def test_unknown_options_fail_with_a_clear_error(fake_backend_factory, options):
    with pytest.raises(FlipConfigError, match="choose one of"):
        FlipScorer(generator=fake_backend_factory(echo_json), **options)
