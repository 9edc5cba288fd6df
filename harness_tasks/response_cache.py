"""Seed lm-eval's response cache from finished runs, so a probe run asks only what changed.

A probe task (``_hack_*``, :mod:`flip_core.probes`) edits the rejected candidates only. Every
request that shows only unchanged text (FLIP's and the pointwise judge's call on the gold
candidate, FLIP-likelihood's too, and its empty-response reference) is then *the same request*
as in the clean run: the same chat-templated prompt and the same generation settings. lm-eval's
response cache (``--use_cache PREFIX``) is keyed by exactly that (``hash_args`` over the
request type and arguments), so filling it with the clean run's logged answers makes the probe
run reuse them instead of asking the model again; only the edited candidates' requests reach
the model. The reused answers are the clean run's raw outputs, so the probe run's scores of
unchanged candidates equal the clean run's, and the paired drop compares like with like.

Sources are lm-eval ``samples_*.jsonl`` files, which log every request's arguments and raw
answer. Sampled requests (``do_sample``) are skipped: lm-eval never reads them from its cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lm_eval.api.model import hash_args

from flip_core.errors import FlipError, FlipInputError
from flip_core.likelihood import read_loglikelihood
from flip_core.logged_samples import document_method


@dataclass
class SeedReport:
    """What one seeding did: requests written and requests skipped (sampled)."""

    files: int = 0
    written: int = 0
    skipped_sampled: int = 0


def cache_file(prefix: str, rank: int = 0) -> Path:
    """The SQLite file lm-eval opens for ``--use_cache prefix`` on ``rank``."""
    return Path(f"{prefix}_rank{rank}.db")


def seed_cache(sources: Iterable[Path], prefix: str, rank: int = 0) -> SeedReport:
    """Write the logged answers of every ``samples_*.jsonl`` below ``sources`` into the cache
    lm-eval reads with ``--use_cache prefix``. Existing entries are kept (same key, same
    request); a malformed samples file is refused with a one-line error naming its line."""
    from sqlitedict import SqliteDict

    files = sorted(
        path
        for source in sources
        for path in ([source] if source.is_file() else source.rglob("samples_*.jsonl"))
    )
    if not files:
        raise FlipInputError("no lm-eval samples_*.jsonl files to seed the cache from")
    entries: dict[str, Any] = {}
    report = SeedReport(files=len(files))
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                for request in logged_requests(json.loads(line)):
                    if request.sampled:
                        report.skipped_sampled += 1
                    else:
                        entries[hash_args(request.request_type, request.arguments)] = request.answer
            except (ValueError, KeyError, TypeError, FlipError) as error:
                reason = f"missing key {error}" if isinstance(error, KeyError) else str(error)
                raise FlipInputError(f"{path}:{number}: {reason.splitlines()[0]}") from None
    target = cache_file(prefix, rank)
    target.parent.mkdir(parents=True, exist_ok=True)
    with SqliteDict(str(target), autocommit=False) as cache:
        for key, answer in entries.items():
            cache[key] = answer
        cache.commit()
    report.written = len(entries)
    return report


@dataclass(frozen=True)
class LoggedRequest:
    """One request of a logged sample, as lm-eval sent it, and the model's raw answer.

    ``arguments``: (context, generation settings) for ``generate_until``, (context,
    continuation) for ``loglikelihood``; ``answer``: the generated text, or the checked
    (log-probability, is_greedy) pair; ``sampled``: a sampled generation (lm-eval never reads
    those from its cache, and nobody should reuse one as *the* answer to its prompt).
    """

    request_type: str
    arguments: tuple[str, Any]
    answer: Any
    sampled: bool


def logged_requests(record: dict[str, Any]) -> Iterator[LoggedRequest]:
    """Every request of one logged sample (a parsed line of ``samples_*.jsonl``), in order."""
    request_type = document_method(record["doc"]).request_type
    arguments = record["arguments"]
    calls = [arguments[f"gen_args_{i}"] for i in range(len(arguments))]
    responses = record["resps"]
    if len(calls) != len(responses):
        raise ValueError("a logged sample has a different number of requests and answers")
    for call, answers in zip(calls, responses, strict=True):
        args = (call["arg_0"], call["arg_1"])
        if request_type == "generate_until":
            sampled = bool(args[1].get("do_sample")) or len(answers) != 1
            yield LoggedRequest(request_type, args, None if sampled else str(answers[0]), sampled)
        else:
            yield LoggedRequest(request_type, args, read_loglikelihood(answers[0]), False)
