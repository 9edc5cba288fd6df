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
import sys
from pathlib import Path

from grpo_flip_config import TrainConfig
from grpo_flip_echo import echo_check, echo_report
from grpo_flip_training import summary_line, train

from flip_core.errors import FlipError
from flip_core.profiles import PROFILES
from flip_core.restatement import POLICIES


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """The command line as a :class:`TrainConfig` (every option maps onto one field)."""
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


def main(argv: list[str] | None = None) -> int:
    """Train (or, with ``--check-echo``, compare the rewards of echoed completions); a bad
    setting or input is one ``grpo_flip: error:`` line and exit status 2, not a traceback."""
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
