"""What the leaderboard reads from the project's catalogues, in the one form every view uses.

Methods, benchmarks and domains are named once in :mod:`flip_core.methods` and
:mod:`flip_core.catalog`; the views never branch on a method's name string but on the
properties here (family, output kind, generative or not), so a newly registered method shows
everywhere without a leaderboard change. The store may hold names the registry does not know
(a reranking picker such as ``longest``, a run of a method removed since): those get their own
name as label and no family, never an error.
"""

from __future__ import annotations

from flip_core.catalog.benchmarks import BENCHMARKS, benchmark, domain_label
from flip_core.errors import FlipConfigError
from flip_core.methods import METHOD_NAMES, MethodFamily, OutputKind, method_class

DEFAULT_BENCHMARK = "llmbar"
"""The board a visitor sees first: the benchmark the committed runs cover in full."""
SIZE_BUCKETS = ("< 1B", "1-3B", "3-8B", "> 8B", "unknown")


def board_domains(name: str) -> tuple[str, ...]:
    """The domains a benchmark's board shows and averages: the paper's (the harness groups')."""
    return benchmark(name).averaged_domains


def domain_choices(name: str) -> list[tuple[str, str]]:
    """(label, domain) pairs of a benchmark's board, for a domain picker."""
    return [(domain_label(d), d) for d in board_domains(name)]


def benchmark_choices() -> list[tuple[str, str]]:
    """(label, name) of every catalogued benchmark."""
    return [(spec.label, name) for name, spec in BENCHMARKS.items()]


def _registered(method: str | None):  # type: ignore[no-untyped-def]
    if method is None:
        return None
    try:
        return method_class(method)
    except FlipConfigError:
        return None


def method_label(method: str | None) -> str:
    """A method's label for people; the stored name where the registry does not know it."""
    cls = _registered(method)
    return cls.label if cls is not None else (method or "")


def method_family(method: str | None) -> MethodFamily | None:
    cls = _registered(method)
    return cls.family if cls is not None else None


def is_flip_family(method: str | None) -> bool:
    """FLIP-style methods (the reward is what a response implies about its instruction)."""
    return method_family(method) is MethodFamily.FLIP


def is_judge(method: str | None) -> bool:
    return method_family(method) is MethodFamily.JUDGE


def output_kind(method: str | None) -> OutputKind | None:
    cls = _registered(method)
    return cls.output_kind if cls is not None else None


def is_generative(method: str | None) -> bool:
    """Whether the method's cost is generated tokens (else forward passes, no decoding)."""
    cls = _registered(method)
    return cls is None or cls.request_type == "generate_until"


def method_rank(method: str | None) -> tuple[int, str]:
    """Registration order (the paper's methods first), unknown names after, alphabetically."""
    name = method or ""
    return (METHOD_NAMES.index(name) if name in METHOD_NAMES else len(METHOD_NAMES), name)


def method_labels() -> list[str]:
    """Every registered method's label, in registration order (a filter's choices)."""
    return [method_label(name) for name in METHOD_NAMES]


def size_bucket(parameters: int | None) -> str:
    """The size filter's bucket of a parameter count."""
    if not parameters:
        return "unknown"
    billions = parameters / 1e9
    if billions < 1:
        return "< 1B"
    if billions < 3:
        return "1-3B"
    if billions <= 8:
        return "3-8B"
    return "> 8B"
