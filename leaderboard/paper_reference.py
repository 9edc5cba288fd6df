"""The paper's reported averages (method.md), shown as clearly marked reference rows.

Best-of-4 strict accuracy on RewardBench 2, mean over the paper's 13 small models (0.6B-8B).
These are quoted numbers, never recomputed here; the leaderboard labels them as such.
"""

from __future__ import annotations

PAPER_LABEL = "reported in the paper (mean of 13 small models)"

PAPER_RB2 = {
    "judge_pointwise": {
        "focus": 19.5,
        "factuality": 16.4,
        "precise_if": 12.2,
        "math": 21.2,
        "average": 17.3,
    },
    "judge_listwise": {
        "focus": 27.3,
        "factuality": 19.5,
        "precise_if": 18.0,
        "math": 19.1,
        "average": 21.0,
    },
    "judge_pairwise": {
        "focus": 24.2,
        "factuality": 20.0,
        "precise_if": 17.2,
        "math": 17.5,
        "average": 19.7,
    },
    "flip": {"focus": 59.6, "factuality": 27.9, "precise_if": 23.3, "math": 27.2, "average": 34.5},
}
