"""Which restatement guard? Every policy measured on the same items, model and backend.

For one zoo model on the llama.cpp backend, FLIP and FLIP-likelihood are scored on the LLMBar
Neighbor pairs, clean and under the ``hack_restate`` probe (the rejected response starts with
the instruction), without a guard and with each policy of :mod:`flip_core.restatement`
(``strip``, ``penalise``, ``zero``), through the registered methods themselves
(:class:`flip_core.methods.GuardedFlip`, :class:`~flip_core.methods.GuardedFlipLikelihood`),
so what is measured is what the guarded tasks run. Printed per method and policy: clean
accuracy and its paired difference from the unguarded method, accuracy under the probe, the
drop (clean - probed, paired 95% interval, exact McNemar p), and how often the guard acted on
clean candidates. The targets (issue 15): a drop of at most 3 points, clean accuracy within 2
points of the unguarded method.

``--seed-from RUN_FOLDER ...`` reuses the answers that finished lm-eval runs of the same model,
backend and profile logged (the committed clean ``flip`` and ``flipll`` runs), so only the
probed and guarded texts reach the model. Model answers are cached in
``results/cache/guard-policies/<alias>-<profile>.jsonl`` (one line per prompt, appended as
answers arrive), so a rerun or another policy asks only for prompts not seen yet (a policy that
changes no text asks for nothing).

    FLIP_DATA_DIR=../shared/data .venv/bin/python benchmarks/guard_policies.py \\
        --model qwen2.5-coder-0.5b --profile default \\
        --seed-from results/raw/llmbar-qwen2.5-coder-0.5b-default-llamacpp/flip{,ll}_llmbar_neighbor
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from flip_core.benchmarks import load_benchmark
from flip_core.catalog.models import model_entry
from flip_core.items import Item
from flip_core.likelihood import likelihood_request
from flip_core.logged_samples import document_method
from flip_core.methods import Method, get_method
from flip_core.paired import paired_difference
from flip_core.probes import apply_probe
from flip_core.profiles import DecodingProfile, get_profile
from flip_core.restatement import POLICIES
from flip_core.selection import is_strictly_correct
from harness_tasks.response_cache import logged_requests

METHODS = {"flip": "flip_guarded", "flipll": "flipll_guarded"}
CACHE_DIR = Path("results") / "cache" / "guard-policies"
CHUNK = 16
"""Prompts generated together before their answers are written to the cache."""


class AnswerCache:
    """Prompt -> answer, kept in a JSON Lines file so that a stopped run loses nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.answers: dict[str, Any] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill: asked again
                self.answers[record["key"]] = record["answer"]

    @staticmethod
    def key(kind: str, prompt: Any) -> str:
        return hashlib.sha256(json.dumps([kind, prompt]).encode()).hexdigest()

    def seed(self, key: str, answer: Any) -> None:
        """Know an answer for this run only (answers read from a committed run stay there)."""
        self.answers.setdefault(key, answer)

    def add(self, key: str, answer: Any) -> None:
        self.answers[key] = answer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "answer": answer}) + "\n")


def seed_from_runs(folders: list[Path], profile: DecodingProfile, cache: AnswerCache) -> int:
    """The answers a finished lm-eval run of the same model, backend and profile logged for the
    FLIP and FLIP-likelihood requests it sent (greedy generations at the profile's token limit,
    log-probabilities): the clean candidates' prompts are then not asked again. Returns how
    many requests were known."""
    known = 0
    for path in sorted(p for folder in folders for p in folder.rglob("samples_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if document_method(record["doc"]).name not in METHODS:
                break  # a file holds one task: not one whose requests this benchmark sends
            for request in logged_requests(record):
                context, setting = request.arguments
                if request.request_type == "loglikelihood":
                    cache.seed(AnswerCache.key("ll", (context, setting)), list(request.answer))
                elif not request.sampled and setting.get("max_gen_toks") == profile.max_new_tokens:
                    cache.seed(AnswerCache.key("gen", context), request.answer)
                else:
                    continue
                known += 1
    return known


def outputs_for(method: Method, items: list[Item], backend, profile, cache: AnswerCache):  # type: ignore[no-untyped-def]
    """Every item's outputs for ``method``, from the cache or the backend (in one batch)."""
    from flip_core.backends.base import chat_template_hook, render_prompt

    hook = chat_template_hook(backend.tokenizer)
    requests: list[list[Any]] = []
    for item in items:
        item_requests = []
        for call in method.calls(item):
            if method.generative:
                item_requests.append(("gen", render_prompt(backend.tokenizer, call.conversation)))
            else:
                item_requests.append(
                    ("ll", likelihood_request(hook, call.conversation, call.continuation))
                )
        requests.append(item_requests)
    flat = [r for item_requests in requests for r in item_requests]
    missing = list(dict.fromkeys(r for r in flat if AnswerCache.key(*r) not in cache.answers))
    generative = [prompt for kind, prompt in missing if kind == "gen"]
    likelihood = [prompt for kind, prompt in missing if kind == "ll"]
    if generative:
        print(f"  asking the model {len(generative)} prompts", flush=True)
        for start in range(0, len(generative), CHUNK):  # cached chunk by chunk: a stop loses one
            chunk = generative[start : start + CHUNK]
            for prompt, samples in zip(
                chunk, backend.generate_from_prompts(chunk, profile), strict=True
            ):
                cache.add(AnswerCache.key("gen", prompt), samples[0].text)
    if likelihood:
        print(f"  scoring {len(likelihood)} likelihood requests", flush=True)
        for pair, logprob in zip(likelihood, backend.loglikelihood(likelihood), strict=True):
            cache.add(AnswerCache.key("ll", tuple(pair)), [logprob, False])
    return [[[_answer(cache, request)] for request in item_requests] for item_requests in requests]


def _answer(cache: AnswerCache, request: tuple[str, Any]) -> Any:
    kind, prompt = request
    answer = cache.answers[AnswerCache.key(kind, tuple(prompt) if kind == "ll" else prompt)]
    return tuple(answer) if kind == "ll" else answer


def verdicts(method: Method, items: list[Item], outputs) -> list[bool]:  # type: ignore[no-untyped-def]
    return [
        is_strictly_correct(method.score(item, out).scores, item.gold_index)  # type: ignore[arg-type]
        for item, out in zip(items, outputs, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="a zoo alias")
    parser.add_argument("--profile", default="cpu", help="decoding profile (as the runs used)")
    parser.add_argument("--domain", default="neighbor", help="LLMBar domain")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: every core)")
    parser.add_argument(
        "--seed-from",
        type=Path,
        nargs="*",
        default=[],
        help="finished lm-eval run folders of the same model on llama.cpp with the same profile "
        "(e.g. the clean flip and flipll runs under results/raw/): their logged answers are "
        "reused, so only prompts they did not send reach the model",
    )
    args = parser.parse_args(argv)
    from flip_core.backends.llamacpp import LlamaCppBackend

    entry = model_entry(args.model)
    profile = get_profile(args.profile)
    clean = load_benchmark("llmbar", args.domain).items
    probed = [apply_probe(item, "hack_restate") for item in clean]
    backend = LlamaCppBackend(entry.alias, n_threads=args.threads)
    cache = AnswerCache(CACHE_DIR / f"{entry.alias}-{profile.name}.jsonl")
    if args.seed_from:
        known = seed_from_runs(args.seed_from, profile, cache)
        print(f"{known} answers reused from {', '.join(map(str, args.seed_from))}")
    print(f"{entry.display_name}, profile {profile.name}, LLMBar {args.domain}: {len(clean)} pairs")
    for base, guarded in METHODS.items():
        rows = [("none", get_method(base))] + [(p, get_method(guarded, policy=p)) for p in POLICIES]
        reference = None
        for policy, method in rows:
            print(f"{method.name} ({policy})", flush=True)
            on_clean = verdicts(method, clean, outputs_for(method, clean, backend, profile, cache))
            on_probe = verdicts(
                method, probed, outputs_for(method, probed, backend, profile, cache)
            )
            reference = reference or on_clean
            drop = paired_difference(on_probe, on_clean)
            shift = paired_difference(reference, on_clean)
            acted = (
                sum(d.applied for item in clean for d in method.decisions(item)) / (2 * len(clean))
                if policy != "none"
                else 0.0
            )
            print(
                f"  clean {sum(on_clean) / len(clean) * 100:5.1f}% (vs unguarded "
                f"{shift.difference * 100:+.1f} [{shift.ci_low * 100:+.1f}, "
                f"{shift.ci_high * 100:+.1f}]); restate {sum(on_probe) / len(probed) * 100:5.1f}%; "
                f"drop {drop.difference * 100:+.1f} [{drop.ci_low * 100:+.1f}, "
                f"{drop.ci_high * 100:+.1f}] p={drop.p_value:.2g}; guard acted on "
                f"{acted * 100:.1f}% of clean candidates",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
