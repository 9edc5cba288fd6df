"""GRPO training of a policy with a FLIP reward, through TRL's ``GRPOTrainer``.

Why: FLIP needs no reference answer and no rubric, only the instruction, so it can reward
open-ended completions during RL where a verifier does not exist. The paper (Wang et al.,
arXiv 2602.13551) trains a policy with GRPO on WildChat prompts, rewarding each completion with
``10 x F1`` between the real instruction and the instruction a small scorer model infers from
the completion alone; a completion that drifts off task reconstructs to a different instruction
and earns less. This script is that loop at any scale, from the bundled 135M model on a laptop
CPU to a 7B policy on GPUs.

How: each prompt becomes a one-turn chat (``prompt``) plus its bare text (``instruction``, the
reference the reward compares against). ``GRPOTrainer`` samples ``--num-generations``
completions per prompt from the policy, calls :class:`flip_core.FlipRewardFunction` on them,
normalises the rewards within each prompt's group into advantages and takes an optimiser step.
A group whose completions all earn the same reward has zero advantage and teaches nothing, so
the policy samples at temperature 1 by default. The scorer is a separate, frozen model even
when it is the same checkpoint as the policy: a scorer that shared the policy's weights would
move its own goalposts as training went on.

On CPU (the bundled SmolLM2-135M-Instruct as policy and scorer, offline, a few minutes)::

    python examples/grpo_flip.py --device cpu --max-steps 3 --num-generations 4 \\
        --max-completion-length 24 --scorer-profile cpu --scorer-max-new-tokens 48 \\
        --learning-rate 1e-5 --output-dir runs/grpo-flip-cpu

Each logged step prints the loss, the mean FLIP reward (0 to ``--scale``) with its spread, and
the fraction of groups with no reward spread; the last line summarises the run, and the trained
policy is saved in ``--output-dir`` (unless ``--no-save``), ready to pass back as ``--policy``.
GRPO's loss sits near zero by construction (advantages are centred within each group): watch
the reward, not the loss. On a busy two-core machine, ``OMP_NUM_THREADS=1`` can run several
times faster than torch's two threads, which stall whenever one of them is descheduled.

Prompts: by default the 24 instructions of the bundled demo set (``flip_core/data/
demo_rb2.jsonl``; offline). ``--prompts FILE.jsonl`` reads one JSON object per line with the
instruction under ``instruction`` (or ``prompt``, as in RewardBench 2 rows); other keys are
ignored.

Echoing the prompt: FLIP's weak spot as an RL reward. A completion that opens with its own
instruction hands the scorer the answer, so an unguarded FLIP reward pays a policy to echo its
prompt. ``--guard`` trains with the restatement guard (``docs/method.md``: the echoed span is
stripped, penalised or zeroed before scoring), and ``--check-echo`` trains nothing: it samples
one completion per prompt of ``--max-steps`` steps, pairs each with its echoed twin (a GRPO
group of two, in which the higher reward gets the positive advantage) and prints which one the
unguarded and the guarded reward rank higher::

    python examples/grpo_flip.py --check-echo --device cpu --max-steps 2 --prompts-per-step 2 \\
        --max-completion-length 24 --scorer-profile cpu --scorer-max-new-tokens 48

On a GPU with a bigger scorer
-----------------------------
The paper's setup: a Qwen3 scorer (0.6B to 8B) and a 7B instruct policy, the scorer's decoding
profile ``paper`` (temperature 0.7, five reconstructions averaged, 512 new tokens), reward
``10 x F1``. Full fine-tuning of a 7B policy does not fit one GPU; on one 8-GPU node, serve the
policy's generations with vLLM on two GPUs (TRL's ``vllm_mode="server"``; TRL pushes the updated
weights to the server after each step) and train on the other six with DeepSpeed ZeRO-3 (the
config ships inside TRL; ``--num_processes`` is the number of training GPUs)::

    pip install -e ".[train]" "trl[vllm]>=1.16,<1.17" deepspeed   # vLLM in TRL's range
    CUDA_VISIBLE_DEVICES=0,1 trl vllm-serve --model Qwen/Qwen2.5-7B-Instruct \\
        --data-parallel-size 2 &
    ZERO3=$(python -c "import pathlib, trl; \\
        print(pathlib.Path(trl.__file__).parent / 'accelerate_configs' / 'zero3.yaml')")
    CUDA_VISIBLE_DEVICES=2,3,4,5,6,7 accelerate launch --config_file "$ZERO3" \\
        --num_processes 6 examples/grpo_flip.py \\
        --policy Qwen/Qwen2.5-7B-Instruct --scorer Qwen/Qwen3-1.7B --scorer-profile paper \\
        --prompts wildchat_12k.jsonl --num-generations 8 --prompts-per-step 2 \\
        --max-completion-length 1024 --learning-rate 1e-6 --max-steps 1000 \\
        --use-vllm --vllm-mode server --output-dir runs/grpo-flip-qwen2.5-7b

Each training process loads its own copy of the scorer on its own GPU (about 4 GB in bf16 for
Qwen3-1.7B, 16 GB for Qwen3-8B), and scoring runs through transformers there. On a single
GPU, train a smaller policy and let vLLM share the GPU with training (``--vllm-mode
colocate``, TRL's default), e.g.::

    python examples/grpo_flip.py --policy Qwen/Qwen2.5-0.5B-Instruct --scorer Qwen/Qwen3-1.7B \\
        --scorer-profile paper --prompts wildchat_12k.jsonl --num-generations 8 \\
        --max-completion-length 512 --use-vllm --vllm-mode colocate --max-steps 500

``--use-vllm`` needs vLLM in the version range of ``trl[vllm]`` (TRL 1.16: vLLM 0.22 to
0.31). Without it the policy generates through transformers, which works everywhere but is
much slower.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import PrinterCallback, TrainerCallback

from flip_core.backends.hf import TransformersBackend
from flip_core.errors import FlipConfigError, FlipError, FlipInputError
from flip_core.items import demo_items
from flip_core.methods import GUARD_POLICY
from flip_core.models import resolve_model
from flip_core.profiles import PROFILES, DecodingProfile
from flip_core.restatement import POLICIES
from flip_core.reward import EchoCheck, FlipRewardFunction, check_echo
from flip_core.scorer import FlipScorer

if TYPE_CHECKING:
    from transformers import PreTrainedModel

# What the per-step line shows, under TRL 1.x's log keys: the mean FLIP reward over the step's
# completions, its spread, and the fraction of groups whose completions all scored the same
# (those have zero advantage: they teach the policy nothing).
STEP_KEYS = ("loss", "reward", "reward_std", "frac_reward_zero_std")


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


@dataclass
class TrainResult:
    """What a run did: its steps, one TRL log dict per logged step, and the trained policy."""

    global_step: int
    history: list[dict[str, float]]
    model: PreTrainedModel
    saved_to: Path | None
    summary: dict[str, float]


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


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        description="GRPO training of a policy with a FLIP reward (TRL's GRPOTrainer).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    model = parser.add_argument_group("models")
    model.add_argument(
        "--policy",
        default=defaults.policy,
        help="model to train: 'default' (bundled SmolLM2-135M-Instruct), a folder or a Hub id",
    )
    model.add_argument(
        "--scorer",
        default=defaults.scorer,
        help="FLIP scorer: 'default' (bundled SmolLM2-135M-Instruct), a folder or a Hub id",
    )
    model.add_argument(
        "--scorer-profile",
        default=defaults.scorer_profile,
        choices=sorted(PROFILES),
        help="scorer decoding profile (paper: temperature 0.7, 5 samples, 512 tokens)",
    )
    model.add_argument(
        "--scorer-max-new-tokens", type=int, help="cap on the scorer's tokens per reconstruction"
    )
    model.add_argument(
        "--guard",
        choices=POLICIES,
        help="restatement guard of the reward (docs/method.md); default: none, as in the paper",
    )
    model.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        help="where the policy trains and the scorer runs (default: cuda when available)",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--prompts",
        type=Path,
        help="JSON Lines file, one {'instruction': ...} per line (default: the bundled demo set)",
    )
    run = parser.add_argument_group("training")
    run.add_argument("--max-steps", type=int, default=defaults.max_steps)
    run.add_argument(
        "--num-generations",
        type=int,
        default=defaults.num_generations,
        help="completions sampled per prompt (one GRPO group)",
    )
    run.add_argument("--prompts-per-step", type=int, default=defaults.prompts_per_step)
    run.add_argument("--max-completion-length", type=int, default=defaults.max_completion_length)
    run.add_argument("--temperature", type=float, default=defaults.temperature)
    run.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    run.add_argument("--beta", type=float, default=defaults.beta, help="KL coefficient")
    run.add_argument(
        "--scale", type=float, default=defaults.scale, help="reward = scale x F1 (paper: 10)"
    )
    run.add_argument("--seed", type=int, default=defaults.seed)
    run.add_argument(
        "--use-vllm", action="store_true", help="generate the policy's completions with vLLM"
    )
    run.add_argument("--vllm-mode", choices=("colocate", "server"), default=defaults.vllm_mode)
    run.add_argument(
        "--check-echo",
        action="store_true",
        help="train nothing: pair each prompt's sampled completion with its echoed twin (the "
        "completion opening with its prompt) and print which one each reward, unguarded and "
        "guarded, ranks higher",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--output-dir", type=Path, default=defaults.output_dir)
    output.add_argument(
        "--no-save", dest="save_model", action="store_false", help="do not save the trained policy"
    )
    namespace = parser.parse_args(argv)
    return TrainConfig(**vars(namespace))


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


def echo_check(config: TrainConfig) -> dict[str, list[EchoCheck]]:
    """The groups of ``--max-steps`` steps (``--prompts-per-step`` prompts each), each pairing
    one completion the policy samples with its echoed twin, scored by the unguarded reward and
    by the guarded one (``--guard``, else the library's default policy). A reward a policy
    cannot game by echoing its prompt ranks the plain completion higher in every group."""
    instructions = load_instructions(config.prompts)
    check_config(config, len(instructions))
    instructions = (instructions * config.max_steps)[: config.max_steps * config.prompts_per_step]
    policy = TransformersBackend(resolve_model(config.policy).path, device=config.device)
    sampling = DecodingProfile(
        "policy",
        do_sample=True,
        temperature=config.temperature,
        num_samples=1,
        max_new_tokens=config.max_completion_length,
        seed=config.seed,
    )
    conversations = [[{"role": "user", "content": text}] for text in instructions]
    completions = [group[0].text for group in policy.generate(conversations, sampling)]
    checks = {}
    for guard in (None, config.guard or GUARD_POLICY):
        scorer = FlipScorer(
            config.scorer,
            profile=config.scorer_profile,
            max_new_tokens=config.scorer_max_new_tokens,
            device=config.device,
            guard=guard,
        )
        reward = FlipRewardFunction(scorer, scale=config.scale)
        checks[guard or "unguarded"] = check_echo(reward, instructions, completions)
    return checks


def echo_report(checks: dict[str, list[EchoCheck]]) -> str:
    lines = []
    for name, groups in checks.items():
        echo = sum(group.echo_wins for group in groups)
        plain = sum(group.plain_wins for group in groups)
        lines.append(
            f"{name}: the echo ranks higher in {echo} of {len(groups)} groups, the plain "
            f"completion in {plain} (rewards plain/echo: "
            + ", ".join(f"{g.reward:.2f}/{g.echoed_reward:.2f}" for g in groups)
            + ")"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        config = parse_args(argv)
        if config.check_echo:
            print(echo_report(echo_check(config)))
            return 0
        result = train(config)
    except FlipError as error:
        print(f"grpo_flip: error: {error}", file=sys.stderr)
        return 2
    print(summary_line(result, config.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
