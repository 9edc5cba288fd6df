"""Task variants: the clean task, the paper's sampled protocol, and the reward-hacking probes.

A variant is the last part of a task name (``{method}_{benchmark}_{domain}_{variant}``,
docs/conventions.md) and changes what a task asks, never how it is scored:

- ``none``: the clean task (its name carries no suffix);
- ``s5``: the paper's sampled protocol, several sampled reconstructions per candidate (the
  ``paper`` decoding profile's sample count and temperature), for methods that support it;
- probes (``hack_*``, :mod:`flip_core.probes`): the rejected candidates are edited first.
"""

from __future__ import annotations

from dataclasses import dataclass

from flip_core.errors import FlipConfigError
from flip_core.probes import PROBES
from flip_core.profiles import PROFILES

CLEAN = "none"
SAMPLED = "s5"
SAMPLED_PROFILE = PROFILES["paper"]
"""The sampled variant follows the paper's protocol: its sample count and temperature."""


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str
    """``clean``, ``sampled`` or ``probe``."""
    folder: str | None
    """Sub-folder of the task YAMLs (None: the top level)."""
    note: str

    @property
    def suffix(self) -> str:
        return "" if self.kind == "clean" else f"_{self.name}"


VARIANTS: dict[str, Variant] = {
    CLEAN: Variant(CLEAN, "clean", None, "the clean task"),
    SAMPLED: Variant(
        SAMPLED,
        "sampled",
        "sampled",
        f"the task class samples {SAMPLED_PROFILE.num_samples} reconstructions per candidate\n"
        f"# at temperature {SAMPLED_PROFILE.temperature} (lm-eval repeats) and keeps them all "
        "(flip_core/sampled.py).",
    ),
    **{
        probe: Variant(
            probe,
            "probe",
            "probes",
            f"the rejected candidates are edited by the {probe} probe\n"
            "# before any request is built (flip_core/probes.py).",
        )
        for probe in PROBES
    },
}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise FlipConfigError(
            f"unknown variant {name!r}; choose one of {', '.join(VARIANTS)}"
        ) from None
