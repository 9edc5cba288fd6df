"""The settings of an ``examples/grpo_flip.py`` run and the inputs they name.

:class:`TrainConfig` is what the command line parses into; :func:`load_instructions` reads the
training prompts and :func:`check_config` rejects impossible settings, both in one line each and
before any model loads, for training and for ``--check-echo`` alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.items import demo_items


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run; the command-line options map onto it one to one."""

    policy: str = "default"
    scorer: str = "default"
    scorer_profile: str = "default"
    scorer_max_new_tokens: int | None = None
    prompts: Path | None = None
    max_steps: int = 3
    num_generations: int = 4
    prompts_per_step: int = 1
    max_completion_length: int = 64
    temperature: float = 1.0
    learning_rate: float = 1e-6
    beta: float = 0.0
    scale: float = 10.0
    device: str | None = None
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    output_dir: Path = Path("runs/grpo-flip")
    save_model: bool = True
    seed: int = 0
    guard: str | None = None
    check_echo: bool = False


def load_instructions(path: Path | None) -> list[str]:
    """The training instructions: from a JSON Lines file, or the bundled demo set's."""
    if path is None:
        return [item.instruction for item in demo_items()]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise FlipInputError(f"cannot read prompts file {path}: {reason}") from None
    instructions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise FlipInputError(f"{path}:{number}: not valid JSON ({error})") from None
        text = row.get("instruction", row.get("prompt")) if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise FlipInputError(
                f"{path}:{number}: expected a JSON object with a non-empty string "
                "'instruction' (or 'prompt')"
            )
        instructions.append(text.strip())
    if not instructions:
        raise FlipInputError(f"prompts file {path} holds no prompts")
    return instructions


def check_config(config: TrainConfig, num_prompts: int) -> None:
    """Reject impossible settings in one line each, before any model loads."""
    positive = {
        "max_steps": config.max_steps,
        "prompts_per_step": config.prompts_per_step,
        "max_completion_length": config.max_completion_length,
    }
    for name, value in positive.items():
        if value < 1:
            raise FlipConfigError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if config.num_generations < 2:
        raise FlipConfigError(
            "--num-generations must be >= 2 (GRPO compares the completions of a prompt), "
            f"got {config.num_generations}"
        )
    if config.prompts_per_step > num_prompts:
        raise FlipConfigError(
            f"--prompts-per-step {config.prompts_per_step} exceeds the {num_prompts} prompts"
        )
    if not (config.learning_rate > 0 and config.temperature > 0 and config.scale > 0):
        raise FlipConfigError("--learning-rate, --temperature and --scale must be > 0")
