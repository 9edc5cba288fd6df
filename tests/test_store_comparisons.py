"""flip_store.comparisons: discordant counts for many run pairs, and one pair item by item."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from flip_core.paired import paired_difference
from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.read.comparisons import compare_runs
from flip_store.read.listing import list_runs
from flip_store.read.verdicts import DiscordantCounts, discordant_counts
from flip_store.schema import ItemRow, ModelRow, OutcomeRow, RunRow, RunVerdictsRow

DOMAINS = {"focus": 30, "math": 12}


def _crafted_store(url: str):
    """Runs with random verdicts: four per domain, one of them on a subset of the items."""
    engine = open_engine(url, create=True)
    rng = random.Random(7)
    items = {d: [f"rb2:{d}:{i}" for i in range(k)] for d, k in DOMAINS.items()}
    verdicts: dict[int, dict[str, bool]] = {}
    runs, outcomes = [], []
    for domain, ids in items.items():
        for k in range(4):
            run_id = len(runs) + 1
            scored = ids if k < 3 else ids[::3]
            verdicts[run_id] = {i: rng.random() < 0.5 for i in scored}
            runs.append(
                {
                    "id": run_id,
                    "fingerprint": f"fp{run_id}",
                    "model_id": 1 + k % 2,
                    "task": f"flip_rb2_{domain}",
                    "method": "flip",
                    "benchmark": "rb2",
                    "domain": domain,
                    "variant": "none",
                    "profile": "default",
                    "generation_settings": {},
                    "seeds": {},
                    "raw_results": {},
                    "ingested_at": datetime.now(UTC),
                    "token_count_method": "chars",
                }
            )
            outcomes.extend(
                {
                    "run_id": run_id,
                    "item_id": item_id,
                    "picked_position": 0,
                    "correct": correct,
                    "tie_aware": float(correct),
                    "parse_fail_rate": 0.0,
                }
                for item_id, correct in verdicts[run_id].items()
            )
    with engine.begin() as connection:
        connection.execute(
            ItemRow.__table__.insert(),
            [
                {
                    "id": item_id,
                    "benchmark": "rb2",
                    "domain": domain,
                    "instruction": "x",
                    "gold_index": 0,
                    "dataset_source": "crafted",
                    "dataset_revision": "r1",
                }
                for domain, ids in items.items()
                for item_id in ids
            ],
        )
        connection.execute(
            ModelRow.__table__.insert(),
            [
                {"id": 1, "name": "model-one", "is_baseline": False},
                {"id": 2, "name": "model-two", "is_baseline": False},
            ],
        )
        connection.execute(RunRow.__table__.insert(), runs)
        connection.execute(OutcomeRow.__table__.insert(), outcomes)
        connection.execute(  # as flip_store.rows.insert_outcomes keeps them beside the outcomes
            RunVerdictsRow.__table__.insert(),
            [{"run_id": run_id, "verdicts": items} for run_id, items in verdicts.items()],
        )
    return engine, verdicts


def _expected(verdicts, run_a: int, run_b: int) -> DiscordantCounts:
    a, b = verdicts.get(run_a, {}), verdicts.get(run_b, {})
    shared = a.keys() & b.keys()
    return DiscordantCounts(
        n=len(shared),
        a_only=sum(a[i] and not b[i] for i in shared),
        b_only=sum(b[i] and not a[i] for i in shared),
        both=sum(a[i] and b[i] for i in shared),
    )


def test_discordant_counts_match_python_for_many_pairs(tmp_path):
    engine, verdicts = _crafted_store(f"sqlite:///{tmp_path / 'flip.db'}")
    pairs = [
        (1, 2),
        (2, 1),  # reversed: a_only and b_only swap
        (1, 3),
        (1, 4),  # run 4 scored every third item: n is the shared subset
        (5, 6),
        (7, 8),
        (3, 3),  # a run against itself
        (1, 5),  # different domains: no shared items
        (1, 99),  # unknown run
        (1, 2),  # repeated
    ]
    counts = discordant_counts(engine, pairs)
    assert set(counts) == set(pairs)
    for pair in pairs:
        assert counts[pair] == _expected(verdicts, *pair), pair
    assert counts[(1, 2)].a_only == counts[(2, 1)].b_only
    assert counts[(1, 4)].n == 10 and counts[(5, 6)].n == 12
    assert counts[(3, 3)].a_only == counts[(3, 3)].b_only == 0
    assert counts[(1, 5)] == counts[(1, 99)] == DiscordantCounts(0, 0, 0, 0)
    assert counts[(1, 5)].agreement is None
    one = counts[(1, 2)]
    assert one.both_wrong == _expected(verdicts, 1, 2).n - one.a_only - one.b_only - one.both
    assert discordant_counts(engine, []) == {}


def test_discordant_counts_in_chunks(tmp_path, monkeypatch):
    import flip_store.read.verdicts as comparisons

    engine, verdicts = _crafted_store(f"sqlite:///{tmp_path / 'flip.db'}")
    monkeypatch.setattr(comparisons, "MAX_RUNS_PER_QUERY", 3)
    pairs = [(a, b) for a in range(1, 9) for b in range(1, 9)]
    counts = discordant_counts(engine, pairs)
    assert all(counts[pair] == _expected(verdicts, *pair) for pair in pairs)


def _run_id(engine, task: str) -> int:
    (run_id,) = [r.id for r in list_runs(engine) if r.task == task]
    return run_id


def test_compare_runs_on_the_small_store(small_store):
    flip = _run_id(small_store, "flip_llmbar_neighbor")
    pairwise = _run_id(small_store, "judge_pairwise_llmbar_neighbor")
    pointwise = _run_id(small_store, "judge_pointwise_llmbar_neighbor")  # garbage, limit 1

    comparison = compare_runs(small_store, pairwise, flip)
    assert comparison.run_a.method == "judge_pairwise" and comparison.run_b.method == "flip"
    assert comparison.run_b.task == "flip_llmbar_neighbor" and comparison.run_b.model
    assert (comparison.run_a.benchmark, comparison.run_a.domain) == ("llmbar", "neighbor")
    assert comparison.n == 2 and comparison.run_a.items == comparison.run_b.items == 2
    assert comparison.agreement == 1.0 and comparison.improved == comparison.regressed == []
    assert comparison.difference == paired_difference([True, True], [True, True])
    assert comparison.notes == []

    # the garbage judge ties every pair (strictly wrong): FLIP improves on its one item
    against_garbage = compare_runs(small_store, pointwise, flip)
    assert against_garbage.improved == ["llmbar:neighbor:0"] and against_garbage.regressed == []
    assert against_garbage.difference.difference == 1.0 and against_garbage.agreement == 0.0


def test_compare_runs_notes_and_unknown_runs(small_store):
    flip = _run_id(small_store, "flip_llmbar_neighbor")
    manual = _run_id(small_store, "flip_llmbar_manual")
    assert compare_runs(small_store, flip, 10_000) is None
    assert compare_runs(small_store, 10_000, flip) is None

    apart = compare_runs(small_store, flip, manual)  # different domains: no shared items
    assert apart.n == 0 and apart.difference is None and apart.agreement is None
    assert apart.improved == apart.regressed == []
    assert "share no items" in apart.notes[0] and "llmbar manual" in apart.notes[0]

    limited = compare_runs(
        small_store, _run_id(small_store, "judge_pointwise_llmbar_neighbor"), flip
    )
    assert limited.n == 1 and limited.difference.n == 1
    assert limited.notes == [
        f"Compared on the 1 item both runs scored (run {limited.run_a.run_id} has 1 item, "
        f"run {flip} has 2 items)."
    ]
    assert "same run" in compare_runs(small_store, flip, flip).notes[0]


def test_comparisons_on_every_database_kind(lm_eval_output, monkeypatch, db_url):
    monkeypatch.setenv("FLIP_DATA_DIR", str(lm_eval_output.parent / "data"))
    engine = open_engine(db_url, create=True)
    report = ingest_path(engine, lm_eval_output, progress=lambda line: None)
    assert not report.rejected
    flip = _run_id(engine, "flip_llmbar_neighbor")
    listwise = _run_id(engine, "judge_listwise_llmbar_neighbor")
    counts = discordant_counts(engine, [(flip, listwise), (listwise, flip)])
    assert counts[(flip, listwise)] == DiscordantCounts(n=2, a_only=0, b_only=0, both=2)
    comparison = compare_runs(engine, listwise, flip)
    assert comparison.improved == comparison.regressed == []
    assert comparison.difference.difference == 0.0 and comparison.agreement == 1.0
    assert compare_runs(engine, flip, 10_000) is None
