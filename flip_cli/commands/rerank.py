"""``flip rerank``: best-of-N reranking of candidates per prompt, resumable, with a summary.

Reads prompts with N candidates each (this project's generic JSON Lines shape, or the
AlpacaEval best-of-N rows of ``$FLIP_DATA_DIR/alpacaeval_bon/``), picks one per prompt by FLIP,
the pointwise judge, or a model-free rule, and appends one JSON line per finished prompt to the
output. Rerunning the same command resumes. With reference scores, prints the mean reference
score of the picks beside random, always-longest, always-shortest and the oracle.
The logic lives in :mod:`flip_rerank`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flip_cli.scorer_options import add_scorer_arguments, backend_options


def register(subparsers: argparse._SubParsersAction) -> None:
    from flip_rerank import DEFAULT_MAX_CANDIDATE_CHARS, RERANK_METHODS

    parser = subparsers.add_parser(
        "rerank",
        help="pick the best of N candidates per prompt (FLIP, judge, or a length/random rule)",
        description=__doc__,
    )
    parser.add_argument(
        "--input",
        required=True,
        help="JSON Lines: {'id', 'instruction', 'responses': [...], optional "
        "'reference_scores': [...]} per line, or AlpacaEval best-of-N rows",
    )
    parser.add_argument("--method", choices=RERANK_METHODS, required=True)
    parser.add_argument(
        "--output",
        help="result rows, appended as prompts finish; an existing file is resumed "
        "(default: results/rerank/<input>-<method>[-<model>-<profile>].jsonl)",
    )
    parser.add_argument("--limit", type=int, help="only the first N prompts")
    parser.add_argument(
        "--max-candidate-chars",
        type=int,
        default=DEFAULT_MAX_CANDIDATE_CHARS,
        help="characters of item text one model call may show: each candidate for flip, "
        "instruction + candidate for judge_pointwise; longer candidates are cut (recorded) "
        f"(default: {DEFAULT_MAX_CANDIDATE_CHARS}, which keeps a FLIP prompt for the bundled "
        "model within 2048 tokens)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="seed of the random picker (default 0); for model methods, the sampling seed",
    )
    parser.add_argument(
        "--prompts-per-batch",
        type=int,
        default=4,
        help="prompts whose candidates go to the model in one batched call (default: 4); "
        "a stopped run loses at most these",
    )
    add_scorer_arguments(parser, default_profile="default")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flip_core.errors import FlipInputError
    from flip_rerank import (
        default_output_path,
        load_rerank_prompts,
        make_reranker,
        run_rerank,
        summarize,
    )

    output = Path(
        args.output or default_output_path(args.input, args.method, args.model, args.profile)
    )
    if output.exists() and output.resolve() == Path(args.input).resolve():
        raise FlipInputError(f"--output {output} is the input file; choose another")
    prompts = load_rerank_prompts(args.input)
    reranker = make_reranker(
        args.method,
        load_generator=lambda: _backend(args),
        model_label=args.model,
        backend_name=args.backend,
        profile=args.profile,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
        max_candidate_chars=args.max_candidate_chars,
        similarity=args.similarity,
        on_parse_failure=args.on_parse_failure,
        guard=args.guard,
    )
    result = run_rerank(
        prompts,
        reranker,
        output,
        limit=args.limit,
        prompts_per_batch=args.prompts_per_batch,
        on_message=lambda message: print(f"flip rerank: {message}", file=sys.stderr),
    )
    print_summary(summarize(result.rows), args.input, reranker.max_candidate_chars)
    print(f"\n{len(result.rows)} result rows in {output} ({result.scored_now} scored now)")
    return 0


def _backend(args: argparse.Namespace) -> Any:
    from flip_core.backends import make_backend

    return make_backend(args.backend, args.model, **backend_options(args))


def print_summary(summary: Any, input_path: str, max_candidate_chars: int | None) -> None:
    """The summary table: the method's picks beside the model-free reference points."""
    print(
        f"\nflip rerank: {summary.method} on {Path(input_path).name}: {summary.scored} prompts "
        f"scored, {summary.refused} refused; {summary.ties} with a tie at the top (the first "
        "of the tied is picked)"
    )
    if summary.parsed_calls is not None:
        print(f"parse failures: {summary.parse_failures} of {summary.parsed_calls} calls")
    if summary.generated_tokens is not None:
        print(f"generated tokens: {summary.generated_tokens}")
    reference = summary.reference
    rows: list[tuple[str, str]] = []
    if reference is None:
        print("no reference scores in the input: nothing to compare the picks with")
    else:
        rows += [
            (
                f"{summary.method} (mean reference score [95% CI])",
                reference.picked.format(False, 2),
            ),
            ("random (expected value)", f"{reference.random_expected:.2f}"),
            ("always longest", f"{reference.longest:.2f}"),
            ("always shortest", f"{reference.shortest:.2f}"),
            ("oracle (best candidate)", f"{reference.oracle:.2f}"),
        ]
    truncated = (
        "none (no model: whole candidates)"
        if max_candidate_chars is None
        else f"{summary.truncated_candidates} in {summary.truncated_prompts} prompts "
        f"(budget {max_candidate_chars} characters per call)"
    )
    rows += [
        ("n prompts", str(reference.n if reference else summary.scored)),
        ("truncated candidates", truncated),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:{width}}  {value}")
    if reference is not None:
        print("(reference score: for AlpacaEval, the win rate in % against GPT-3.5)")
