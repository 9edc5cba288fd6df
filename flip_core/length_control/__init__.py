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

The parts: :mod:`~flip_core.length_control.subsets` (per-item lengths and the
length-adversarial subsets), :mod:`~flip_core.length_control.regression` (the fit and its
bootstrap) and :mod:`~flip_core.length_control.fit_result` (what a fit returns, and its
statuses).
"""

from flip_core.length_control.fit_result import (
    CONSTANT_LENGTH,
    CONSTANT_VERDICT,
    NO_CONVERGENCE,
    OK,
    SEPARATED,
    STATUSES,
    TOO_FEW_ITEMS,
    UNSTABLE,
    Bounds,
    LengthControlled,
)
from flip_core.length_control.regression import (
    DEFAULT_RESAMPLES,
    MAX_DEGENERATE_SHARE,
    MIN_ITEMS,
    length_controlled_accuracy,
)
from flip_core.length_control.subsets import (
    ALL,
    LONGEST_RIGHT,
    LONGEST_WRONG,
    SHORTEST_RIGHT,
    SHORTEST_WRONG,
    SUBSETS,
    LengthProfile,
    length_profile,
    length_profiles,
    length_subsets,
    subset_accuracy,
)

__all__ = [
    "ALL",
    "CONSTANT_LENGTH",
    "CONSTANT_VERDICT",
    "DEFAULT_RESAMPLES",
    "LONGEST_RIGHT",
    "LONGEST_WRONG",
    "MAX_DEGENERATE_SHARE",
    "MIN_ITEMS",
    "NO_CONVERGENCE",
    "OK",
    "SEPARATED",
    "SHORTEST_RIGHT",
    "SHORTEST_WRONG",
    "STATUSES",
    "SUBSETS",
    "TOO_FEW_ITEMS",
    "UNSTABLE",
    "Bounds",
    "LengthControlled",
    "LengthProfile",
    "length_controlled_accuracy",
    "length_profile",
    "length_profiles",
    "length_subsets",
    "subset_accuracy",
]
