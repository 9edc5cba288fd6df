"""Generated tokens/s of FlipScorer against a plain batched ``model.generate`` loop.

Both paths use the same loaded model, the same chat-formatted FLIP prompts, the same batch
size and greedy decoding with the same token limit, so the ratio isolates what the scorer adds
(prompt building, length-sorted batching, decoding, parsing, F1). Rounds alternate between the
two paths so that machine noise hits both alike; the ratio of the summed rates is printed.

    .venv/bin/python benchmarks/score_throughput.py [--responses 32] [--max-new-tokens 64]

Target: ratio >= 0.9 (the scorer's overhead under 10%).

``--random-weights CONFIG.json`` builds a model of a real architecture with random weights
(e.g. ``benchmarks/configs/qwen3-0.6b-shape.json``) and the bundled model's tokenizer, for GPU
throughput runs where no checkpoint can be downloaded. Such a model never emits an
end-of-sequence token, so every row runs to the token limit: the figures measure throughput
only and are labelled as random-weight figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from flip_core.backends.base import render_prompt
from flip_core.backends.hf import TransformersBackend
from flip_core.items import demo_items
from flip_core.profiles import DecodingProfile
from flip_core.prompts import flip_messages
from flip_core.scorer import FlipScorer


def plain_generate_loop(
    backend: TransformersBackend, prompts: list[str], batch_size: int, max_new_tokens: int
) -> int:
    """The baseline: batches in input order, left padding, greedy; returns generated tokens."""
    tokenizer, model = backend.tokenizer, backend.model
    generated = 0
    for start in range(0, len(prompts), batch_size):
        batch = tokenizer(
            prompts[start : start + batch_size],
            add_special_tokens=False,
            padding=True,
            return_tensors="pt",
        ).to(backend.device)
        with torch.inference_mode():
            output = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=sorted(backend.eos_token_ids),
            )
        for row in output[:, batch["input_ids"].shape[1] :].tolist():
            end = next((i for i, t in enumerate(row) if t in backend.eos_token_ids), None)
            generated += len(row) if end is None else end + 1
    return generated


def random_weight_backend(
    config_path: str, tokenizer_dir: str, device: str | None
) -> TransformersBackend:
    """A randomly initialised model of the configured architecture, in bf16 on GPU."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    settings = {k: v for k, v in json.loads(Path(config_path).read_text()).items() if k[0] != "_"}
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = AutoConfig.for_model(
        **settings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype).to(device)
    parameters = sum(p.numel() for p in model.parameters()) / 1e9
    name = f"random-weight {settings['model_type']} ({parameters:.2f}B parameters; throughput only)"
    return TransformersBackend.from_objects(model, tokenizer, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--device", default=None)
    parser.add_argument("--responses", type=int, default=32, help="demo responses to score")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--random-weights", metavar="CONFIG.json", help="random-weight model")
    parser.add_argument("--tokenizer", help="tokenizer folder for --random-weights")
    args = parser.parse_args()

    if args.random_weights:
        from flip_core.models import bundled_model_dir

        tokenizer_dir = args.tokenizer or str(bundled_model_dir())
        backend = random_weight_backend(args.random_weights, tokenizer_dir, args.device)
    else:
        backend = TransformersBackend(args.model, device=args.device)
    pairs = [(item.instruction, response) for item in demo_items() for response in item.candidates]
    pairs = (pairs * (args.responses // len(pairs) + 1))[: args.responses]
    prompts = [render_prompt(backend.tokenizer, flip_messages(response)) for _, response in pairs]
    profile = DecodingProfile(
        "benchmark",
        do_sample=False,
        temperature=0.0,
        num_samples=1,
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
    )
    scorer = FlipScorer(generator=backend, profile=profile)
    items = [(instruction, [response]) for instruction, response in pairs]

    totals = {"plain model.generate": [0, 0.0], "FlipScorer.score_many": [0, 0.0]}
    plain_generate_loop(backend, prompts[: args.batch_size], args.batch_size, 8)  # warm-up
    for round_number in range(args.rounds):
        start = time.perf_counter()
        tokens = plain_generate_loop(backend, prompts, args.batch_size, args.max_new_tokens)
        totals["plain model.generate"][0] += tokens
        totals["plain model.generate"][1] += time.perf_counter() - start

        start = time.perf_counter()
        rewards = scorer.score_many(items, progress=False)
        totals["FlipScorer.score_many"][0] += sum(r[0].generated_tokens for r in rewards)
        totals["FlipScorer.score_many"][1] += time.perf_counter() - start
        print(f"round {round_number + 1}/{args.rounds} done")

    print(
        f"\nmodel {backend.model_name} on {backend.device} ({torch.get_num_threads()} threads), "
        f"{len(prompts)} FLIP prompts, batch {args.batch_size}, "
        f"max {args.max_new_tokens} new tokens, {args.rounds} alternating rounds"
    )
    rates = {}
    for name, (tokens, seconds) in totals.items():
        rates[name] = tokens / seconds
        print(f"{name:24} {tokens:7d} tokens  {seconds:7.1f} s  {rates[name]:7.1f} tokens/s")
    ratio = rates["FlipScorer.score_many"] / rates["plain model.generate"]
    print(f"ratio (scorer / plain): {ratio:.3f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
