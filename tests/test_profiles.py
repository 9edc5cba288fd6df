"""Decoding profiles: the conventions' values, overrides and the environment cap."""

from __future__ import annotations

import pytest

from flip_core.errors import FlipConfigError
from flip_core.profiles import PROFILES, get_profile


def test_profiles_match_the_conventions():
    default, paper, cpu = PROFILES["default"], PROFILES["paper"], PROFILES["cpu"]
    assert (default.do_sample, default.num_samples, default.max_new_tokens) == (False, 1, 512)
    assert (paper.do_sample, paper.temperature, paper.num_samples) == (True, 0.7, 5)
    assert paper.max_new_tokens == 512
    assert (cpu.do_sample, cpu.max_new_tokens, cpu.batch_size) == (False, 128, 8)


def test_overrides_and_environment_cap(monkeypatch):
    monkeypatch.delenv("FLIP_MAX_NEW_TOKENS", raising=False)
    assert get_profile("default", max_new_tokens=64, batch_size=4).max_new_tokens == 64
    monkeypatch.setenv("FLIP_MAX_NEW_TOKENS", "32")
    assert get_profile("default").max_new_tokens == 32
    assert get_profile("cpu", max_new_tokens=16).max_new_tokens == 16  # below the cap stays
    assert get_profile("cpu", batch_size=2).batch_size == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_profile("turbo"), "unknown decoding profile 'turbo'"),
        (lambda: get_profile("cpu", max_new_tokens=0), "max_new_tokens must be >= 1"),
        (lambda: get_profile("cpu", batch_size=0), "batch_size must be >= 1"),
    ],
)
def test_bad_values_fail_clearly(call, message):
    with pytest.raises(FlipConfigError, match=message):
        call()


def test_bad_environment_cap(monkeypatch):
    monkeypatch.setenv("FLIP_MAX_NEW_TOKENS", "lots")
    with pytest.raises(FlipConfigError, match="FLIP_MAX_NEW_TOKENS must be a positive integer"):
        get_profile("cpu")
