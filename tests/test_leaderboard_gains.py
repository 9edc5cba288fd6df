"""The FLIP gain over the best judge of the same model: one rule for the table and the charts,
by method family (every FLIP-family method gets one), never by method name."""

from __future__ import annotations

from harness_fakes import fake_board, fake_reference, fake_row

from flip_store.read.verdicts import DiscordantCounts
from leaderboard.board import RowKind
from leaderboard.gains import best_judges, flip_gains

DOMAINS = ("focus", "math")


def test_best_judge_is_per_model_profile_and_backend_over_complete_rows():
    rows = fake_board(
        [
            fake_row("m", "flip", {"focus": 0.6, "math": 0.4}),
            fake_row("m", "judge_pointwise", {"focus": 0.4, "math": 0.2}),
            fake_row("m", "judge_listwise", {"focus": 0.3, "math": 0.4}),
            fake_row("m", "judge_pairwise", {"focus": 0.9}),  # lacks math: never the best judge
            fake_row("m", "judge_pointwise", {"focus": 0.9, "math": 0.9}, profile="cpu"),
            fake_row("m", "judge_pointwise", {"focus": 0.9, "math": 0.9}, backend="vllm"),
            fake_row("other", "judge_pointwise", {"focus": 0.9, "math": 0.9}),
        ],
        DOMAINS,
    )
    assert rows[3].average is None
    judge = best_judges(rows)[("m", "default", "hf")]
    assert judge.method == "judge_listwise" and round(judge.average, 9) == 0.35
    (gain,) = flip_gains(rows).values()
    assert gain.flip.key == rows[0].key
    assert round(gain.relative, 6) == round((0.5 - 0.35) / 0.35 * 100, 6)
    assert gain.p_value is None  # no store counts asked for
    assert rows[0].gain is not None and rows[0].gain.judge is judge  # attached to the row


def test_every_flip_family_method_gets_a_gain_and_no_judge_does():
    rows = fake_board(
        [
            fake_row("m", "flip", {"focus": 0.6, "math": 0.6}),
            fake_row("m", "flipll", {"focus": 0.8, "math": 0.8}),
            fake_row("m", "judge_pairwise", {"focus": 0.4, "math": 0.4}),
        ],
        DOMAINS,
        [fake_reference("paper:flip", "reported", "reported", {"focus": 0.6}, "flip")],
    )
    gains = {row.method: row.gain for row in rows if row.gain}
    assert set(gains) == {"flip", "flipll"}
    assert round(gains["flipll"].relative, 6) == 100.0
    assert all(row.gain is None for row in rows if row.kind is RowKind.REPORTED)


def test_paired_counts_are_asked_per_domain_and_pooled():
    asked = []

    def counts_of(pairs):
        asked.extend(pairs)
        return {pair: DiscordantCounts(10, 3, 0, 2) for pair in pairs}

    flip, judge = fake_board(
        [
            fake_row("m", "flip", {"focus": 0.6, "math": 0.4}),
            fake_row("m", "judge_pointwise", {"focus": 0.4, "math": 0.2}),
        ],
        DOMAINS,
        counts_of=counts_of,
    )
    assert sorted(asked) == sorted((flip.cells[d].run_id, judge.cells[d].run_id) for d in DOMAINS)
    assert (flip.gain.counts.n, flip.gain.counts.a_only, flip.gain.counts.b_only) == (20, 6, 0)
    assert flip.gain.p_value == 2 * 0.5**6  # exact McNemar, 6 discordant items all for FLIP


def test_a_judge_at_zero_has_no_relative_gain_and_no_judge_means_no_gain():
    rows = fake_board(
        [
            fake_row("m", "flip", {"focus": 0.5, "math": 0.5}),
            fake_row("m", "judge_listwise", {"focus": 0.0, "math": 0.0}),
            fake_row("solo", "flip", {"focus": 0.5, "math": 0.5}),
        ],
        DOMAINS,
    )
    assert rows[0].gain.relative is None and rows[2].gain is None
