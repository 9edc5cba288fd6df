"""Length-controlled accuracy: the figures a benchmark confounded by response length needs.

On LLMBar the chosen response is usually the shorter one: the always-shortest rule is right on
78% of the 319 pairs, so a method that merely prefers short answers looks good. Two views take
length out of a method's accuracy; both are pure functions of per-item verdicts (``{item_id:
correct}``, the strict best-of-N verdict, a tie at the top counting as wrong) and of the items'
lengths, so every method and model is read against the same items.

**Length-adversarial subsets** (:func:`length_subsets`, :func:`subset_accuracy`): the items on
which the always-shortest rule is wrong (``shortest_wrong``: the chosen candidate is not
strictly the shortest) and those on which the always-longest rule is wrong
(``longest_wrong``), with their complements. A method that only follows length scores 0 on
one of them; a method that reads the content scores about the same on all.

**A regression-based figure** (:func:`length_controlled_accuracy`): a logistic regression of
the verdict (correct 0/1) on the item's length difference
``d = mean over rejected r of log((1 + len(chosen)) / (1 + len(r)))`` (for a pair, the log
of the length ratio; 0 for equal lengths; the log keeps one very long alternative from
dominating an item with several), fitted by scikit-learn without a penalty. From the fitted
intercept ``a`` and slope ``b``:

- ``balanced`` (the headline): ``mean_i (p(d_i) + p(-d_i)) / 2`` with ``p(d) =
  sigmoid(a + b d)``: the expected accuracy on the same items if which response is longer were
  a coin flip, with the observed sizes of the differences. A method whose verdict does not
  depend on length keeps its raw accuracy; a pure length rule drops to chance (on LLMBar,
  always-shortest by characters falls from 81.8% to 51.9%);
- ``at_equal_length``: ``p(0) = sigmoid(a)``, the accuracy predicted for two responses of
  equal length. Simpler to state, but it reads the curve at a single point, where a length rule
  is at its tie and a steep curve is pinned by the few items near ``d = 0`` (the same rule: 75.8%
  at ``d = 0``), so it can hide a length effect that ``balanced`` shows;
- ``slope``: ``b``, the change in log-odds of a correct verdict per unit of ``d``: how strongly
  length drives the verdict. ``b < 0``: the method is right less often the longer the chosen
  response is than the rejected one (it favours short responses); ``b > 0``: long ones. Its
  interval excluding 0 is what :attr:`LengthControlled.length_dependent` reports.

Each comes with a 95% percentile-bootstrap interval over items (items resampled, the model
refitted; seeded). Why ``balanced`` rather than ``at_equal_length`` as the headline: the
question a length-confounded benchmark raises is "what would this method score if the length
cue carried no information", and a benchmark in which the chosen response is the longer one as
often as the shorter, by the same margins, is exactly that; ``p(0)`` answers a narrower
question (two responses of the same length) that depends on how the curve is extrapolated
to ``d = 0``. The fit is refused, with a :attr:`LengthControlled.status` saying why and
no number, where a logistic regression has no answer: fewer than :data:`MIN_ITEMS` items, all
verdicts equal, no variation in ``d``, or verdicts that ``d`` separates perfectly (then the
maximum-likelihood slope is infinite: the verdict is a step function of length, which is
itself the finding; the always-shortest rule counted in words is such a case).

Lengths are characters by default, the unit of the leaderboard's always-shortest and
always-longest rows (:func:`flip_core.baselines.length_scores`), so a length-adversarial subset
is exactly the items the row beside it gets wrong; pass ``length=word_count`` for the words of
the accuracy-by-length report (the two units disagree on a few pairs: counted in words, the
always-shortest rule is a step function of ``d`` and has no regression figure).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from flip_core.errors import FlipConfigError
from flip_core.items import Item
from flip_core.selection import Interval, bootstrap_interval, is_strictly_correct

SHORTEST_WRONG = "shortest_wrong"
SHORTEST_RIGHT = "shortest_right"
LONGEST_WRONG = "longest_wrong"
LONGEST_RIGHT = "longest_right"
ALL = "all"
SUBSETS = (ALL, SHORTEST_WRONG, SHORTEST_RIGHT, LONGEST_WRONG, LONGEST_RIGHT)
"""The subsets :func:`length_subsets` returns, in display order. ``shortest_wrong`` and
``longest_wrong`` are the length-adversarial ones."""

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

OK = "ok"
TOO_FEW_ITEMS = "too_few_items"
CONSTANT_VERDICT = "constant_verdict"
CONSTANT_LENGTH = "constant_length"
SEPARATED = "separated"
NO_CONVERGENCE = "no_convergence"
UNSTABLE = "unstable"
STATUSES = (
    OK,
    UNSTABLE,
    TOO_FEW_ITEMS,
    CONSTANT_VERDICT,
    CONSTANT_LENGTH,
    SEPARATED,
    NO_CONVERGENCE,
)
""":attr:`LengthControlled.status` values. ``ok``: every figure and interval is there.
``unstable``: the fit exists but more than :data:`MAX_DEGENERATE_SHARE` of the resamples could
not be refitted, so the figures come without intervals. Every other status means no fit: the
figures are None, only ``raw`` is given."""


# ---- per-item lengths and the length-adversarial subsets -----------------------------------


@dataclass(frozen=True)
class LengthProfile:
    """The lengths of one item's candidates (characters unless told otherwise) and what the
    length rules make of it.

    ``shortest_wrong`` / ``longest_wrong``: the always-shortest / always-longest rule is wrong
    on the item under the strict rule (the chosen candidate is not alone at the shortest /
    longest length: a tie counts as wrong).
    """

    item_id: str
    chosen_length: int
    rejected_lengths: tuple[int, ...]
    shortest_wrong: bool
    longest_wrong: bool

    @property
    def length_difference(self) -> float:
        """``d``: the mean over rejected candidates of ``log((1 + chosen) / (1 + rejected))``
        (natural log; > 0 when the chosen response is the longer)."""
        chosen = math.log1p(self.chosen_length)
        return sum(chosen - math.log1p(r) for r in self.rejected_lengths) / len(
            self.rejected_lengths
        )


def length_profile(item: Item, length: Callable[[str], int] = len) -> LengthProfile | None:
    """The :class:`LengthProfile` of an item; None when it has no gold candidate or no
    rejected one (the rules and ``d`` are undefined there). ``length``: characters by default,
    the unit of the leaderboard's always-shortest and always-longest rows, so the subsets are
    exactly the items those rows get wrong (:func:`flip_core.length_buckets.word_count` counts
    words instead)."""
    if item.gold_index is None or len(item.candidates) < 2:
        return None
    words = [length(text) for text in item.candidates]
    rejected = tuple(w for i, w in enumerate(words) if i != item.gold_index)
    return LengthProfile(
        item_id=item.id,
        chosen_length=words[item.gold_index],
        rejected_lengths=rejected,
        shortest_wrong=not is_strictly_correct([-w for w in words], item.gold_index),
        longest_wrong=not is_strictly_correct([float(w) for w in words], item.gold_index),
    )


def length_profiles(
    items: Iterable[Item], length: Callable[[str], int] = len
) -> dict[str, LengthProfile]:
    """``{item_id: profile}`` of the items with a gold candidate (others are left out)."""
    profiles = {}
    for item in items:
        profile = length_profile(item, length)
        if profile is not None:
            profiles[item.id] = profile
    return profiles


def length_subsets(profiles: Mapping[str, LengthProfile]) -> dict[str, frozenset[str]]:
    """The item ids of each of :data:`SUBSETS` (``all`` and the two rules' wrong / right
    items). A property of the items, not of any run: compute it once per benchmark."""
    return {
        ALL: frozenset(profiles),
        SHORTEST_WRONG: frozenset(i for i, p in profiles.items() if p.shortest_wrong),
        SHORTEST_RIGHT: frozenset(i for i, p in profiles.items() if not p.shortest_wrong),
        LONGEST_WRONG: frozenset(i for i, p in profiles.items() if p.longest_wrong),
        LONGEST_RIGHT: frozenset(i for i, p in profiles.items() if not p.longest_wrong),
    }


def subset_accuracy(
    verdicts: Mapping[str, bool],
    subsets: Mapping[str, frozenset[str]],
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval | None]:
    """A method's strict accuracy on each subset, from its ``{item_id: correct}`` verdicts,
    with a percentile-bootstrap interval (:func:`flip_core.selection.bootstrap_interval`).

    Items the verdicts do not cover are left out (the interval's ``n`` counts those that
    count); None for a subset none of whose items is covered.
    """
    result: dict[str, Interval | None] = {}
    for name, ids in subsets.items():
        values = [float(verdicts[i]) for i in sorted(ids) if i in verdicts]
        result[name] = bootstrap_interval(values, confidence, seed=seed) if values else None
    return result


# ---- the regression-based figure -----------------------------------------------------------


Bounds = tuple[float, float]


@dataclass(frozen=True)
class LengthControlled:
    """A method's accuracy with the length difference's effect removed (module docstring).

    - ``status``: ``ok``, ``unstable``, or why there is no fit (:data:`STATUSES`);
    - ``n``: the items fitted (those with both a verdict and a profile);
    - ``raw``: the plain strict accuracy on them, with its interval (None without items);
    - ``balanced``, ``at_equal_length``, ``slope``: the figures, each with its percentile
      interval ``*_interval = (low, high)``. The figures are None without a fit; the
      intervals are None unless ``status`` is ``ok`` (under ``unstable`` too many resamples
      could not be refitted to give one);
    - ``intercept``: the fitted log-odds at ``d = 0``;
    - ``extrapolated``: the items' ``d`` do not straddle 0 (every chosen response is the
      longer, or every one the shorter), so the figures lean on the logistic form beyond the
      data;
    - ``resamples``, ``degenerate_resamples``: bootstrap refits attempted, and those that could
      not be fitted (all verdicts equal or separated in the resample; left out of the
      percentiles).
    """

    status: str
    n: int
    raw: Interval | None
    balanced: float | None = None
    balanced_interval: Bounds | None = None
    at_equal_length: float | None = None
    at_equal_length_interval: Bounds | None = None
    slope: float | None = None
    slope_interval: Bounds | None = None
    intercept: float | None = None
    extrapolated: bool = False
    resamples: int = 0
    degenerate_resamples: int = 0

    @property
    def fitted(self) -> bool:
        return self.status in (OK, UNSTABLE)

    @property
    def length_dependent(self) -> bool | None:
        """Whether the slope's interval excludes 0 ("accuracy depends on length"); None
        without a fit or without an interval."""
        if self.slope_interval is None:
            return None
        low, high = self.slope_interval
        return low > 0 or high < 0

    @property
    def odds_ratio_per_doubling(self) -> float | None:
        """How the odds of a correct verdict multiply when the chosen response doubles in
        length relative to the rejected ones (for ``d`` near 0): ``exp(slope * ln 2)``."""
        return None if self.slope is None else math.exp(self.slope * math.log(2))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (intervals as ``[low, high]``, ``raw`` as ``{value, low,
        high, n}``), with ``length_dependent``."""

        def pair(bounds: Bounds | None) -> list[float] | None:
            return None if bounds is None else [bounds[0], bounds[1]]

        raw = self.raw
        return {
            "status": self.status,
            "n": self.n,
            "raw": None
            if raw is None
            else {"value": raw.value, "low": raw.low, "high": raw.high, "n": raw.n},
            "balanced": self.balanced,
            "balanced_interval": pair(self.balanced_interval),
            "at_equal_length": self.at_equal_length,
            "at_equal_length_interval": pair(self.at_equal_length_interval),
            "slope": self.slope,
            "slope_interval": pair(self.slope_interval),
            "intercept": self.intercept,
            "extrapolated": self.extrapolated,
            "resamples": self.resamples,
            "degenerate_resamples": self.degenerate_resamples,
            "length_dependent": self.length_dependent,
        }


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
