"""Reported reference rows: numbers quoted from elsewhere, shown beside ours, never recomputed.

- The FLIP paper's averages on RewardBench 2 (best-of-4 strict accuracy, mean over its 13 small
  models, 0.6B-8B; docs/method.md).
- LLMBar's own evaluators (Zeng et al., ICLR 2024): large LLM judges (GPT-4, PaLM2, ChatGPT,
  LLaMA-2-70B-Chat, Falcon-180B-Chat) judging each LLMBar pair, with their plain "Vanilla"
  prompt and with their best prompting strategy (the one with the highest mean over the four
  Adversarial subsets). Their pair accuracy is the mean over both presentation orders
  (``correct_average``), which the statistics files of the LLMBar repository hold; the table
  is generated from those files (``python -m flip_core.catalog.references --write`` with
  ``FLIP_DATA_DIR`` holding ``llmbar/evaluators/``) and committed beside this module, so it
  is available without the data.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flip_core.catalog.benchmarks import LLMBAR, RB2

LLMBAR_REPOSITORY = "princeton-nlp/LLMBar@900616bff90b6c6c8e1681f7d079250637c55992"
LLMBAR_TABLE = "llmbar_evaluators.json"
LLMBAR_MODELS = {
    "GPT-4": "GPT-4",
    "PaLM2": "PaLM2",
    "ChatGPT": "ChatGPT",
    "LLaMA2": "LLaMA2 (LLaMA-2-70B-Chat)",
    "Falcon": "Falcon (Falcon-180B-Chat)",
}
"""Repository model names -> labels (the paper's descriptions, no guessed API versions)."""
LLMBAR_SUBSETS = {d.name: d.label for d in LLMBAR.domains if d.averaged}
"""Domain -> the repository's folder name (the catalogue's labels are those names)."""


@dataclass(frozen=True)
class ReportedRow:
    """One quoted row: accuracy per domain (fractions), where it comes from, what it measures."""

    key: str
    label: str
    method: str
    benchmark: str
    domains: dict[str, float]
    source: str
    note: str


PAPER_SOURCE = "Wang et al., Small Reward Models via Backward Inference, arXiv 2602.13551"
PAPER_NOTE = "best-of-4 strict accuracy, mean over the paper's 13 small models (0.6B-8B)"
_PAPER_RB2 = {
    "judge_pointwise": (19.5, 16.4, 12.2, 21.2),
    "judge_listwise": (27.3, 19.5, 18.0, 19.1),
    "judge_pairwise": (24.2, 20.0, 17.2, 17.5),
    "flip": (59.6, 27.9, 23.3, 27.2),
}
PAPER_RB2_AVERAGES = {
    "judge_pointwise": 17.3,
    "judge_listwise": 21.0,
    "judge_pairwise": 19.7,
    "flip": 34.5,
}
"""The paper's own averages (percent), which its per-domain numbers round to."""


def paper_rows() -> list[ReportedRow]:
    """The paper's RewardBench 2 averages per method."""
    domains = RB2.averaged_domains  # the order of the paper's table
    return [
        ReportedRow(
            key=f"paper:{method}",
            label="reported in the paper (mean of 13 small models)",
            method=method,
            benchmark="rb2",
            domains={d: value / 100 for d, value in zip(domains, values, strict=True)},
            source=PAPER_SOURCE,
            note=PAPER_NOTE,
        )
        for method, values in _PAPER_RB2.items()
    ]


def llmbar_rows() -> list[ReportedRow]:
    """LLMBar's evaluators, Vanilla and best strategy, from the committed table."""
    text = resources.files("flip_core.catalog").joinpath(LLMBAR_TABLE).read_text("utf-8")
    table = json.loads(text)
    rows = []
    for model, strategies in table["models"].items():
        vanilla = strategies["Vanilla"]
        best_name = max(strategies, key=lambda name: _mean(strategies[name]))
        chosen = [("Vanilla", vanilla)]
        if best_name != "Vanilla":
            chosen.append((best_name, strategies[best_name]))
        for strategy, domains in chosen:
            kind = "Vanilla" if strategy == "Vanilla" else f"best strategy: {strategy}"
            rows.append(
                ReportedRow(
                    key=f"llmbar:{model}:{strategy}",
                    label=f"{LLMBAR_MODELS[model]} judge, {kind} (LLMBar paper)",
                    method="judge_pairwise",
                    benchmark="llmbar",
                    domains={d: v / 100 for d, v in domains.items()},
                    source=f"Zeng et al., ICLR 2024 ({table['source']})",
                    note="pair accuracy averaged over both presentation orders",
                )
            )
    return rows


def reported_rows(benchmark: str) -> list[ReportedRow]:
    """Every reported row of a benchmark."""
    return [row for row in paper_rows() + llmbar_rows() if row.benchmark == benchmark]


def _mean(domains: dict[str, float]) -> float:
    return sum(domains[d] for d in LLMBAR_SUBSETS) / len(LLMBAR_SUBSETS)


# --- generating the committed table from the LLMBar repository's statistics files -------------


def _percent(text: str) -> float:
    """``"78.73134328358209%"`` -> 78.73134328358209."""
    return float(str(text).strip().rstrip("%"))


def build_llmbar_table(evaluators: Path) -> dict:
    """The table from ``<evaluators>/Adversarial/<Subset>/<Model>/<Strategy>/statistics.json``:
    per model and strategy (those with all four subsets), ``correct_average`` in percent."""
    models: dict[str, dict[str, dict[str, float]]] = {}
    for model in LLMBAR_MODELS:
        strategies: dict[str, dict[str, float]] = {}
        for strategy_dir in sorted((evaluators / "Adversarial" / "Neighbor" / model).iterdir()):
            values = {}
            for domain, subset in LLMBAR_SUBSETS.items():
                path = evaluators / "Adversarial" / subset / model / strategy_dir.name
                statistics = path / "statistics.json"
                if statistics.is_file():
                    values[domain] = _percent(json.loads(statistics.read_text())["correct_average"])
            if len(values) == len(LLMBAR_SUBSETS):
                strategies[strategy_dir.name] = values
        models[model] = strategies
    return {"source": LLMBAR_REPOSITORY, "field": "correct_average", "models": models}


def main(argv: list[str] | None = None) -> int:
    from flip_core.benchmarks import data_dir

    parser = argparse.ArgumentParser(description="(re)generate the LLMBar evaluators table")
    parser.add_argument("--write", action="store_true", help="write it beside this module")
    args = parser.parse_args(argv)
    root = data_dir()
    if root is None or not (root / "llmbar" / "evaluators").is_dir():
        print("set FLIP_DATA_DIR to a folder holding llmbar/evaluators/", file=sys.stderr)
        return 2
    table = build_llmbar_table(root / "llmbar" / "evaluators")
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    target = Path(__file__).with_name(LLMBAR_TABLE)
    if args.write:
        target.write_text(text)
        print(f"wrote {target}")
        return 0
    same = target.is_file() and target.read_text() == text
    print("up to date" if same else f"stale: {target}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
