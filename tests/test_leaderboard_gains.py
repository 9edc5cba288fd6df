"""FLIP's gain over the best judge of the same model: the rule shared by the table and charts."""

from __future__ import annotations

from test_leaderboard_charts import row

from flip_store.read.verdicts import DiscordantCounts
from leaderboard.gains import best_judges, domain_average, flip_gains

DOMAINS = ["focus", "math"]


def test_best_judge_is_per_model_and_profile_over_complete_rows():
    rows = [
        row("m", "flip", {"focus": 0.6, "math": 0.4}),
        row("m", "judge_pointwise", {"focus": 0.4, "math": 0.2}),
        row("m", "judge_listwise", {"focus": 0.3, "math": 0.4}),
        row("m", "judge_pairwise", {"focus": 0.9}),  # lacks math: never the best judge
        row("m", "judge_pointwise", {"focus": 0.9, "math": 0.9}, profile="cpu"),
        row("other", "judge_pointwise", {"focus": 0.9, "math": 0.9}),
    ]
    assert domain_average(rows[3], DOMAINS) is None
    (judge, average) = best_judges(rows, DOMAINS)[("m", "default")]
    assert judge.method == "judge_listwise" and round(average, 9) == 0.35
    (gain,) = flip_gains(rows, DOMAINS).values()
    assert gain.flip is rows[0] and round(gain.relative, 6) == round((0.5 - 0.35) / 0.35 * 100, 6)
    assert gain.p_value is None  # no store counts asked for


def test_paired_counts_are_asked_per_domain_and_pooled():
    flip = row("m", "flip", {"focus": 0.6, "math": 0.4})
    judge = row("m", "judge_pointwise", {"focus": 0.4, "math": 0.2})
    asked = []

    def counts_of(pairs):
        asked.extend(pairs)
        return {pair: DiscordantCounts(10, 3, 0, 2) for pair in pairs}

    gain = flip_gains([flip, judge], DOMAINS, counts_of)[flip.key]
    assert sorted(asked) == sorted(
        (flip.domains[d].run_id, judge.domains[d].run_id) for d in DOMAINS
    )
    assert (gain.counts.n, gain.counts.a_only, gain.counts.b_only) == (20, 6, 0)
    assert gain.p_value == 2 * 0.5**6  # exact McNemar, 6 discordant items all for FLIP


def test_a_judge_at_zero_has_no_relative_gain_and_no_judge_means_no_gain():
    rows = [
        row("m", "flip", {"focus": 0.5, "math": 0.5}),
        row("m", "judge_listwise", {"focus": 0.0, "math": 0.0}),
        row("solo", "flip", {"focus": 0.5, "math": 0.5}),
    ]
    gains = flip_gains(rows, DOMAINS)
    assert gains[rows[0].key].relative is None and rows[2].key not in gains
