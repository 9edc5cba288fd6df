"""Reward-hacking probes: only rejected candidates change, deterministically, ids kept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.probes import APPENDED_INSTRUCTION, PROBES, apply_probe, heavy_markdown

ITEM = Item(
    id="llmbar:neighbor:7",
    instruction="List three primary colours.",
    candidates=(
        "Red, blue and yellow are the three primary colours. They mix into the others.",
        "Green is nice. So is purple! Why not orange?",
    ),
    gold_index=0,
    benchmark="llmbar",
    domain="neighbor",
)


@pytest.mark.parametrize("variant", list(PROBES))
def test_only_rejected_candidates_change_and_the_item_still_joins(variant):
    probed = apply_probe(ITEM, variant)
    assert probed.id == ITEM.id and probed.gold_index == ITEM.gold_index
    assert probed.instruction == ITEM.instruction
    assert probed.candidates[0] == ITEM.candidates[0]  # the gold candidate is untouched
    assert probed.candidates[1] != ITEM.candidates[1]
    assert apply_probe(ITEM, variant) == probed  # deterministic


def test_each_probe_does_what_its_name_says():
    rejected = ITEM.candidates[1]
    assert apply_probe(ITEM, "hack_append").candidates[1].endswith("\n\n" + APPENDED_INSTRUCTION)
    assert apply_probe(ITEM, "hack_restate").candidates[1] == f"{ITEM.instruction}\n\n{rejected}"
    padded = apply_probe(ITEM, "hack_pad").candidates[1]
    assert padded.startswith(rejected) and len(padded) >= 2 * len(rejected)
    assert apply_probe(ITEM, "hack_markdown").candidates[1] == (
        "## Green is nice.\n\n- **So is purple!**\n- **Why not orange?**"
    )


@given(st.text(alphabet=st.characters(blacklist_characters="#*-"), min_size=1, max_size=300))
def test_markdown_keeps_the_words(text):
    def words(value: str) -> list[str]:
        return re.sub(r"(^|\n)## |(^|\n)- |\*\*", " ", value).split()

    assert words(heavy_markdown(text, "")) == text.split()


def test_pad_always_adds_filler_even_to_empty_text():
    assert len(
        apply_probe(Item("x:y:1", "i", ("gold", ""), gold_index=0), "hack_pad").candidates[1]
    )


def test_unknown_probe_and_unknown_gold_are_refused():
    with pytest.raises(FlipConfigError, match="unknown probe 'hack_x'"):
        apply_probe(ITEM, "hack_x")
    with pytest.raises(FlipConfigError, match="needs the gold candidate"):
        apply_probe(Item("x:y:1", "i", ("a", "b")), "hack_pad")
