"""GRPO training with the FLIP reward through TRL's ``GRPOTrainer`` (``examples/grpo_flip.py``).

:func:`train` loads the frozen scorer, builds the conversational prompt dataset and runs the
trainer; :class:`StepPrinter` prints one compact line per logged step and :func:`summary_line`
the run in one line.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grpo_flip_config import TrainConfig, check_config, load_instructions
from transformers import PrinterCallback, TrainerCallback

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.models import resolve_model
from flip_core.reward import FlipRewardFunction
from flip_core.scorer import FlipScorer

if TYPE_CHECKING:
    from transformers import PreTrainedModel

# What the per-step line shows, under TRL 1.x's log keys: the mean FLIP reward over the step's
# completions, its spread, and the fraction of groups whose completions all scored the same
# (those have zero advantage: they teach the policy nothing).
STEP_KEYS = ("loss", "reward", "reward_std", "frac_reward_zero_std")


@dataclass
class TrainResult:
    """What a run did: its steps, one TRL log dict per logged step, and the trained policy."""

    global_step: int
    history: list[dict[str, float]]
    model: PreTrainedModel
    saved_to: Path | None
    summary: dict[str, float]


def build_dataset(instructions: list[str]) -> Any:
    """A conversational prompt dataset; ``instruction`` is the reward's reference.

    The chat form lets TRL apply the policy's own chat template; the separate column keeps
    the reference to the bare instruction whatever the template wraps around it.
    """
    from datasets import Dataset

    return Dataset.from_dict(
        {
            "prompt": [[{"role": "user", "content": text}] for text in instructions],
            "instruction": instructions,
        }
    )


class StepPrinter(TrainerCallback):
    """One compact line per logged step, in place of the raw dict of some 30 metrics."""

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float], **_: Any) -> None:
        if "train_runtime" in logs:  # the end-of-training summary; main() prints its own
            return
        shown = "  ".join(f"{key}={logs[key]:.4g}" for key in STEP_KEYS if key in logs)
        print(f"step {state.global_step}/{state.max_steps}  {shown}", flush=True)


def train(config: TrainConfig) -> TrainResult:
    """Train the policy with GRPO and the FLIP reward; save it unless ``save_model`` is off."""
    instructions = load_instructions(config.prompts)
    check_config(config, len(instructions))
    import torch

    try:
        from trl import GRPOConfig, GRPOTrainer
    except ImportError as error:
        raise FlipConfigError(
            f"GRPO training needs TRL ({error}): pip install 'flip-reward-bench[train]'"
        ) from None
    policy = resolve_model(config.policy)
    if policy.gguf_file:
        raise FlipInputError(
            f"--policy {config.policy}: a .gguf file cannot be trained; give a model folder "
            "or Hub id ('default' is the bundled model, already converted)"
        )

    if config.device == "cuda" and not torch.cuda.is_available():
        raise FlipConfigError("--device cuda, but torch sees no CUDA device here")
    on_cpu = config.device == "cpu" or not torch.cuda.is_available()
    # The scorer is loaded before the trainer's config exists: under DeepSpeed ZeRO-3 every
    # model loaded after it would be partitioned across processes. The scorer only generates,
    # so each process holds a whole copy on its own device (cuda:<local rank> under
    # accelerate launch) and scores its own completions there.
    scorer = FlipScorer(
        config.scorer,
        profile=config.scorer_profile,
        max_new_tokens=config.scorer_max_new_tokens,
        device="cpu" if on_cpu else f"cuda:{os.environ.get('LOCAL_RANK', '0')}",
        guard=config.guard,
    )
    args = GRPOConfig(
        output_dir=str(config.output_dir),
        max_steps=config.max_steps,
        per_device_train_batch_size=config.num_generations * config.prompts_per_step,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        learning_rate=config.learning_rate,
        beta=config.beta,
        use_vllm=config.use_vllm,
        vllm_mode=config.vllm_mode,
        use_cpu=on_cpu,
        bf16=not on_cpu,  # CPU trains in fp32: bf16 autocast there is slow and lossy
        # Checkpointing trades compute for GPU memory; on CPU memory is plentiful, time is not.
        activation_checkpointing=not on_cpu,
        logging_steps=1,
        save_strategy="no",  # the final policy is saved below, once
        report_to="none",
        disable_tqdm=True,  # StepPrinter's lines instead of a progress bar and raw dicts
        seed=config.seed,
    )
    trainer = GRPOTrainer(
        model=policy.path,
        reward_funcs=[FlipRewardFunction(scorer, scale=config.scale)],
        args=args,
        train_dataset=build_dataset(instructions),
        callbacks=[StepPrinter()],
    )
    trainer.remove_callback(PrinterCallback)
    output = trainer.train()
    saved_to = None
    if config.save_model:
        trainer.save_model(str(config.output_dir))
        saved_to = config.output_dir
    history = [log for log in trainer.state.log_history if "train_runtime" not in log]
    return TrainResult(
        global_step=trainer.state.global_step,
        history=history,
        model=trainer.model,
        saved_to=saved_to,
        summary=dict(output.metrics),
    )


def summary_line(result: TrainResult, scale: float) -> str:
    """The run in one line: steps, time, the FLIP reward at the first and last step, the save."""
    rewards = [log["reward"] for log in result.history if "reward" in log]
    first, last = (rewards[0], rewards[-1]) if rewards else (math.nan, math.nan)
    seconds = result.summary.get("train_runtime", math.nan)
    saved = f"policy saved to {result.saved_to}" if result.saved_to else "policy not saved"
    return (
        f"done: {result.global_step} steps in {seconds:.0f}s; mean FLIP reward "
        f"{first:.3f} at the first step, {last:.3f} at the last (of {scale:g}); {saved}"
    )
