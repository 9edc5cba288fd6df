"""Decoding profiles: the named generation settings every result records (docs/conventions.md).

- ``default``: greedy, one run, at most 512 new tokens (deterministic and cheap).
- ``paper``: the paper's protocol, temperature 0.7, five samples averaged, 512 new tokens.
- ``cpu``: greedy, at most 128 new tokens, batch 8; for CPU-only machines and the committed
  results of the bundled 135M model, which otherwise tends to loop until the token limit.

``FLIP_MAX_NEW_TOKENS`` caps ``max_new_tokens`` for every profile (tests set it so that CI
stays fast); a capped run records the cap in its settings, so it is never mistaken for a full one.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from typing import Any

from flip_core.errors import FlipConfigError

MAX_NEW_TOKENS_ENV = "FLIP_MAX_NEW_TOKENS"

DEFAULT_DECODING_SEED = 1234
"""The seed of every sampled decoding unless one is given: the profiles here, the llama.cpp
engine's :class:`~flip_core.backends.llamacpp_sampling.Sampling` and the lm-eval ``llamacpp``
model all start from it, so a sampled run is reproducible whichever of them runs it."""


@dataclass(frozen=True)
class DecodingProfile:
    """How to decode: sampling or greedy, how many samples, how long, in what batch size."""

    name: str
    do_sample: bool
    temperature: float
    num_samples: int
    max_new_tokens: int
    batch_size: int | None = None
    seed: int = DEFAULT_DECODING_SEED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(
        self, max_new_tokens: int | None = None, batch_size: int | None = None
    ) -> DecodingProfile:
        """The same profile with the user's explicit options applied and the env cap enforced."""
        profile = self
        if max_new_tokens is not None:
            if max_new_tokens < 1:
                raise FlipConfigError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
            profile = replace(profile, max_new_tokens=max_new_tokens)
        if batch_size is not None:
            if batch_size < 1:
                raise FlipConfigError(f"batch_size must be >= 1, got {batch_size}")
            profile = replace(profile, batch_size=batch_size)
        cap = max_new_tokens_cap()
        if cap is not None and profile.max_new_tokens > cap:
            profile = replace(profile, max_new_tokens=cap)
        return profile


PROFILES: dict[str, DecodingProfile] = {
    "default": DecodingProfile(
        "default", do_sample=False, temperature=0.0, num_samples=1, max_new_tokens=512
    ),
    "paper": DecodingProfile(
        "paper", do_sample=True, temperature=0.7, num_samples=5, max_new_tokens=512
    ),
    "cpu": DecodingProfile(
        "cpu", do_sample=False, temperature=0.0, num_samples=1, max_new_tokens=128, batch_size=8
    ),
}


def max_new_tokens_cap() -> int | None:
    """The ``FLIP_MAX_NEW_TOKENS`` cap, or None when unset."""
    raw = os.environ.get(MAX_NEW_TOKENS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise FlipConfigError(f"{MAX_NEW_TOKENS_ENV} must be a positive integer, got {raw!r}")
    return int(raw)


def get_profile(
    name: str, max_new_tokens: int | None = None, batch_size: int | None = None
) -> DecodingProfile:
    """A named profile with explicit overrides and the environment cap applied."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise FlipConfigError(
            f"unknown decoding profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None
    return profile.with_overrides(max_new_tokens=max_new_tokens, batch_size=batch_size)


HARNESS_PROFILES = ("default", "cpu")
"""Profiles the harness tasks support; ``paper`` (five samples) is the ``_s5`` task variants."""


def profile_of_settings(label: str, generation_kwargs: dict[str, Any] | None, sampled: bool) -> str:
    """The decoding profile that logged generation settings actually are.

    A results file names its profile (``--metadata '{"profile": ...}'``), but the label is not
    taken on trust: the profile is the harness profile whose settings were logged (greedy, or
    sampling for the sampled variant, with its token limit). Settings that are no named
    profile's (``--gen_kwargs`` overrides, the ``FLIP_MAX_NEW_TOKENS`` cap) are labelled
    ``<label>@<max tokens>``, so they are never compared with full runs of a profile. A
    sampling flag that contradicts the task variant is refused. Likelihood tasks generate
    nothing: their label is only checked to be a harness profile.
    """
    if label not in HARNESS_PROFILES:
        raise FlipConfigError(
            f"profile {label!r} is not a harness profile ({', '.join(HARNESS_PROFILES)})"
        )
    if generation_kwargs is None:
        return label
    max_tokens = generation_kwargs.get("max_gen_toks")
    do_sample = bool(generation_kwargs.get("do_sample"))
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise FlipConfigError(f"the logged max_gen_toks {max_tokens!r} is not a token count")
    if do_sample != sampled:
        how = "sampled" if do_sample else "greedy"
        raise FlipConfigError(f"profile {label!r}: the logged settings are {how} decoding")
    matching = [name for name in HARNESS_PROFILES if PROFILES[name].max_new_tokens == max_tokens]
    if label in matching:
        return label
    return matching[0] if matching else f"{label}@{max_tokens}"
