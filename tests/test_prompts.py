"""Prompt templates: the paper's elements are present, and wording changes are versioned."""

from __future__ import annotations

import pytest

from flip_core.errors import FlipConfigError
from flip_core.prompts import (
    FLIP_RECONSTRUCTION,
    TEMPLATES,
    flip_messages,
    listwise_messages,
    pairwise_messages,
    pointwise_messages,
)

# Editing a template's wording changes its hash: bump its version and update this table in
# the same commit, so that results under old and new wording are never pooled.
PINNED_HASHES = {
    "flip_reconstruction": "f6b1cb6951b69b92",
    "judge_pointwise": "a233ce4942e3fb0c",
    "judge_pairwise": "49aa9a09029e77f2",
    "judge_listwise": "e48649e7a8ecbf89",
    "flip_likelihood": "eacc6cc6b1eadf8f",
}


def test_template_hashes_are_pinned():
    assert {name: t.hash for name, t in TEMPLATES.items()} == PINNED_HASHES


def test_hash_changes_with_wording_or_version():
    from dataclasses import replace

    assert replace(FLIP_RECONSTRUCTION, version=2).hash != FLIP_RECONSTRUCTION.hash
    assert replace(FLIP_RECONSTRUCTION, user="x $response").hash != FLIP_RECONSTRUCTION.hash


def test_flip_prompt_shows_the_response_and_asks_for_both_json_keys():
    system, user = flip_messages("Roses are red {not a placeholder} $dollar")
    assert system["role"] == "system" and user["role"] == "user"
    assert user["content"].startswith("[Response]\nRoses are red {not a placeholder} $dollar\n")
    for text in (system["content"], user["content"]):
        assert '"REASONING"' in text and '"INFERRED INSTRUCTION"' in text
    for element in ("instruction reconstructor", "constraints", "concise", "Reason briefly"):
        assert element in system["content"]


def test_judge_prompts_carry_their_output_keys():
    assert '"SCORE"' in pointwise_messages("do x", "done")[1]["content"]
    pairwise = pairwise_messages("do x", "first", "second")[1]["content"]
    assert '"BETTER_RESPONSE"' in pairwise
    assert pairwise.index("[Response A]\nfirst") < pairwise.index("[Response B]\nsecond")


def test_listwise_numbers_responses_from_zero_in_the_given_order():
    user = listwise_messages("pick one", ["alpha", "beta", "gamma"])[1]["content"]
    assert user.index("[Response 0]\nalpha") < user.index("[Response 1]\nbeta")
    assert "[Response 2]\ngamma" in user
    assert "(0 to 2)" in user and '"BEST_RESPONSE_INDEX"' in user
    with pytest.raises(FlipConfigError, match="at least two"):
        listwise_messages("pick one", ["alone"])


def test_missing_field_is_a_config_error():
    with pytest.raises(FlipConfigError, match="needs the field 'response'"):
        FLIP_RECONSTRUCTION.render()


def test_flip_likelihood_asks_flips_question_under_its_own_version():
    from flip_core.prompts import FLIP_LIKELIHOOD, flip_likelihood_messages

    assert flip_likelihood_messages("text") == flip_messages("text")
    assert FLIP_LIKELIHOOD.name != FLIP_RECONSTRUCTION.name
    assert FLIP_LIKELIHOOD.hash != FLIP_RECONSTRUCTION.hash
