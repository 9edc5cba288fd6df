"""llama.cpp against transformers on CPU: generated tokens/s and FLIP-likelihood requests/s.

Both backends get the SAME chat-formatted FLIP prompts (rendered once per model with the GGUF
file's own tokenizer; each backend's tokenizer is checked to give the same text and token ids)
and the same FLIP-likelihood requests (``flipll``'s calls: the instruction scored as the whole
assistant turn after FLIP's prompt, one per candidate plus the empty-response reference).
Prompts come from the first LLMBar Neighbor pairs when ``FLIP_DATA_DIR`` (or ``../shared/data``)
holds them, else from the bundled demo set. Decoding is greedy with a fixed token limit.

Paths, per model:

- ``llama.cpp``: :class:`~flip_core.backends.llamacpp.LlamaCppBackend` (quantised kernels,
  continuous batching of ``--n-parallel`` sequences, shared prompt-prefix cache);
- ``transformers batch B``: :class:`~flip_core.backends.hf.TransformersBackend` on the
  converted fp32 folder, for each ``--hf-batch-sizes`` (default 1 and 8); the faster of them is
  "transformers best", the baseline of the ratio.

One backend is loaded at a time (freed with ``del`` and ``gc.collect()``, llama.cpp's engine
closed first). Each round loads every backend in turn, warms it up untimed, then times only
generation and scoring, never loading; rounds alternate the order of the paths and the best
time per path is kept, because the machine is noisy. Printed per model and path: prompts,
generated tokens, wall time, tokens/s, and the ratio llama.cpp / transformers best; for
FLIP-likelihood, requests, scored continuation tokens, wall time, requests/s and the ratio,
plus agreement of the two backends' log-probabilities (per request
``|logp_llama.cpp - logp_transformers| / continuation tokens``, averaged; and the largest) and
how many greedy outputs are identical text.

    FLIP_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/cpu_backends.py \
        [--models smollm2-135m qwen2.5-coder-0.5b] [--prompts 32] [--requests 24] \
        [--max-new-tokens 64] [--rounds 2]

    # with the 1.5B, on fewer prompts (transformers fp32 at batch 1 is slow there)
    .venv/bin/python benchmarks/cpu_backends.py \
        --models smollm2-135m qwen2.5-coder-0.5b qwen2.5-coder-1.5b \
        --prompts-for qwen2.5-coder-1.5b=8 --requests-for qwen2.5-coder-1.5b=6

Targets (generation, llama.cpp tokens/s over transformers best): >= 3x on
Qwen2.5-Coder-0.5B, >= 10x on Qwen2.5-Coder-1.5B; none for the bundled 135M model.

The first run of a zoo model converts it once into the transformers folder (about 80 s for the
0.5B; cached in ``~/.cache/flip-reward-bench``); that happens before any timing.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from flip_core.backends.base import (
    Generation,
    chat_template_hook,
    encode_pair,
    render_prompt,
)
from flip_core.items import Item, demo_items
from flip_core.likelihood import likelihood_request
from flip_core.methods import get_method
from flip_core.profiles import DecodingProfile, get_profile
from flip_core.prompts import flip_messages

DEFAULT_MODELS = ("smollm2-135m", "qwen2.5-coder-0.5b")
TARGETS = {"qwen2.5-coder-0.5b": 3.0, "qwen2.5-coder-1.5b": 10.0}
"""Generation: llama.cpp tokens/s over transformers' best, per zoo alias."""
LLAMACPP = "llama.cpp"


def default_data_dir() -> str | None:
    sibling = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return os.environ.get("FLIP_DATA_DIR") or (str(sibling) if sibling.is_dir() else None)


def parse_counts(values: Sequence[str], option: str) -> dict[str, int]:
    """``ALIAS=N`` options into a dict."""
    counts = {}
    for value in values:
        alias, _, number = value.partition("=")
        if not alias or not number.isdigit() or int(number) < 1:
            raise SystemExit(f"{option}: expected ALIAS=N with N >= 1, got {value!r}")
        counts[alias] = int(number)
    return counts


def load_items(source: str, data_dir: str | None) -> tuple[list[Item], str]:
    """LLMBar Neighbor pairs (real data) or the demo set, and a label saying which."""
    if source == "llmbar" or (source == "auto" and data_dir):
        if not data_dir:
            raise SystemExit("--items llmbar needs FLIP_DATA_DIR (or --data-dir)")
        os.environ["FLIP_DATA_DIR"] = data_dir
        from flip_core.benchmarks import load_benchmark

        return load_benchmark("llmbar", "neighbor").items, f"LLMBar Neighbor ({data_dir})"
    return demo_items(), "demo set"


@dataclass
class Workload:
    """One model's prompts and likelihood requests, rendered with its own tokenizer."""

    prompts: list[str]
    prompt_ids: list[list[int]]
    requests: list[tuple[str, str]]
    continuation_tokens: list[int]
    tokenizer: Any


def token_ids(tokenizer: Any, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def build_workload(tokenizer: Any, items: list[Item], prompts: int, requests: int) -> Workload:
    """The first ``prompts`` FLIP prompts (one per candidate, items in order) and the first
    ``requests`` FLIP-likelihood requests (per item: its candidates, then the reference)."""
    texts = [render_prompt(tokenizer, flip_messages(c)) for i in items for c in i.candidates]
    texts = (texts * (prompts // len(texts) + 1))[:prompts]
    hook = chat_template_hook(tokenizer)
    calls = [call for item in items for call in get_method("flipll").calls(item)]
    calls = (calls * (requests // len(calls) + 1))[:requests]
    pairs = [likelihood_request(hook, c.conversation, c.continuation or "") for c in calls]
    tokenize = lambda text: token_ids(tokenizer, text)  # noqa: E731
    continuation_tokens = [len(encode_pair(tokenize, ctx, cont)[1]) for ctx, cont in pairs]
    return Workload(texts, [tokenize(t) for t in texts], pairs, continuation_tokens, tokenizer)


@dataclass
class GenerationResult:
    """Best-of-rounds timing of one generation path (greedy: tokens are the same each round)."""

    tokens: int = 0
    seconds: float = float("inf")
    texts: list[str] = field(default_factory=list)
    finished: int = 0

    def add(self, generations: list[list[Generation]], seconds: float) -> None:
        self.tokens = sum(g[0].num_tokens for g in generations)
        self.texts = [g[0].text for g in generations]
        self.finished = sum(g[0].finished for g in generations)
        self.seconds = min(self.seconds, seconds)

    @property
    def rate(self) -> float:
        return self.tokens / self.seconds


@dataclass
class LikelihoodResult:
    seconds: float = float("inf")
    scores: list[float] = field(default_factory=list)

    def add(self, scores: list[float], seconds: float) -> None:
        self.scores = scores
        self.seconds = min(self.seconds, seconds)


def load_backend(name: str, alias: str, args: argparse.Namespace) -> Any:
    if name == LLAMACPP:
        from flip_core.backends.llamacpp import LlamaCppBackend

        return LlamaCppBackend(
            alias, n_threads=args.threads, n_ctx=args.n_ctx, n_parallel=args.n_parallel
        )
    from flip_core.backends.hf import TransformersBackend

    return TransformersBackend(alias, device="cpu")


def close_engine(backend: Any) -> None:
    """llama.cpp's model and context are C memory: free them now, not at garbage collection."""
    engine = getattr(backend, "engine", None)
    if engine is not None:
        engine.close()


def check_same_input(backend: Any, work: Workload, label: str) -> None:
    """Warn when a backend's tokenizer renders or tokenises the prompts differently."""
    probe = flip_messages("probe")
    if render_prompt(backend.tokenizer, probe) != render_prompt(work.tokenizer, probe):
        print(f"WARNING: {label}'s chat template renders FLIP prompts differently")
    ids = [token_ids(backend.tokenizer, text) for text in work.prompts]
    if ids != work.prompt_ids:
        differing = sum(a != b for a, b in zip(ids, work.prompt_ids, strict=True))
        print(f"WARNING: {label}'s tokenizer gives other ids for {differing} prompt(s)")


def warm_up_generation(backend: Any, work: Workload) -> None:
    """First calls pay for allocation and kernel selection; keep them out of the timing.

    One prompt only, right before the timed call: llama.cpp keeps the shared-prefix cache of
    its last call, and one prompt's "shared prefix" (all of it) is never the timed call's, so
    the timed call computes its own prefix, as a fresh run does."""
    short = DecodingProfile("warm-up", False, 0.0, 1, 4, batch_size=1)
    backend.generate_from_prompts(work.prompts[:1], short, progress=False)


def warm_up_likelihood(backend: Any, work: Workload) -> None:
    """As :func:`warm_up_generation`, for scoring (one request: never the timed prefix)."""
    backend.loglikelihood(work.requests[:1], progress=False)


def timed(call: Any, *arguments: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call(*arguments)
    return result, time.perf_counter() - start


def run_model(
    alias: str, items: list[Item], prompts: int, requests: int, args: argparse.Namespace
) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from flip_core.models import gguf_tokenizer_dir, resolve_model

    resolved = resolve_model(alias, convert=False)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_tokenizer_dir(resolved.gguf_path)))
    work = build_workload(tokenizer, items, prompts, requests)
    print(f"\n== {resolved.name}: preparing the transformers folder (untimed)", flush=True)
    resolve_model(alias)  # converts once, cached; never inside a timed region

    hf_labels = [f"transformers batch {b}" for b in args.hf_batch_sizes]
    generation = {label: GenerationResult() for label in [LLAMACPP, *hf_labels]}
    likelihood = {LLAMACPP: LikelihoodResult(), "transformers": LikelihoodResult()}
    llama_profile = get_profile("cpu", max_new_tokens=args.max_new_tokens, batch_size=None)
    for round_number in range(args.rounds):
        backends = [LLAMACPP, "transformers"]
        sizes = list(args.hf_batch_sizes)
        if round_number % 2:
            backends.reverse()
            sizes.reverse()
        for name in backends:
            start = time.perf_counter()
            backend = load_backend(name, alias, args)
            loaded = time.perf_counter() - start
            if round_number == 0:
                check_same_input(backend, work, name)
            if name == LLAMACPP:
                warm_up_generation(backend, work)
                out, seconds = timed(
                    backend.generate_from_prompts, work.prompts, llama_profile, False
                )
                generation[LLAMACPP].add(out, seconds)
            else:
                for size in sizes:
                    warm_up_generation(backend, work)
                    profile = get_profile(
                        "cpu", max_new_tokens=args.max_new_tokens, batch_size=size
                    )
                    out, seconds = timed(
                        backend.generate_from_prompts, work.prompts, profile, False
                    )
                    generation[f"transformers batch {size}"].add(out, seconds)
            if work.requests:
                warm_up_likelihood(backend, work)
                scores, seconds = timed(backend.loglikelihood, work.requests, False)
                likelihood[name].add(scores, seconds)
            close_engine(backend)
            del backend
            gc.collect()
            print(
                f"round {round_number + 1}/{args.rounds}: {name} done (loaded in {loaded:.1f} s)",
                flush=True,
            )
    report = {
        "alias": alias,
        "name": resolved.name,
        "work": work,
        "generation": generation,
        "likelihood": likelihood,
        "max_new_tokens": llama_profile.max_new_tokens,
    }
    print_model(report, hf_labels, args)
    return report


def target_text(alias: str, ratio: float) -> str:
    target = TARGETS.get(alias)
    if target is None:
        return "no target for this model"
    return f"target >= {target:g}x: {'met' if ratio >= target else 'MISSED'}"


def print_model(report: dict[str, Any], hf_labels: list[str], args: argparse.Namespace) -> None:
    work: Workload = report["work"]
    generation: dict[str, GenerationResult] = report["generation"]
    print(
        f"\nmodel {report['name']}: {len(work.prompts)} FLIP prompts, greedy, "
        f"max {report['max_new_tokens']} new tokens, best of {args.rounds} alternating round(s); "
        f"llama.cpp n_parallel {args.n_parallel}, {args.threads or 'all'} threads; "
        f"torch {torch.get_num_threads()} threads"
    )
    print(
        f"{'generation path':26} {'prompts':>7} {'gen tokens':>10} {'finished':>8} "
        f"{'wall s':>8} {'tokens/s':>9}"
    )
    for label, result in generation.items():
        print(
            f"{label:26} {len(work.prompts):7d} {result.tokens:10d} {result.finished:8d} "
            f"{result.seconds:8.2f} {result.rate:9.1f}"
        )
    best_label = max(hf_labels, key=lambda label: generation[label].rate)
    best = generation[best_label]
    ratio = generation[LLAMACPP].rate / best.rate
    report["generation_ratio"], report["best_label"] = ratio, best_label
    print(f"{'transformers best':26} {'':7} {'':10} {'':8} {'':8} {best.rate:9.1f}  ({best_label})")
    print(
        f"ratio llama.cpp / transformers best: {ratio:.2f}x ({target_text(report['alias'], ratio)})"
    )
    for label in hf_labels:
        same = sum(
            a == b for a, b in zip(generation[LLAMACPP].texts, generation[label].texts, strict=True)
        )
        print(f"identical greedy outputs, llama.cpp vs {label}: {same}/{len(work.prompts)}")

    if not work.requests:
        return
    likelihood: dict[str, LikelihoodResult] = report["likelihood"]
    tokens = sum(work.continuation_tokens)
    print(
        f"\n{'FLIP-likelihood path':26} {'requests':>8} {'cont tokens':>11} "
        f"{'wall s':>8} {'req/s':>8}"
    )
    for label, result in likelihood.items():
        rate = len(work.requests) / result.seconds
        print(f"{label:26} {len(work.requests):8d} {tokens:11d} {result.seconds:8.2f} {rate:8.2f}")
    ll_ratio = likelihood["transformers"].seconds / likelihood[LLAMACPP].seconds
    differences = [
        abs(a - b) / n
        for a, b, n in zip(
            likelihood[LLAMACPP].scores,
            likelihood["transformers"].scores,
            work.continuation_tokens,
            strict=True,
        )
    ]
    report["likelihood_ratio"] = ll_ratio
    report["per_token_difference"] = sum(differences) / len(differences)
    report["max_difference"] = max(differences)
    print(f"ratio llama.cpp / transformers (requests/s): {ll_ratio:.2f}x")
    print(
        f"agreement: mean |logp difference| per continuation token "
        f"{report['per_token_difference']:.4f} nats (largest {report['max_difference']:.4f})"
    )


def print_summary(reports: list[dict[str, Any]]) -> None:
    print(
        f"\n{'summary':38} {'llama tok/s':>11} {'hf best':>8} {'ratio':>7} {'target':>7} "
        f"{'ll ratio':>8} {'|d|/tok':>8}"
    )
    for report in reports:
        generation = report["generation"]
        target = TARGETS.get(report["alias"])
        ratio = report["generation_ratio"]
        verdict = "-" if target is None else f"{target:g}x " + ("ok" if ratio >= target else "NO")
        ll_ratio = report.get("likelihood_ratio")
        difference = report.get("per_token_difference")
        print(
            f"{report['name']:38} {generation[LLAMACPP].rate:11.1f} "
            f"{generation[report['best_label']].rate:8.1f} {ratio:6.2f}x {verdict:>7} "
            + (f"{ll_ratio:7.2f}x {difference:8.4f}" if ll_ratio is not None else "")
        )
    print(
        "targets: llama.cpp >= 3x transformers' best on Qwen2.5-Coder-0.5B, "
        ">= 10x on Qwen2.5-Coder-1.5B (generation tokens/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="zoo aliases")
    parser.add_argument("--prompts", type=int, default=32, help="FLIP prompts per model")
    parser.add_argument(
        "--prompts-for", action="append", default=[], metavar="ALIAS=N", help="per-model prompts"
    )
    parser.add_argument("--requests", type=int, default=24, help="FLIP-likelihood requests")
    parser.add_argument(
        "--requests-for", action="append", default=[], metavar="ALIAS=N", help="per model"
    )
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hf-batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--n-parallel", type=int, default=8, help="llama.cpp sequences")
    parser.add_argument("--n-ctx", type=int, default=16384, help="llama.cpp cache tokens")
    parser.add_argument("--threads", type=int, default=None, help="both backends (default: all)")
    parser.add_argument("--items", choices=("auto", "llmbar", "demo"), default="auto")
    parser.add_argument("--data-dir", default=default_data_dir(), help="FLIP_DATA_DIR")
    args = parser.parse_args()
    if args.prompts < 1 or args.requests < 0 or args.rounds < 1:
        parser.error("--prompts and --rounds must be >= 1, --requests >= 0")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars on every load
    if args.threads:
        torch.set_num_threads(args.threads)
    prompts_for = parse_counts(args.prompts_for, "--prompts-for")
    requests_for = parse_counts(args.requests_for, "--requests-for")

    items, source = load_items(args.items, args.data_dir)
    print(f"items: {source}; models: {', '.join(args.models)}")
    reports = [
        run_model(
            alias,
            items,
            prompts_for.get(alias, args.prompts),
            requests_for.get(alias, args.requests),
            args,
        )
        for alias in args.models
    ]
    print_summary(reports)


if __name__ == "__main__":
    main()
