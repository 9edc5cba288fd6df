"""``examples/grpo_flip.py --check-echo``: does the reward pay a policy for echoing its prompt?

Trains nothing: each sampled completion is paired with its echoed twin (a GRPO group of two)
and scored by the unguarded and the guarded FLIP reward (:func:`flip_core.reward.check_echo`).
"""

from __future__ import annotations

from grpo_flip_config import TrainConfig, check_config, load_instructions

from flip_core.backends.hf import TransformersBackend
from flip_core.methods import GUARD_POLICY
from flip_core.models import resolve_model
from flip_core.profiles import DecodingProfile
from flip_core.reward import EchoCheck, FlipRewardFunction, check_echo
from flip_core.scorer import FlipScorer


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
    """One line per reward: in how many groups the echo and the plain completion rank higher,
    and every group's rewards (plain/echo)."""
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
