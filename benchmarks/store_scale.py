"""The results store at leaderboard scale: query latency and ingest rate.

Fills a database with synthetic rows (default: 100 models x 5 methods x 1,313 RewardBench-2-
shaped items x 4 candidates, each run with its calls, scores, outcomes and metrics), then
times, in the same run and on the same database:

- the baseline: a plain ``SELECT count(*) FROM run``;
- the leaderboard's summary query (``queries.leaderboard``);
- one item with its candidates and every run's calls on it (``queries.item_detail``);
- the ingest of one full FLIP run over 1,313 items through the real ``flip ingest`` path
  (lm-eval files written by a fake model, validated against the data and re-scored).

Targets (issue 4): ingest of one full RB2 run under 5 s; leaderboard queries p95 under 100 ms
on SQLite. Synthetic data: the numbers measure the store, never a model.

    .venv/bin/python benchmarks/store_scale.py [--models 100] [--db sqlite:///path.db]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from flip_store.database import open_engine
from flip_store.read.items import item_detail
from flip_store.read.leaderboard import leaderboard
from flip_store.schema import (
    CallRow,
    CandidateRow,
    ItemRow,
    MetricRow,
    ModelRow,
    OutcomeRow,
    RunRow,
    RunVerdictsRow,
    ScoreRow,
)

DOMAIN_SIZES = {"focus": 495, "factuality": 475, "precise_if": 160, "math": 183}
CALLS_PER_ITEM = {
    "flip": 4,
    "judge_pointwise": 4,
    "judge_pairwise": 12,
    "judge_listwise": 1,
    "flipll": 5,  # one per candidate and the empty-response reference
}
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def synthetic_items() -> list[tuple[str, str]]:
    """(item id, domain) of the synthetic RB2-shaped items, in a fixed order."""
    return [
        (f"rb2:{domain}:synthetic-{k}", domain)
        for domain, size in DOMAIN_SIZES.items()
        for k in range(size)
    ]


def fill(engine, models: int, methods: list[str], rng: random.Random) -> tuple[int, list[str]]:
    """Insert the synthetic store; returns the number of rows written and the item ids."""
    items = synthetic_items()
    item_ids = [item_id for item_id, _ in items]
    rows = 0
    with engine.begin() as connection:
        connection.execute(
            insert(ItemRow),
            [
                {
                    "id": item_id,
                    "benchmark": "rb2",
                    "domain": domain,
                    "instruction": FILLER * 2,
                    "gold_index": 0,
                    "dataset_source": "synthetic",
                    "dataset_revision": "synthetic",
                }
                for item_id, domain in items
            ],
        )
        connection.execute(
            insert(CandidateRow),
            [
                {
                    "item_id": item_id,
                    "position": p,
                    "text": FILLER * (2 + p),
                    "length_chars": 100,
                    "is_chosen": p == 0,
                    "reference_score": None,
                }
                for item_id in item_ids
                for p in range(4)
            ],
        )
        rows += len(item_ids) * 5
    run_id = 0
    now = datetime.now(UTC)
    for model_index in range(models):
        with engine.begin() as connection:
            connection.execute(
                insert(ModelRow).values(
                    id=model_index + 1,
                    name=f"synthetic/model-{model_index}",
                    family="synthetic",
                    parameters=rng.randint(5, 80) * 10**8,
                    is_baseline=False,
                )
            )
            runs, calls, scores, outcomes, verdicts, metrics = [], [], [], [], [], []
            for method in methods:
                for domain in DOMAIN_SIZES:
                    run_id += 1
                    runs.append(
                        {
                            "id": run_id,
                            "fingerprint": f"{run_id:064d}",
                            "model_id": model_index + 1,
                            "task": f"{method}_rb2_{domain}",
                            "method": method,
                            "benchmark": "rb2",
                            "domain": domain,
                            "variant": "none",
                            "profile": "default",
                            "prompt_hash": "synthetic",
                            "dataset_revision": "synthetic",
                            "limit": None,
                            "generation_settings": {},
                            "seeds": {},
                            "raw_results": {},
                            "ingested_at": now,
                            "token_count_method": "tokenizer",
                        }
                    )
                    domain_ids = [i for i in item_ids if f":{domain}:" in i]
                    correct = 0
                    for item_id in domain_ids:
                        values = [rng.random() for _ in range(4)]
                        picked = max(range(4), key=values.__getitem__)
                        correct += picked == 0
                        scores += [
                            {"run_id": run_id, "item_id": item_id, "position": p, "value": v}
                            for p, v in enumerate(values)
                        ]
                        outcomes.append(
                            {
                                "run_id": run_id,
                                "item_id": item_id,
                                "picked_position": picked,
                                "correct": picked == 0,
                                "tie_aware": float(picked == 0),
                                "parse_fail_rate": 0.0,
                            }
                        )
                        calls += [
                            {
                                "run_id": run_id,
                                "item_id": item_id,
                                "call_index": c,
                                "shown": [c % 4],
                                "raw_outputs": [FILLER * 2],
                                "parsed_values": ["x"],
                                "parse_statuses": ["ok"],
                                "failed": False,
                                "generated_tokens": 60,
                            }
                            for c in range(CALLS_PER_ITEM[method])
                        ]
                    verdicts.append(
                        {
                            "run_id": run_id,
                            "verdicts": {  # this run's outcomes are the last ones added
                                o["item_id"]: o["correct"] for o in outcomes[-len(domain_ids) :]
                            },
                        }
                    )
                    for name, value in (
                        ("acc", correct / len(domain_ids)),
                        ("parse_fail_rate", 0.0),
                        ("generated_tokens_per_item", 240.0),
                    ):
                        metrics.append(
                            {
                                "run_id": run_id,
                                "name": name,
                                "value": value,
                                "ci_low": value,
                                "ci_high": value,
                                "n": len(domain_ids),
                            }
                        )
            for table, batch in (
                (RunRow, runs),
                (CallRow, calls),
                (ScoreRow, scores),
                (OutcomeRow, outcomes),
                (RunVerdictsRow, verdicts),
                (MetricRow, metrics),
            ):
                connection.execute(insert(table), batch)
                rows += len(batch)
        print(f"\rfilled {model_index + 1}/{models} models ({rows:,} rows)", end="", flush=True)
    print()
    return rows, item_ids


def latencies(function, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(times, n=20)
    return statistics.median(times), quantiles[18]


def ingest_rate(engine, folder: Path) -> tuple[float, int]:
    """Seconds to ingest one full FLIP run over the synthetic RB2 items through flip ingest."""
    import os

    from harness_fakes import ContentJudgeLM

    from flip_cli.harness_run import run_tasks
    from flip_store.ingest import ingest_path

    data = folder / "data" / "reward-bench-2"
    data.mkdir(parents=True)
    with (data / "test.jsonl").open("w") as handle:
        for domain, size in DOMAIN_SIZES.items():
            subset = {
                "focus": "Focus",
                "factuality": "Factuality",
                "precise_if": "Precise IF",
                "math": "Math",
            }[domain]
            for k in range(size):
                handle.write(
                    json.dumps(
                        {
                            "id": f"ingest-{k}",
                            "prompt": "answer the question well",
                            "chosen": [f"a GOOD reply {k} " + FILLER],
                            "rejected": [
                                f"a fine reply {k} " + FILLER,
                                f"a weak reply {k}",
                                f"a bad reply {k}",
                            ],
                            "subset": subset,
                        }
                    )
                    + "\n"
                )
    os.environ["FLIP_DATA_DIR"] = str(folder / "data")
    tasks = [f"flip_rb2_{domain}" for domain in DOMAIN_SIZES]
    run_tasks(ContentJudgeLM(), tasks, folder / "raw")
    start = time.perf_counter()
    report = ingest_path(engine, folder / "raw", progress=lambda line: None)
    elapsed = time.perf_counter() - start
    assert len(report.stored) == len(tasks), report.rejected
    return elapsed, sum(DOMAIN_SIZES.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--methods", type=int, default=5, choices=range(1, 6))
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--db", help="SQLAlchemy URL of an empty database (default: temp SQLite)")
    parser.add_argument(
        "--filled",
        action="store_true",
        help="--db was filled by an earlier run of this script: measure again without refilling",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="flip-store-scale-"))
    url = args.db or f"sqlite:///{workdir / 'flip.db'}"
    engine = open_engine(url, create=True)
    methods = list(CALLS_PER_ITEM)[: args.methods]
    rng = random.Random(0)
    item_ids = [item_id for item_id, _ in synthetic_items()]
    if not args.filled:
        start = time.perf_counter()
        rows, item_ids = fill(engine, args.models, methods, rng)
        fill_seconds = time.perf_counter() - start
        print(
            f"{args.models} models x {len(methods)} methods x {len(item_ids)} items x 4 "
            f"candidates: {rows:,} rows in {fill_seconds:.0f} s ({rows / fill_seconds:,.0f} rows/s)"
        )

    def count_runs() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM run")).scalar_one()

    probe_items = [rng.choice(item_ids) for _ in range(args.repeats)]
    probes = iter(probe_items * 2)
    measured = {
        "SELECT count(*) FROM run (baseline)": latencies(count_runs, args.repeats),
        "leaderboard summary (rb2)": latencies(lambda: leaderboard(engine, "rb2"), args.repeats),
        "one item, every run's calls": latencies(
            lambda: item_detail(engine, next(probes)), args.repeats
        ),
    }
    base_p50 = measured["SELECT count(*) FROM run (baseline)"][0]
    print(f"\n{'query':34} {'p50 ms':>9} {'p95 ms':>9} {'p50 / baseline':>15}")
    for name, (p50, p95) in measured.items():
        print(f"{name:34} {p50:9.2f} {p95:9.2f} {p50 / base_p50:15.1f}")

    seconds, items = ingest_rate(engine, workdir / "ingest")
    print(
        f"\ningest of one full FLIP run on RB2-sized data ({items} items, 4 tasks) into the "
        f"filled database: {seconds:.2f} s ({items / seconds:,.0f} items/s; target < 5 s)"
    )
    print(f"database: {url}")


if __name__ == "__main__":
    main()
