"""examples/grpo_flip.py: GRPO with the FLIP reward, end to end on CPU, and its input errors.

The end-to-end test trains the bundled SmolLM2-135M-Instruct (policy) against a second copy of
it (scorer) for two steps with tiny completions and a capped scorer, and checks the three
things that make GRPO training real rather than a no-op: the FLIP reward was computed and
varied within a group (else every advantage is zero), the loss was finite, and an optimiser
step changed the policy's weights.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.reward import FlipRewardFunction

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE = EXAMPLES / "grpo_flip.py"

_TRL_MISSING = importlib.util.find_spec("trl") is None

# Short, open instructions: a 135M policy sampled at temperature 1 answers each in visibly
# different ways, so the scorer's reconstructions, and hence the rewards, differ.
PROMPTS = ["Name one animal that lives in the sea.", "Write one short sentence about rain."]


def load_example() -> ModuleType:
    """Import the example script as a module (examples/ is not a package). Its sibling modules
    (``grpo_flip_config`` and the others) are found the way ``python examples/grpo_flip.py``
    finds them: with examples/ on the import path."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("grpo_flip", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module's names through here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def grpo_flip() -> ModuleType:
    return load_example()


@pytest.fixture(scope="module")
def grpo_flip_config(grpo_flip: ModuleType) -> ModuleType:
    """The example's settings and inputs module, a sibling of the script."""
    return importlib.import_module("grpo_flip_config")


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread for this test, then restore the count.

    On a shared two-core machine, torch's two threads wait on each other whenever the other
    load deschedules one: measured here, the same two steps took 25 s on one thread and 205 s
    on two. One thread costs little when the machine is idle and keeps the time predictable.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.model
@pytest.mark.skipif(
    _TRL_MISSING and os.environ.get("CI") != "true",
    reason="needs trl (pip install -e '.[train]'); under CI=true this fails instead",
)
def test_grpo_steps_with_the_flip_reward_change_the_policy(
    grpo_flip, tmp_path, monkeypatch, one_torch_thread
):
    import torch
    from transformers import AutoModelForCausalLM

    from flip_core.models import resolve_model

    prompts_file = tmp_path / "prompts.jsonl"
    prompts_file.write_text("".join(json.dumps({"instruction": p}) + "\n" for p in PROMPTS))

    calls: list[list[float]] = []
    score = FlipRewardFunction.__call__

    def recording(self: FlipRewardFunction, *args: Any, **kwargs: Any) -> list[float]:
        rewards = score(self, *args, **kwargs)
        calls.append(rewards)
        return rewards

    monkeypatch.setattr(FlipRewardFunction, "__call__", recording)
    config = grpo_flip.TrainConfig(
        prompts=prompts_file,
        device="cpu",
        max_steps=2,
        num_generations=4,
        max_completion_length=16,
        scorer_profile="cpu",
        scorer_max_new_tokens=32,
        learning_rate=1e-5,
        output_dir=tmp_path / "run",
        save_model=False,
    )
    result = grpo_flip.train(config)

    # The reward: called once per step on whole groups, finite, within [0, scale], and not
    # constant within at least one group (a non-zero advantage to learn from).
    assert len(calls) == result.global_step == 2
    groups = [call[i : i + 4] for call in calls for i in range(0, len(call), 4)]
    assert all(len(group) == 4 for group in groups)
    assert all(math.isfinite(r) and 0.0 <= r <= config.scale for g in groups for r in g)
    assert any(len(set(group)) > 1 for group in groups), groups
    logged = [log for log in result.history if "reward" in log]
    assert len(logged) == 2
    assert any(log["frac_reward_zero_std"] < 1.0 for log in logged)

    # The loss was finite at every step.
    assert all(math.isfinite(log["loss"]) for log in logged)

    # An optimiser step moved the weights away from the checkpoint training started from.
    start = AutoModelForCausalLM.from_pretrained(resolve_model(config.policy).path)
    trained = dict(result.model.named_parameters())
    changed = [
        name
        for name, before in start.named_parameters()
        if not torch.equal(before.detach(), trained[name].detach().cpu())
    ]
    assert changed, "no parameter changed after two GRPO steps"
    assert result.saved_to is None and not (tmp_path / "run" / "model.safetensors").exists()
    assert "done: 2 steps" in grpo_flip.summary_line(result, config.scale)


@pytest.mark.model
def test_the_guarded_reward_never_lets_an_echoed_prompt_win_a_group(grpo_flip, one_torch_thread):
    """The GRPO check of the restatement guard (issue 15): groups of two from the policy's own
    sampled completions and their echoed twins. The unguarded reward pays for echoing in some
    group (else this check would prove nothing); the guarded one, with the library's default
    policy, ranks the plain completion strictly higher in each such group and lets the echo win
    none."""
    from flip_core.methods import GUARD_POLICY

    # the command line the example's docstring documents
    command = "--check-echo --device cpu --max-steps 2 --prompts-per-step 2"
    command += " --max-completion-length 24 --scorer-profile cpu --scorer-max-new-tokens 48"
    config = grpo_flip.parse_args(command.split())
    assert config.check_echo and config.guard is None
    checks = grpo_flip.echo_check(config)
    unguarded, guarded = checks["unguarded"], checks[GUARD_POLICY]
    assert len(unguarded) == len(guarded) == 4
    gamed = [k for k, group in enumerate(unguarded) if group.echo_wins]
    assert gamed, [(g.reward, g.echoed_reward) for g in unguarded]
    assert all(guarded[k].plain_wins for k in gamed)
    assert not any(group.echo_wins for group in guarded)
    report = grpo_flip.echo_report(checks)
    assert f"unguarded: the echo ranks higher in {len(gamed)} of 4 groups" in report


# --- input errors: one line each, before any model loads -------------------------------------


def test_missing_prompts_file_is_a_one_line_error(grpo_flip, tmp_path, capsys):
    missing = tmp_path / "nope.jsonl"
    assert grpo_flip.main(["--prompts", str(missing)]) == 2
    error = capsys.readouterr().err
    assert (
        error
        == f"grpo_flip: error: cannot read prompts file {missing}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no prompts"),
        ("\n  \n", "holds no prompts"),
        ('{"instruction": "ok"}\nnot json\n', ":2: not valid JSON"),
        ('{"text": "no instruction key"}\n', ":1: expected a JSON object with a non-empty string"),
        ('["a list"]\n', ":1: expected a JSON object"),
        ('{"instruction": "  "}\n', ":1: expected a JSON object with a non-empty string"),
    ],
)
def test_bad_prompts_files_are_rejected(grpo_flip_config, tmp_path, content, message):
    path = tmp_path / "prompts.jsonl"
    path.write_text(content)
    with pytest.raises(FlipInputError, match=message) as raised:
        grpo_flip_config.load_instructions(path)
    assert "\n" not in str(raised.value)


def test_prompts_file_takes_instruction_or_prompt_and_default_is_the_demo_set(
    grpo_flip_config, tmp_path
):
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"instruction": "Say hi.", "id": 1}\n\n{"prompt": " Count to 3. "}\n')
    assert grpo_flip_config.load_instructions(path) == ["Say hi.", "Count to 3."]
    demo = grpo_flip_config.load_instructions(None)
    assert len(demo) == 24 and demo[0] == "Write a haiku about a lighthouse at night."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_generations": 1}, "--num-generations must be >= 2"),
        ({"max_steps": 0}, "--max-steps must be >= 1"),
        ({"prompts_per_step": 25}, "--prompts-per-step 25 exceeds the 24 prompts"),
        ({"learning_rate": 0.0}, "must be > 0"),
    ],
)
def test_impossible_settings_are_rejected_before_loading(grpo_flip, options, message):
    with pytest.raises(FlipConfigError, match=message):
        grpo_flip.train(grpo_flip.TrainConfig(**options))
