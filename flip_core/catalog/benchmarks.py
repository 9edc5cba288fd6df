"""The benchmarks, their domains and which domains their averages use: named once, here.

Every layer reads this table: the data loaders (which source file or subset holds a domain),
the harness task catalogue (one task per domain, one averaging group per method), the store and
the leaderboard (domain labels, the Average column, chance levels). docs/conventions.md has the
names and the averaging rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from flip_core.errors import FlipConfigError


@dataclass(frozen=True)
class Domain:
    """One domain of a benchmark.

    ``sources``: where the loaders find it (file names and Hub subset names, by source).
    ``averaged``: part of the benchmark's headline average. ``optional``: only some copies of
    the data have it (LLMBar's Natural set is not in every local copy).
    """

    name: str
    label: str
    sources: dict[str, str]
    averaged: bool = True
    optional: bool = False


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: its domains, how many candidates an item has, where its data comes from."""

    name: str
    label: str
    domains: tuple[Domain, ...]
    candidates: int
    """Candidates per item: chance of a random strict pick is 1 / candidates."""
    data: str
    """Where the data comes from (logged in every task's metadata)."""
    task_per_domain: bool = True
    """False for the demo set: one task per method, named without a domain."""

    @property
    def domain_names(self) -> tuple[str, ...]:
        return tuple(domain.name for domain in self.domains)

    @property
    def averaged_domains(self) -> tuple[str, ...]:
        """The domains whose plain mean is the benchmark's average (the paper's rule)."""
        return tuple(domain.name for domain in self.domains if domain.averaged)

    @property
    def chance(self) -> float:
        return 1.0 / self.candidates

    def domain(self, name: str) -> Domain:
        for domain in self.domains:
            if domain.name == name:
                return domain
        raise FlipConfigError(
            f"unknown {self.name} domain {name!r}; choose one of {', '.join(self.domain_names)}"
        )


RB2 = Benchmark(
    name="rb2",
    label="RewardBench 2",
    domains=(
        Domain("focus", "Focus", {"subset": "Focus"}),
        Domain("factuality", "Factuality", {"subset": "Factuality"}),
        Domain("precise_if", "Precise IF", {"subset": "Precise IF"}),
        Domain("math", "Math", {"subset": "Math"}),
    ),
    candidates=4,
    data="allenai/reward-bench-2 (split test) or $FLIP_DATA_DIR/reward-bench-2",
)

LLMBAR = Benchmark(
    name="llmbar",
    label="LLMBar",
    domains=(
        Domain(
            "neighbor",
            "Neighbor",
            {"file": "Adversarial_Neighbor.json", "subset": "llmbar-adver-neighbor"},
        ),
        Domain(
            "gptinst",
            "GPTInst",
            {"file": "Adversarial_GPTInst.json", "subset": "llmbar-adver-GPTInst"},
        ),
        Domain(
            "gptout", "GPTOut", {"file": "Adversarial_GPTOut.json", "subset": "llmbar-adver-GPTOut"}
        ),
        Domain(
            "manual", "Manual", {"file": "Adversarial_Manual.json", "subset": "llmbar-adver-manual"}
        ),
        Domain(
            "natural",
            "Natural",
            {"file": "Natural.json", "subset": "llmbar-natural"},
            averaged=False,
            optional=True,
        ),
    ),
    candidates=2,
    data="princeton-nlp/LLMBar via allenai/reward-bench (split filtered) or $FLIP_DATA_DIR/llmbar",
)

DEMO = Benchmark(
    name="demo",
    label="Demo set",
    domains=(Domain("all", "All", {"resource": "demo_rb2.jsonl"}),),
    candidates=4,
    data="flip_core/data/demo_rb2.jsonl (bundled demo set)",
    task_per_domain=False,
)

BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (RB2, LLMBAR, DEMO)}


def benchmark(name: str) -> Benchmark:
    """A benchmark by name, with a one-line error naming the choices."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise FlipConfigError(
            f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}"
        ) from None


def domain_label(domain: str) -> str:
    """A domain's label for people (the name itself where no benchmark knows it)."""
    for spec in BENCHMARKS.values():
        for candidate in spec.domains:
            if candidate.name == domain:
                return candidate.label
    return domain
