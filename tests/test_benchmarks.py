"""Benchmark loaders: local copies (real LLMBar, crafted RewardBench 2 files) and clear errors."""

from __future__ import annotations

import json

import pytest

from flip_core.benchmarks import load_benchmark
from flip_core.catalog.benchmarks import RB2
from flip_core.errors import FlipConfigError, FlipInputError

LLMBAR_SIZES = {"neighbor": 134, "gptinst": 92, "gptout": 47, "manual": 46}


def rb2_row(row_id: str, subset: str) -> dict:
    return {
        "id": row_id,
        "prompt": f"prompt {row_id}",
        "chosen": [f"good {row_id}"],
        "rejected": [f"bad {row_id} {k}" for k in range(3)],
        "num_correct": 1,
        "num_incorrect": 3,
        "total_completions": 4,
        "models": ["m"],
        "subset": subset,
        "additional_metadata": {"category": "test"},
    }


def test_real_llmbar_adversarial_subsets(real_data_dir):
    for domain, size in LLMBAR_SIZES.items():
        loaded = load_benchmark("llmbar", domain)
        assert len(loaded.items) == size
        assert loaded.revision.startswith("sha256:") and loaded.source.startswith("local:")
        first = loaded.items[0]
        assert first.id == f"llmbar:{domain}:0"
        assert len(first.candidates) == 2 and first.gold_index in (0, 1)
    assert sum(len(load_benchmark("llmbar", d).items) for d in LLMBAR_SIZES) == 319


def test_local_rewardbench2_jsonl_and_parquet(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "reward-bench-2"
    folder.mkdir()
    (folder / "part1.jsonl").write_text(
        "\n".join(json.dumps(rb2_row(i, s)) for i, s in [("1", "Focus"), ("2", "Math")]) + "\n"
    )
    pq.write_table(
        pa.Table.from_pylist([rb2_row("3", "Focus"), rb2_row("4", "Ties")]),
        folder / "part2.parquet",
    )
    monkeypatch.setenv("FLIP_DATA_DIR", str(tmp_path))
    focus = load_benchmark("rb2", "focus")
    assert [item.id for item in focus.items] == ["rb2:focus:1", "rb2:focus:3"]
    assert focus.items[0].candidates[0] == "good 1" and focus.items[0].gold_index == 0
    assert len(focus.items[0].candidates) == 4
    before = focus.revision
    (folder / "part1.jsonl").write_text(json.dumps(rb2_row("9", "Focus")) + "\n")
    assert load_benchmark("rb2", "focus").revision != before  # content-addressed revision


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "reward-bench-2 is missing"),
        ({"reward-bench-2/x.txt": "hi"}, "holds no .parquet or .jsonl files"),
        ({"reward-bench-2/a.jsonl": "{broken"}, "cannot read .*a.jsonl"),
        ({"reward-bench-2/a.jsonl": json.dumps({"id": "1", "prompt": "p"})}, "lacks the columns"),
        ({"reward-bench-2/a.jsonl": json.dumps(rb2_row("1", "Math"))}, "holds no rb2 items"),
        ({"llmbar/Adversarial_Neighbor.json": "[]"}, "holds no llmbar items"),
        ({"llmbar/Adversarial_Neighbor.json": '[{"input": "x"}]'}, "is not an LLMBar pair"),
        (
            {
                "llmbar/Adversarial_Neighbor.json": json.dumps(
                    [{"input": "x", "output_1": "a", "output_2": "b", "label": 3}]
                )
            },
            "label 3, expected 1 or 2",
        ),
    ],
)
def test_broken_local_data_fails_with_one_line(tmp_path, monkeypatch, files, message):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setenv("FLIP_DATA_DIR", str(tmp_path))
    benchmark, domain = ("llmbar", "neighbor") if "llmbar" in str(files) else ("rb2", "focus")
    with pytest.raises(FlipInputError, match=message) as error:
        load_benchmark(benchmark, domain)
    assert "\n" not in str(error.value)


def test_hub_path_offline_says_what_to_do(monkeypatch):
    monkeypatch.delenv("FLIP_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FlipInputError, match="set FLIP_DATA_DIR"):
        load_benchmark("rb2", "math")


def test_unknown_names_and_the_demo_set():
    with pytest.raises(FlipConfigError, match="unknown benchmark"):
        load_benchmark("mmlu", "all")
    with pytest.raises(FlipConfigError, match="unknown rb2 domain 'safety'"):
        load_benchmark("rb2", "safety")
    demo = load_benchmark("demo", "all")
    assert len(demo.items) == 24 and demo.revision == "bundled"
    assert RB2.domain_names == ("focus", "factuality", "precise_if", "math")
