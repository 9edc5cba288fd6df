"""What a length-controlled fit returns (:class:`LengthControlled`), and the statuses that say
why a fit has no answer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flip_core.selection import Interval

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
``unstable``: the fit exists but more than
:data:`~flip_core.length_control.regression.MAX_DEGENERATE_SHARE` of the resamples could not be
refitted, so the figures come without intervals. Every other status means no fit: the
figures are None, only ``raw`` is given."""

Bounds = tuple[float, float]


@dataclass(frozen=True)
class LengthControlled:
    """A method's accuracy with the length difference's effect removed (the package docstring,
    :mod:`flip_core.length_control`, defines each figure).

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
