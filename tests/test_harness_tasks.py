"""The lm-eval tasks: every YAML loads, and task logic is right under a fake model."""

from __future__ import annotations

import pytest
from harness_fakes import ContentJudgeLM, write_crafted_data
from lm_eval import simple_evaluate
from lm_eval.tasks import TaskManager
from lm_eval.tasks._yaml_loader import load_yaml

from harness_tasks.catalog import TASK_DIR, group_specs, stale_files, task_specs

METHODS = (
    "flip",
    "judge_pointwise",
    "judge_pairwise",
    "judge_listwise",
    "flipll",
    "flip_guarded",
    "flipll_guarded",
)
CONVENTION_TASKS = [
    f"{method}_{benchmark}_{domain}"
    for method in METHODS
    for benchmark, domains in {
        "rb2": ("focus", "factuality", "precise_if", "math"),
        "llmbar": ("neighbor", "gptinst", "gptout", "manual", "natural"),
    }.items()
    for domain in domains
] + [f"{method}_demo" for method in METHODS]
CONVENTION_GROUPS = [
    f"{method}_{benchmark}" for method in METHODS for benchmark in ("rb2", "llmbar")
]
CONVENTION_GROUPS += ["rb2_all", "llmbar_all", "demo_all"]
PROBE_VARIANTS = ("hack_append", "hack_restate", "hack_pad", "hack_markdown")
VARIANT_TASKS = [f"{task}_s5" for task in CONVENTION_TASKS if task.startswith("flip_")] + [
    f"{task}_{probe}" for task in CONVENTION_TASKS for probe in PROBE_VARIANTS
]
VARIANT_GROUPS = [
    "flip_rb2_s5",
    "flip_llmbar_s5",
    "flip_guarded_rb2_s5",
    "flip_guarded_llmbar_s5",
] + [
    f"{method}_{benchmark}_{probe}"
    for method in METHODS
    for benchmark in ("rb2", "llmbar")
    for probe in PROBE_VARIANTS
]


@pytest.fixture
def crafted_data(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(write_crafted_data(tmp_path / "data")))


@pytest.fixture(scope="module")
def task_manager() -> TaskManager:
    return TaskManager(include_path=[str(TASK_DIR)], include_defaults=False)


def evaluate(task_manager, tasks, lm=None, **options):
    lm = lm or ContentJudgeLM()
    output = simple_evaluate(
        model=lm,
        tasks=tasks,
        task_manager=task_manager,
        apply_chat_template=True,
        log_samples=True,
        **options,
    )
    return lm, output


def test_yaml_files_match_the_catalogue():
    assert stale_files() == []


def test_every_conventions_name_is_registered(task_manager):
    assert {s.name for s in task_specs()} == set(CONVENTION_TASKS + VARIANT_TASKS)
    assert {g.name for g in group_specs()} == set(CONVENTION_GROUPS + VARIANT_GROUPS)
    everything = CONVENTION_TASKS + CONVENTION_GROUPS + VARIANT_TASKS + VARIANT_GROUPS
    missing = set(everything) - set(task_manager.all_tasks)
    assert not missing, f"YAMLs that did not parse or register: {sorted(missing)}"


def test_every_yaml_parses_and_every_task_builds(task_manager, crafted_data):
    """lm-eval skips a broken YAML silently (debug log); this makes it loud."""
    for path in sorted(TASK_DIR.rglob("*.yaml")):
        load_yaml(str(path), resolve_func=True)
    natural = [name for name in CONVENTION_TASKS if name.endswith("_natural")]
    loaded = task_manager.load(["rb2_all", "llmbar_all", "demo_all", *natural])
    assert set(loaded["tasks"]) == set(CONVENTION_TASKS)
    assert set(loaded["groups"]) == set(CONVENTION_GROUPS)
    output_types = {name: task.OUTPUT_TYPE for name, task in loaded["tasks"].items()}
    assert {name for name, kind in output_types.items() if kind == "loglikelihood"} == {
        name for name in CONVENTION_TASKS if name.startswith("flipll_")
    }


@pytest.mark.parametrize(
    ("task", "calls_per_item"),
    [
        ("flip_rb2_focus", 4),
        ("judge_pointwise_rb2_focus", 4),
        ("judge_pairwise_rb2_focus", 12),
        ("judge_listwise_rb2_focus", 1),
        ("judge_pairwise_llmbar_neighbor", 2),
    ],
)
def test_request_counts_and_content_based_picks(task_manager, crafted_data, task, calls_per_item):
    lm, output = evaluate(task_manager, [task])
    items = len(output["samples"][task])
    assert len(lm.requests) == calls_per_item * items
    metrics = output["results"][task]
    assert metrics["acc,none"] == 1.0  # the fake picks GOOD wherever it is shown
    assert metrics["parse_fail_rate,none"] == 0.0
    assert metrics["acc_ci_low,none"] <= metrics["acc,none"] <= metrics["acc_ci_high,none"]


def test_parse_failures_are_counted_and_never_correct(task_manager, crafted_data):
    _, output = evaluate(
        task_manager,
        ["judge_pointwise_llmbar_manual", "judge_listwise_llmbar_manual"],
        lm=ContentJudgeLM(mode="garbage"),
    )
    for task in ("judge_pointwise_llmbar_manual", "judge_listwise_llmbar_manual"):
        metrics = output["results"][task]
        assert metrics["parse_fail_rate,none"] == 1.0
        assert metrics["acc,none"] == 0.0
        assert metrics["acc_tie_aware,none"] == 0.5  # a full tie over two candidates


def test_group_is_the_plain_mean_of_its_domains(task_manager, crafted_data):
    _, output = evaluate(task_manager, ["flip_llmbar"], lm=ContentJudgeLM(mode="garbage"), limit=1)
    results = output["results"]
    domains = [f"flip_llmbar_{d}" for d in ("neighbor", "gptinst", "gptout", "manual")]
    assert set(domains) <= set(results)
    expected = sum(results[d]["acc_tie_aware,none"] for d in domains) / 4
    assert results["flip_llmbar"]["acc_tie_aware,none"] == pytest.approx(expected)
    assert "flip_llmbar_natural" not in results  # not part of the adversarial average


def test_logged_samples_keep_what_the_store_needs(task_manager, crafted_data):
    _, output = evaluate(task_manager, ["judge_listwise_rb2_math", "flip_rb2_math"])
    listwise = output["samples"]["judge_listwise_rb2_math"][0]
    doc = listwise["doc"]
    assert doc["item_id"].startswith("rb2:math:")
    assert doc["shuffle_seed"] == 1234 and sorted(doc["calls_shown"][0]) == [0, 1, 2, 3]
    assert doc["prompt_hash"] and doc["dataset_revision"].startswith("sha256:")
    assert '"BEST_RESPONSE_INDEX"' in listwise["resps"][0][0]
    flip = output["samples"]["flip_rb2_math"][0]
    assert flip["doc"]["calls_shown"] == [[0], [1], [2], [3]]
    assert len(flip["resps"]) == 4 and "INFERRED INSTRUCTION" in flip["resps"][0][0]
    config = output["configs"]["flip_rb2_math"]
    assert config["metadata"]["method"] == "flip" and config["metadata"]["domain"] == "math"
    assert config["generation_kwargs"]["until"][0] == "<|im_end|>"


def test_gold_position_never_changes_the_prompts(task_manager, crafted_data):
    lm, _ = evaluate(task_manager, ["judge_listwise_llmbar_neighbor"])
    prompts = [prompt for prompt, _ in lm.requests]
    assert all("GOOD" in prompt for prompt in prompts)
    assert all("gold" not in prompt.lower() for prompt in prompts)


def test_profile_metadata_sets_the_token_limit(crafted_data):
    manager = TaskManager(
        include_path=[str(TASK_DIR)], include_defaults=False, metadata={"profile": "cpu"}
    )
    lm, output = evaluate(manager, ["flip_demo"], limit=1)
    assert {kwargs["max_gen_toks"] for _, kwargs in lm.requests} == {128}
    assert output["configs"]["flip_demo"]["metadata"]["profile"] == "cpu"
    bad = TaskManager(
        include_path=[str(TASK_DIR)], include_defaults=False, metadata={"profile": "paper"}
    )
    with pytest.raises(Exception, match="_s5 task variants"):
        bad.load(["flip_demo"])
