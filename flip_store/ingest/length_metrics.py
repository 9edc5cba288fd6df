"""Length-controlled figures of one run, stored beside its accuracy (docs/conventions.md,
"Length-controlled accuracy").

From the run's strict verdicts and the lengths of the candidates it was shown (characters, the
unit of the leaderboard's always-shortest and always-longest rows):

- ``acc_where_shortest_wrong`` / ``acc_where_longest_wrong``: accuracy on the items where the
  always-shortest (always-longest) rule is wrong, the length-adversarial subsets;
- ``acc_length_controlled``: the accuracy expected if which response is longer carried no
  information (:func:`flip_core.length_control.length_controlled_accuracy`'s ``balanced``),
  and ``length_slope``, how strongly the length difference drives the verdict, each with a
  percentile-bootstrap interval. They are absent where the regression has no answer (a step
  function of length, all verdicts equal, too few items); the interval is absent where too many
  resamples could not be refitted.

Ingest refits :data:`INGEST_RESAMPLES` bootstrap resamples per run (about a second);
``flip report length-control`` pools a row's domains and uses the library's default.
"""

from __future__ import annotations

from collections.abc import Sequence

from flip_core.items import Item
from flip_core.length_control import (
    LONGEST_WRONG,
    SHORTEST_WRONG,
    length_controlled_accuracy,
    length_profiles,
    length_subsets,
    subset_accuracy,
)
from flip_core.selection import Interval

INGEST_RESAMPLES = 200
SUBSET_METRICS = {
    SHORTEST_WRONG: "acc_where_shortest_wrong",
    LONGEST_WRONG: "acc_where_longest_wrong",
}


def length_metrics(items: Sequence[Item], correct: Sequence[bool]) -> dict[str, Interval]:
    """The run's length-controlled metrics (those that exist for its items and verdicts)."""
    profiles = length_profiles(items)
    verdicts = {item.id: bool(right) for item, right in zip(items, correct, strict=True)}
    subsets = length_subsets(profiles)
    found: dict[str, Interval] = {}
    chosen = {name: subsets[name] for name in SUBSET_METRICS}
    for name, interval in subset_accuracy(verdicts, chosen).items():
        if interval is not None:
            found[SUBSET_METRICS[name]] = interval
    controlled = length_controlled_accuracy(verdicts, profiles, resamples=INGEST_RESAMPLES)
    if controlled.fitted and controlled.balanced is not None and controlled.slope is not None:
        found["acc_length_controlled"] = _interval(
            controlled.balanced, controlled.balanced_interval, controlled.n
        )
        found["length_slope"] = _interval(controlled.slope, controlled.slope_interval, controlled.n)
    return found


def _interval(value: float, bounds: tuple[float, float] | None, n: int) -> Interval:
    low, high = bounds if bounds is not None else (None, None)
    return Interval(value, low, high, n)  # type: ignore[arg-type]
