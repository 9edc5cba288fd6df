"""The scoring methods as label-blind protocols (:mod:`flip_core.methods.base`).

One module per method family. Adding a method is one module plus one line in
:data:`REGISTERED` below, whose order is the listing order everywhere: the paper's four methods
(FLIP and the three judges), then this project's extensions.
"""

from flip_core.methods.base import (
    COMMON_METRICS,
    Call,
    CallResult,
    ItemScores,
    Method,
    MethodFamily,
    OutputKind,
    get_method,
    method_class,
    method_from_document,
    method_names,
    register_method,
)
from flip_core.methods.flip import FlipMethod
from flip_core.methods.flip_likelihood import FlipLikelihoodMethod
from flip_core.methods.guarded import GUARD_POLICY, GuardedFlip, GuardedFlipLikelihood
from flip_core.methods.judges import (
    LISTWISE_SHUFFLE_SEED,
    ListwiseJudge,
    PairwiseJudge,
    PointwiseJudge,
)

REGISTERED: tuple[type[Method], ...] = (
    FlipMethod,
    PointwiseJudge,
    PairwiseJudge,
    ListwiseJudge,
    FlipLikelihoodMethod,
    GuardedFlip,
    GuardedFlipLikelihood,
)
for _method in REGISTERED:
    register_method(_method)

METHOD_NAMES = method_names()
PAPER_METHODS = tuple(name for name in METHOD_NAMES if method_class(name).paper)
"""The paper's methods (FLIP and the three judges); the others are this project's extensions."""

__all__ = [
    "COMMON_METRICS",
    "GUARD_POLICY",
    "LISTWISE_SHUFFLE_SEED",
    "METHOD_NAMES",
    "PAPER_METHODS",
    "REGISTERED",
    "Call",
    "CallResult",
    "FlipLikelihoodMethod",
    "FlipMethod",
    "GuardedFlip",
    "GuardedFlipLikelihood",
    "ItemScores",
    "ListwiseJudge",
    "Method",
    "MethodFamily",
    "OutputKind",
    "PairwiseJudge",
    "PointwiseJudge",
    "get_method",
    "method_class",
    "method_from_document",
    "method_names",
    "register_method",
]
