"""Task variants end to end under a fake model: sampled FLIP (``_s5``) and the probes
(``_hack_*``), from the lm-eval run through ingest into the store."""

from __future__ import annotations

import json

import pytest
from harness_fakes import ContentJudgeLM, write_crafted_data
from sqlalchemy import select

from flip_cli.harness_run import run_tasks
from flip_core.errors import FlipConfigError
from flip_core.probes import APPENDED_INSTRUCTION
from flip_store.database import open_engine, session_scope
from flip_store.ingest import ingest_path
from flip_store.schema import CandidateRow, MetricRow, RunRow


class SamplingLM(ContentJudgeLM):
    """FLIP answers that change from one sample to the next: the gold (GOOD) candidate's
    reconstruction is right on every other sample only, the rejected one's never, so the
    rewards differ per sample and the k-sample metrics can be told apart."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def answer(self, prompt: str) -> str:
        self.calls += 1
        right = "GOOD" in prompt and self.calls % 2 == 0
        guess = "answer the question well" if right else f"unrelated words {'x' * self.calls}"
        return json.dumps({"REASONING": "r", "INFERRED INSTRUCTION": guess})


@pytest.fixture
def crafted_data(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(write_crafted_data(tmp_path / "data")))


def ingested(folder, tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, folder, progress=lambda line: None)
    return engine, report


def metrics_of(engine, task: str) -> dict[str, float]:
    with session_scope(engine) as session:
        run_id = session.scalar(select(RunRow.id).where(RunRow.task == task))
        rows = session.execute(
            select(MetricRow.name, MetricRow.value).where(MetricRow.run_id == run_id)
        )
        return dict(rows.all())


def test_sampled_flip_keeps_five_samples_and_derives_fewer(
    crafted_data, tmp_path, capsys, word_tokenizer
):
    lm = SamplingLM()
    task = "flip_llmbar_neighbor_s5"
    run_tasks(lm, [task], tmp_path / "out", profile="cpu")
    assert len(lm.requests) == 2 * 2 * 5  # 2 pairs x 2 candidates x 5 samples
    assert all(k["do_sample"] and k["temperature"] == 0.7 for _, k in lm.requests)
    assert all(k["max_gen_toks"] == 128 for _, k in lm.requests)  # the cpu profile's limit
    (samples_file,) = (tmp_path / "out").rglob(f"samples_{task}_*.jsonl")
    logged = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert [len(call) for call in logged[0]["resps"]] == [5, 5]
    assert logged[0]["doc"]["variant"] == "s5"

    from flip_cli.commands.summarize import print_summary

    print_summary(tmp_path / "out")
    summary = capsys.readouterr().out
    assert "flip_llmbar_s5" in summary  # pooled apart from clean FLIP runs
    sampled_row = summary.split("sampled FLIP")[1].splitlines()[2]
    assert sampled_row.startswith(task) and sampled_row.count("[") == 4

    engine, report = ingested(tmp_path / "out", tmp_path)
    assert not report.rejected, report.rejected
    metrics = metrics_of(engine, task)
    # Gold right on 2 or 3 of 5 samples, rejected never: the mean of 5 and the max of 3 or 5
    # rank gold first; the first sample alone depends on where the counter stood.
    assert metrics["acc"] == 1.0 and metrics["acc_max_k5"] == 1.0
    assert {"acc_k1", "acc_k3", "acc_max_k3"} <= set(metrics)
    assert metrics["acc_k1"] < 1.0
    assert 0 < metrics["generated_tokens_per_item_k1"] < metrics["generated_tokens_per_item_k3"]
    assert metrics["generated_tokens_per_item_k3"] < metrics["generated_tokens_per_item"]
    with session_scope(engine) as session:
        variant = session.scalar(select(RunRow.variant).where(RunRow.task == task))
    assert variant == "s5"

    # The leaderboard keeps sampled runs apart: shown when asked for, beside the rule rows.
    from leaderboard.table_view import TableFilters
    from leaderboard.views import LeaderboardViews

    views = LeaderboardViews(engine)
    sampled = views.table("llmbar", TableFilters(variant="s5")).frame
    assert list(sampled[sampled["Kind"] == "model"]["Method"]) == ["FLIP"]
    assert (sampled["Kind"] == "rule").any()
    clean = views.table("llmbar", TableFilters()).frame
    assert not (clean["Kind"] == "model").any()


def test_sampled_variant_is_refused_for_a_judge(crafted_data):
    from harness_tasks.best_of_n_task import BestOfNTask

    config = {"task": "x", "metadata": {"method": "judge_pointwise", "variant": "s5"}}
    with pytest.raises(FlipConfigError, match="samples FLIP reconstructions only"):
        BestOfNTask(config=config)


def test_probe_task_edits_rejected_candidates_and_stores_clean_items(crafted_data, tmp_path):
    task = "judge_pointwise_llmbar_neighbor_hack_append"
    run_tasks(ContentJudgeLM(), [task], tmp_path / "out")
    (samples_file,) = (tmp_path / "out").rglob(f"samples_{task}_*.jsonl")
    docs = [json.loads(line)["doc"] for line in samples_file.read_text().splitlines()]
    for doc in docs:
        gold = doc["candidates"][doc["gold_index"]]
        (rejected,) = [c for i, c in enumerate(doc["candidates"]) if i != doc["gold_index"]]
        assert APPENDED_INSTRUCTION not in gold and rejected.endswith(APPENDED_INSTRUCTION)
        assert doc["variant"] == "hack_append" and doc["item_id"].startswith("llmbar:neighbor:")

    engine, report = ingested(tmp_path / "out", tmp_path)
    assert not report.rejected, report.rejected
    with session_scope(engine) as session:
        assert session.scalar(select(RunRow.variant)) == "hack_append"
        texts = session.scalars(select(CandidateRow.text)).all()
    assert texts and not any(APPENDED_INSTRUCTION in text for text in texts)


def test_probe_run_with_unprobed_candidates_is_rejected(crafted_data, tmp_path):
    """A run that says hack_pad but shows other texts is refused at ingest."""
    task = "flip_llmbar_gptout_hack_pad"
    run_tasks(ContentJudgeLM(), [task], tmp_path / "out")
    (samples_file,) = (tmp_path / "out").rglob(f"samples_{task}_*.jsonl")
    records = [json.loads(line) for line in samples_file.read_text().splitlines()]
    doc = records[0]["doc"]
    rejected = 1 - doc["gold_index"]
    doc["candidates"][rejected] = doc["candidates"][rejected][:5]
    samples_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    _, report = ingested(tmp_path / "out", tmp_path)
    assert len(report.rejected) == 1 and "differs from the benchmark data" in report.rejected[0]


@pytest.mark.parametrize(
    ("clean", "probed", "model_requests"),
    [
        # 2 pairs: only the rejected candidate's call is new (1 per pair)
        ("flip_llmbar_neighbor", "flip_llmbar_neighbor_hack_restate", 2),
        ("judge_pointwise_llmbar_neighbor", "judge_pointwise_llmbar_neighbor_hack_pad", 2),
        # the listwise judge shows both candidates in one call: nothing to reuse
        ("judge_listwise_llmbar_neighbor", "judge_listwise_llmbar_neighbor_hack_pad", 2),
    ],
)
def test_probe_run_reuses_the_clean_answers_of_unchanged_candidates(
    crafted_data, tmp_path, clean, probed, model_requests
):
    from flip_cli.main import main

    run_tasks(ContentJudgeLM(), [clean], tmp_path / "clean")
    cache = str(tmp_path / "cache" / "probe")
    assert main(["cache", "seed", str(tmp_path / "clean"), "--cache", cache]) == 0
    lm = ContentJudgeLM()
    run_tasks(lm, [probed], tmp_path / "probe", use_cache=cache)
    assert len(lm.requests) == model_requests
    assert all(
        "GOOD" not in prompt or clean.startswith("judge_listwise") for prompt, _ in lm.requests
    )

    def first_answers(folder, task):
        (path,) = folder.rglob(f"samples_{task}_*.jsonl")
        return {r["doc"]["item_id"]: r for r in map(json.loads, path.read_text().splitlines())}

    before, after = (
        first_answers(tmp_path / "clean", clean),
        first_answers(tmp_path / "probe", probed),
    )
    for item_id, record in after.items():
        gold = record["doc"]["gold_index"]
        if not clean.startswith("judge_listwise"):  # the gold call's answer is the clean one
            assert record["resps"][gold] == before[item_id]["resps"][gold]


def test_seeding_refuses_a_malformed_samples_file(tmp_path, capsys):
    from flip_cli.main import main

    bad = tmp_path / "samples_flip_demo_2026-01-01T00-00-00.jsonl"
    bad.write_text('{"doc": {"method": "flip"}}\n')
    assert main(["cache", "seed", str(bad), "--cache", str(tmp_path / "c")]) == 2
    assert "samples_flip_demo" in capsys.readouterr().err
    assert not (tmp_path / "c_rank0.db").exists()
