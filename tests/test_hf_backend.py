"""The transformers backend with the real bundled model (SmolLM2-135M-Instruct, CPU)."""

from __future__ import annotations

import pytest

from flip_core.backends.hf import TransformersBackend
from flip_core.profiles import get_profile
from flip_core.scorer import FlipScorer

pytestmark = pytest.mark.model

ITEMS = [
    (
        "Write a haiku about a lighthouse at night.",
        [
            "Beam sweeps the black sea,\none patient eye turning slow,\nships count heartbeats.",
            "Lighthouses have guided sailors for more than two thousand years.",
        ],
    ),
    (
        "What is 15% of 80? Show your working.",
        ["15% of 80 = 0.15 x 80 = 12.", "Percentages express a part of a whole out of 100."],
    ),
]


@pytest.fixture(scope="module")
def backend() -> TransformersBackend:
    return TransformersBackend(device="cpu")


def test_batched_and_one_at_a_time_generation_agree(backend, monkeypatch):
    """Left padding must not change what the model generates.

    Greedy decoding on CPU in fp32: the padded rows see masked positions only, so the same
    text is expected token for token. Rewards are then identical, and compared exactly.
    """
    monkeypatch.setenv("FLIP_MAX_NEW_TOKENS", "40")
    batched = FlipScorer(generator=backend, profile="cpu", batch_size=4).score_many(ITEMS, False)
    single = FlipScorer(generator=backend, profile="cpu", batch_size=1).score_many(ITEMS, False)
    for batched_item, single_item in zip(batched, single, strict=True):
        for b, s in zip(batched_item, single_item, strict=True):
            assert b.samples[0].raw_output == s.samples[0].raw_output
            assert b.inferred_instruction == s.inferred_instruction
            assert b.reward == s.reward
            assert 0.0 <= b.reward <= 1.0
            assert 0 < b.generated_tokens <= 40


def test_results_come_back_in_input_order_despite_length_sorting(backend):
    profile = get_profile("cpu", max_new_tokens=8, batch_size=2)
    short = [{"role": "user", "content": "Say yes."}]
    long = [{"role": "user", "content": "Please say yes. " * 30}]
    conversations = [short, long, short]
    outputs = backend.generate(conversations, profile, progress=False)
    assert len(outputs) == 3 and all(len(samples) == 1 for samples in outputs)
    assert outputs[0][0].text == outputs[2][0].text  # same prompt, same greedy output
    for (generation,) in outputs:
        assert 0 < generation.num_tokens <= 8
        if not generation.finished:
            assert generation.num_tokens == 8  # only the token limit stops an unfinished row


def test_sampling_returns_several_distinct_samples_reproducibly(backend):
    profile = get_profile("paper", max_new_tokens=12, batch_size=2)
    conversation = [[{"role": "user", "content": "Write one word about the sea."}]]
    first = backend.generate(conversation, profile, progress=False)[0]
    again = backend.generate(conversation, profile, progress=False)[0]
    assert len(first) == 5
    assert [g.text for g in first] == [g.text for g in again]  # seeded
    assert len({g.text for g in first}) > 1
