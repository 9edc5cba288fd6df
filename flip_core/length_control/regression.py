"""The regression-based figure: a logistic regression of the verdict on the length difference.

:func:`length_controlled_accuracy` fits it (scikit-learn, no penalty), derives ``balanced``,
``at_equal_length`` and ``slope`` from the fitted curve, and bootstraps their intervals over
items; the package docstring (:mod:`flip_core.length_control`) says what each figure means.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np

from flip_core.errors import FlipConfigError
from flip_core.length_control.fit_result import (
    CONSTANT_LENGTH,
    CONSTANT_VERDICT,
    NO_CONVERGENCE,
    OK,
    SEPARATED,
    TOO_FEW_ITEMS,
    UNSTABLE,
    Bounds,
    LengthControlled,
)
from flip_core.length_control.subsets import LengthProfile
from flip_core.selection import bootstrap_interval

MIN_ITEMS = 10
"""Fewest items a length-controlled fit is attempted on: two parameters from fewer 0/1
verdicts give an interval as wide as [0, 1] and an intercept a single item can swing."""

DEFAULT_RESAMPLES = 1000
"""Bootstrap refits per figure: enough for stable 2.5%/97.5% percentiles (25 resamples beyond
each end), at about 4 ms a refit of 319 items on a busy two-core machine (4 s in all; the first
call also imports scikit-learn)."""

MAX_DEGENERATE_SHARE = 0.05
"""Largest share of bootstrap resamples that may be unfittable (all verdicts equal or perfectly
separated in the resample) before the intervals are withheld: the percentiles of the remaining
refits would then describe a conditional distribution, not the estimate's."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warning for large |z|


def _why_unfittable(d: np.ndarray, y: np.ndarray) -> str | None:
    """The reason an unpenalised logistic fit of y on d has no finite answer, or None."""
    if y.min() == y.max():
        return CONSTANT_VERDICT
    if d.min() == d.max():
        return CONSTANT_LENGTH
    right, wrong = d[y == 1], d[y == 0]
    # Complete or quasi-complete separation: a threshold on d splits the verdicts (items may
    # share the threshold value), and the maximum-likelihood slope runs off to infinity.
    if right.max() <= wrong.min() or wrong.max() <= right.min():
        return SEPARATED
    return None


_MAX_ITER = 1000


def _fit(d: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """(intercept, slope) of the unpenalised maximum-likelihood logistic regression, or None
    when scikit-learn does not converge."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=np.inf, tol=1e-8, max_iter=_MAX_ITER)
    with warnings.catch_warnings():
        # Told apart by the iteration count below; "ignore" rather than "error", so that a
        # filter seen by another thread meanwhile can at worst hide a warning, never raise one.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(d[:, None], y)
    intercept, slope = float(model.intercept_[0]), float(model.coef_[0, 0])
    if model.n_iter_[0] >= _MAX_ITER or not (math.isfinite(intercept) and math.isfinite(slope)):
        return None
    return intercept, slope


def _figures(d: np.ndarray, intercept: float, slope: float) -> tuple[float, float]:
    """(balanced, at_equal_length) of a fitted curve over the items' length differences."""
    balanced = 0.5 * (_sigmoid(intercept + slope * d) + _sigmoid(intercept - slope * d))
    return float(balanced.mean()), float(_sigmoid(np.asarray(intercept)))


def length_controlled_accuracy(
    verdicts: Mapping[str, bool],
    profiles: Mapping[str, LengthProfile],
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> LengthControlled:
    """Fit the verdicts of the items in both mappings on their length difference ``d`` and
    return the length-controlled figures with percentile-bootstrap intervals.

    Items without a verdict or without a profile are left out (``n`` counts the rest). Never
    raises on data; raises :class:`FlipConfigError` for a confidence outside (0, 1) or fewer
    than 1 resample. Deterministic for a given ``seed``.
    """
    if not 0 < confidence < 1:
        raise FlipConfigError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise FlipConfigError(f"the number of bootstrap resamples must be >= 1, got {resamples}")
    ids = sorted(i for i in verdicts if i in profiles)
    y = np.array([1 if verdicts[i] else 0 for i in ids], dtype=int)
    d = np.array([profiles[i].length_difference for i in ids], dtype=float)
    raw = bootstrap_interval(y, confidence, seed=seed) if ids else None
    extrapolated = bool(ids) and not d.min() < 0 < d.max()

    def refused(status: str) -> LengthControlled:
        return LengthControlled(status, len(ids), raw, extrapolated=extrapolated)

    if len(ids) < MIN_ITEMS:
        return refused(TOO_FEW_ITEMS)
    reason = _why_unfittable(d, y)
    if reason is not None:
        return refused(reason)

    from threadpoolctl import threadpool_limits

    # One BLAS thread: the fits are tiny, and on a busy machine BLAS threads that wait for a
    # core make each refit 15x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = _fit(d, y)
        if fitted is None:
            return refused(NO_CONVERGENCE)
        intercept, slope = fitted
        balanced, at_zero = _figures(d, intercept, slope)
        rng = np.random.default_rng(seed)
        draws: list[tuple[float, float, float]] = []
        for _ in range(resamples):
            index = rng.integers(0, len(ids), size=len(ids))
            refit = None if _why_unfittable(d[index], y[index]) else _fit(d[index], y[index])
            if refit is not None:
                draws.append((*_figures(d[index], *refit), refit[1]))

    degenerate = resamples - len(draws)
    intervals: list[Bounds | None] = [None, None, None]
    if draws and degenerate <= MAX_DEGENERATE_SHARE * resamples:
        alpha = (1 - confidence) / 2
        low, high = np.quantile(np.array(draws), [alpha, 1 - alpha], axis=0)
        intervals = [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]
    return LengthControlled(
        status=OK if intervals[0] is not None else UNSTABLE,
        n=len(ids),
        raw=raw,
        balanced=balanced,
        balanced_interval=intervals[0],
        at_equal_length=at_zero,
        at_equal_length_interval=intervals[1],
        slope=slope,
        slope_interval=intervals[2],
        intercept=intercept,
        extrapolated=extrapolated,
        resamples=resamples,
        degenerate_resamples=degenerate,
    )
