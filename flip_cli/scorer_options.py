"""The options every model-running subcommand shares, and the scorer they describe."""

from __future__ import annotations

import argparse
from typing import Any


def add_scorer_arguments(parser: argparse.ArgumentParser, default_profile: str) -> None:
    from flip_core.backends import BACKENDS
    from flip_core.profiles import PROFILES
    from flip_core.reconstruction import OnParseFailure
    from flip_core.restatement import POLICIES
    from flip_core.similarity import SIMILARITIES

    group = parser.add_argument_group("scorer")
    group.add_argument(
        "--model",
        default="default",
        help="'default' (bundled SmolLM2-135M-Instruct), a model folder, a .gguf file or a Hub id",
    )
    group.add_argument("--backend", choices=BACKENDS, default="hf")
    group.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=default_profile,
        help=f"decoding profile (default: {default_profile})",
    )
    group.add_argument("--batch-size", type=int, help="override the profile's batch size")
    group.add_argument("--max-new-tokens", type=int, help="override the profile's token limit")
    group.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    group.add_argument("--dtype", help="float32, bfloat16, float16 or auto (hf backend)")
    group.add_argument(
        "--similarity", choices=sorted(SIMILARITIES), default="f1", help="reward metric"
    )
    group.add_argument(
        "--on-parse-failure",
        choices=[policy.value for policy in OnParseFailure],
        default=OnParseFailure.RAW_OUTPUT.value,
        help="raw_output: F1 against the whole output (paper); zero: a failed parse scores 0",
    )
    group.add_argument(
        "--guard",
        choices=POLICIES,
        help="restatement guard (not in the paper; default none): a response that restates "
        "its instruction does not gain from it (strip: cut the restated spans; penalise: scale "
        "the reward down; zero: score a near-verbatim restatement as empty)",
    )


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend's own options from the parsed ``--device``/``--dtype`` (hf backend only)."""
    if args.backend == "hf":
        return {"device": args.device, "dtype": args.dtype}
    return {}


def build_scorer(args: argparse.Namespace) -> Any:
    """A FlipScorer from parsed options; imported here so that --help stays fast."""
    from flip_core.scorer import FlipScorer

    return FlipScorer(
        args.model,
        backend=args.backend,
        profile=args.profile,
        similarity=args.similarity,
        on_parse_failure=args.on_parse_failure,
        guard=args.guard,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        **backend_options(args),
    )
