"""``flip ingest``: lm-eval output folders into the store, re-scored and validated.

Per task of a results file, a run is prepared outside any transaction (read, validate,
re-score, count tokens) and then written in one transaction, so a rejected or interrupted run
leaves nothing behind. Nothing in the files is trusted:

- gold labels come from the benchmark data itself (flip_core.benchmarks), and every logged
  item must match it (instruction, candidates, gold);
- every score is recomputed from the raw outputs; a per-sample or aggregate value in the files
  that disagrees with the recomputation rejects the run (tampered, or another code version);
- a run already stored (same fingerprint) is skipped, so re-ingesting changes nothing.

FLIP-likelihood runs (``flipll``, this project's extension) log (log-probability, is_greedy)
pairs instead of text. Each must be a finite number and a boolean, and ``filtered_resps`` must
repeat ``resps``. A call's raw output is that pair, its score the summed log-probability, and
its parsed value a dict with the derived PMI (against the item's empty-response reference
call) and per-token mean (:func:`flip_core.likelihood.derive`); the per-token unit is the scored
continuation's tokens under the model's tokenizer, else its characters (the run's
``token_count_method`` says which). Nothing is generated: ``generated_tokens`` is 0, and the
cost is the run's ``forward_passes_per_item`` metric (one teacher-forced pass per request).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flip_core import __version__ as package_version
from flip_core.benchmarks import load_benchmark
from flip_core.catalog.variants import SAMPLED
from flip_core.errors import FlipError, FlipInputError
from flip_core.items import Item as CoreItem
from flip_core.likelihood import derive
from flip_core.logged_samples import LoggedSample, document_method, read_samples
from flip_core.methods import METHOD_NAMES, FlipLikelihoodMethod, ItemScores, Method
from flip_core.probes import PROBES, apply_probe
from flip_core.sampled import TOKEN_SUBSET_SIZES, tokens_of_first
from flip_core.selection import (
    best_of_n_accuracy,
    bootstrap_interval,
    is_strictly_correct,
    pick_best,
    tie_aware_credit,
)
from flip_store.baselines import refresh_baselines
from flip_store.database import session_scope
from flip_store.model_identity import ModelIdentity, identify_model
from flip_store.rows import insert_missing, insert_outcomes, insert_rows, metric_rows
from flip_store.schema import CallRow, CandidateRow, ItemRow, MetricRow, ModelRow, RunRow, ScoreRow

MAX_FILE_BYTES = 256 * 1024 * 1024
_RESULTS_NAME = re.compile(r"^results_(?P<time>.+)\.json$")
SCORE_TOLERANCE = 1e-9


@dataclass
class IngestReport:
    """What one ingest did, one line per run (or file) in each list."""

    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PreparedRun:
    """A validated, re-scored run, ready to be written in one transaction."""

    fingerprint: str
    task: str
    metadata: dict[str, Any]
    method: Method
    """The method as the run configured it (from its logged documents)."""
    model: ModelIdentity
    samples: list[LoggedSample]
    clean_items: list[CoreItem]
    """The benchmark's own items, one per sample: what the store keeps as the item's
    candidates (a probe run's edited texts are recomputed from them, never stored)."""
    scored: list[ItemScores]
    tokens: list[list[list[int]]]
    """Generated tokens per item, call and sample."""
    token_count_method: str
    results: dict[str, Any]
    source_path: str
    scored_units: list[int] | None = None
    """Likelihood methods: per item, the scored continuation's length (tokens or chars)."""

    @property
    def is_likelihood(self) -> bool:
        return self.scored_units is not None

    @property
    def variant(self) -> str:
        return str(self.metadata.get("variant") or "none")

    @property
    def sampled(self) -> bool:
        return self.variant == SAMPLED


def ingest_path(
    engine: Engine, path: str | Path, progress: Callable[[str], None] = print
) -> IngestReport:
    """Ingest every lm-eval results file below ``path`` (or ``path`` itself)."""
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(path.rglob("results_*.json"))
    else:
        raise FlipInputError(f"{path} does not exist")
    if not files:
        raise FlipInputError(f"no lm-eval results_*.json files below {path}")
    report = IngestReport()
    for results_file in files:
        for outcome, line in _ingest_results_file(engine, results_file):
            getattr(report, outcome).append(line)
            progress(f"{outcome}: {line}")
    return report


def _ingest_results_file(engine: Engine, results_file: Path) -> Iterable[tuple[str, str]]:
    try:
        results = _read_results(results_file)
    except FlipInputError as error:
        yield "rejected", str(error)
        return
    stamp = _RESULTS_NAME.match(results_file.name)
    for task, config in sorted(results["configs"].items()):
        metadata = dict(config.get("metadata") or {})
        if metadata.get("method") not in METHOD_NAMES or "benchmark" not in metadata:
            yield "skipped", f"{results_file}: task {task} is not a flip-reward-bench task"
            continue
        samples_file = results_file.with_name(f"samples_{task}_{stamp['time']}.jsonl")
        try:
            prepared = _prepare_run(task, metadata, results, results_file, samples_file)
            stored = _write_run(engine, prepared)
        except FlipError as error:
            yield "rejected", f"{task} ({results_file}): {error}"
            continue
        yield ("stored" if stored else "unchanged"), f"{task} [{prepared.model.name}]"


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError:
        raise FlipInputError(f"{path} is missing (run lm_eval with --log_samples)") from None
    if size > MAX_FILE_BYTES:
        raise FlipInputError(f"{path} is {size} bytes, over the {MAX_FILE_BYTES} byte limit")
    return path.read_bytes()


def _read_results(path: Path) -> dict[str, Any]:
    if not _RESULTS_NAME.match(path.name):
        raise FlipInputError(f"{path}: not an lm-eval results file name (results_<time>.json)")
    try:
        results = json.loads(_read_bytes(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FlipInputError(f"{path}: not UTF-8 JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(results, dict) or not {"results", "configs", "config"} <= results.keys():
        raise FlipInputError(f"{path}: not an lm-eval results file (no results/configs/config)")
    return results


def _prepare_run(
    task: str,
    metadata: dict[str, Any],
    results: dict[str, Any],
    results_file: Path,
    samples_file: Path,
) -> PreparedRun:
    samples_bytes = _read_bytes(samples_file)
    try:
        samples_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise FlipInputError(f"{samples_file} is not UTF-8") from None
    samples = list(read_samples(samples_file))
    if not samples:
        raise FlipInputError(f"{samples_file} holds no samples")
    clean = _benchmark_items(metadata["benchmark"], metadata.get("domain", ""))
    for sample in samples:
        _check_against_data(sample, clean, str(metadata.get("variant") or "none"), samples_file)
    if len({s.doc["prompt_hash"] for s in samples}) != 1:
        raise FlipInputError(f"{samples_file}: samples disagree on the prompt-template hash")
    if {s.doc["method"] for s in samples} != {metadata["method"]}:
        raise FlipInputError(f"{samples_file}: samples are not all of method {metadata['method']}")
    method = _run_method(samples, samples_file)
    scored = [_rescore(sample, samples_file) for sample in samples]
    sampled = str(metadata.get("variant") or "none") == SAMPLED
    _check_logged_scores(task, method, sampled, samples, scored, results, samples_file)
    model = identify_model(results)
    scored_units = None
    if method.request_type == "loglikelihood":
        tokens = [[[0] for _ in sample.outputs] for sample in samples]
        scored_units, counted_in = model.count_text_units(
            [sample.continuations[0] for sample in samples]  # type: ignore[index]
        )
    else:
        tokens, counted_in = model.count_tokens([s.outputs for s in samples])
    fingerprint = hashlib.sha256(
        json.dumps(
            {"model": model.name, "task": task, "config": results["config"]},
            sort_keys=True,
            default=str,
        ).encode()
        + hashlib.sha256(samples_bytes).digest()
    ).hexdigest()
    return PreparedRun(
        fingerprint,
        task,
        metadata,
        method,
        model,
        samples,
        [clean[sample.item.id] for sample in samples],
        scored,
        tokens,
        counted_in,
        results,
        str(results_file),
        scored_units,
    )


def _run_method(samples: list[LoggedSample], source: Path) -> Method:
    """The run's method, configured as its documents say; they must all say the same."""
    try:
        methods = [document_method(sample.doc) for sample in samples]
    except FlipError as error:
        raise FlipInputError(f"{source}: {error}") from None
    if len({(m.name, json.dumps(m.settings, sort_keys=True)) for m in methods}) != 1:
        raise FlipInputError(f"{source}: samples disagree on the method's settings")
    return methods[0]


def _rescore(sample: LoggedSample, source: Path) -> ItemScores:
    try:
        return sample.rescore()
    except FlipInputError as error:
        raise FlipInputError(f"{source}: {error}") from None


def _benchmark_items(benchmark: str, domain: str) -> dict[str, CoreItem]:
    try:
        loaded = load_benchmark(benchmark, domain)
    except FlipError as error:
        raise FlipInputError(
            f"cannot load the {benchmark} data to check gold labels: {error}"
        ) from None
    return {item.id: item for item in loaded.items}


def _check_against_data(
    sample: LoggedSample, clean: dict[str, CoreItem], variant: str, source: Path
) -> None:
    """The logged item must be the benchmark's, as the run's task showed it: a probe
    variant's edits are applied again here, so any other candidate text is rejected."""
    logged = sample.item
    reference = clean.get(logged.id)
    if reference is None:
        raise FlipInputError(f"{source}: item {logged.id} is not in the benchmark data")
    if variant in PROBES:
        reference = apply_probe(reference, variant)
    if (logged.instruction, logged.candidates, logged.gold_index) != (
        reference.instruction,
        reference.candidates,
        reference.gold_index,
    ):
        raise FlipInputError(f"{source}: item {logged.id} differs from the benchmark data")


def _check_logged_scores(
    task: str,
    method: Method,
    sampled: bool,
    samples: list[LoggedSample],
    scored: list[ItemScores],
    results: dict[str, Any],
    source: Path,
) -> None:
    """Logged values must equal the recomputation: else the file was altered or is foreign."""
    for sample, item_scores in zip(samples, scored, strict=True):
        recomputed = method.item_metrics(sample.item, item_scores, sample.outputs, sampled)
        for name, value in sample.logged_metrics.items():
            if name not in recomputed:
                raise FlipInputError(f"{source}: logged {name} is not a metric of this method")
            if abs(value - recomputed[name]) > SCORE_TOLERANCE:
                raise FlipInputError(
                    f"{source}: logged {name} of item {sample.item.id} ({value}) does not match "
                    f"its raw outputs ({recomputed[name]})"
                )
    reported = (results.get("results") or {}).get(task, {}).get("acc,none")
    accuracy = sum(
        is_strictly_correct(s.scores, sample.item.gold_index)
        for s, sample in zip(scored, samples, strict=True)
    ) / len(samples)
    if reported is not None and abs(float(reported) - accuracy) > SCORE_TOLERANCE:
        raise FlipInputError(
            f"reported acc {reported} of {task} does not match the recomputed {accuracy}"
        )


def _write_run(engine: Engine, prepared: PreparedRun) -> bool:
    """Write one run in one transaction; False when it is already stored.

    Two processes ingesting the same run at once may both find it missing; the second then
    fails on the unique fingerprint, which means "already stored", not an error.
    """
    try:
        return _write_run_once(engine, prepared)
    except IntegrityError:
        with session_scope(engine) as session:
            stored = select(RunRow.id).where(RunRow.fingerprint == prepared.fingerprint)
            if session.scalar(stored) is not None:
                return False
        raise


def _write_run_once(engine: Engine, prepared: PreparedRun) -> bool:
    with session_scope(engine) as session:
        exists = session.scalar(select(RunRow.id).where(RunRow.fingerprint == prepared.fingerprint))
        if exists is not None:
            return False
        model_id = _model_id(session, prepared.model)
        _store_items(session, prepared)
        run = _run_row(prepared, model_id)
        session.add(run)
        session.flush()
        _store_results(session, run.id, prepared)
        refresh_baselines(session, prepared.metadata["benchmark"], prepared.metadata["domain"])
    return True


def _model_id(session: Session, identity: ModelIdentity) -> int:
    insert_missing(session, ModelRow, [identity.row()], ["name"])
    return session.scalar(select(ModelRow.id).where(ModelRow.name == identity.name))


def _store_items(session: Session, prepared: PreparedRun) -> None:
    items, candidates = [], []
    for sample, item in zip(prepared.samples, prepared.clean_items, strict=True):
        doc = sample.doc
        items.append(
            {
                "id": item.id,
                "benchmark": item.benchmark,
                "domain": item.domain,
                "instruction": item.instruction,
                "gold_index": item.gold_index,
                "dataset_source": doc["dataset_source"],
                "dataset_revision": doc["dataset_revision"],
            }
        )
        candidates += [
            {
                "item_id": item.id,
                "position": position,
                "text": text,
                "length_chars": len(text),
                "is_chosen": None if item.gold_index is None else position == item.gold_index,
                "reference_score": None,
            }
            for position, text in enumerate(item.candidates)
        ]
    insert_missing(session, ItemRow, items, ["id"])
    insert_missing(session, CandidateRow, candidates, ["item_id", "position"])


def _run_row(prepared: PreparedRun, model_id: int) -> RunRow:
    results, metadata = prepared.results, prepared.metadata
    config = results["config"]
    first_doc = prepared.samples[0].doc
    evaluated = results.get("date")
    return RunRow(
        fingerprint=prepared.fingerprint,
        model_id=model_id,
        task=prepared.task,
        method=metadata["method"],
        benchmark=metadata["benchmark"],
        domain=metadata.get("domain", ""),
        variant=str(metadata.get("variant") or "none"),
        profile=str(metadata.get("profile") or "default"),
        prompt_hash=first_doc["prompt_hash"],
        dataset_revision=first_doc["dataset_revision"],
        limit=config.get("limit"),
        lm_eval_version=results.get("lm_eval_version"),
        package_version=package_version,
        generation_settings=results["configs"][prepared.task].get("generation_kwargs") or {},
        seeds={k: config.get(k) for k in ("random_seed", "numpy_seed", "torch_seed")},
        evaluated_at=datetime.fromtimestamp(float(evaluated), UTC) if evaluated else None,
        ingested_at=datetime.now(UTC),
        token_count_method=prepared.token_count_method,
        source_path=prepared.source_path,
        raw_results=results,
    )


def _store_results(session: Session, run_id: int, prepared: PreparedRun) -> None:
    calls, scores, outcomes = [], [], []
    units = prepared.scored_units or [None] * len(prepared.samples)
    for sample, item_scores, tokens, item_units in zip(
        prepared.samples, prepared.scored, prepared.tokens, units, strict=True
    ):
        item = sample.item
        derived = None  # generative calls: parsed values as the method read them
        if prepared.is_likelihood:
            derived = [d.to_dict() for d in derive([o[0] for o in sample.outputs], item_units)]
        for index, (call, outputs) in enumerate(
            zip(item_scores.calls, sample.outputs, strict=True)
        ):
            calls.append(
                {
                    "run_id": run_id,
                    "item_id": item.id,
                    "call_index": index,
                    "shown": list(call.shown),
                    "raw_outputs": outputs if derived is None else [list(o) for o in outputs],
                    "parsed_values": list(call.values) if derived is None else [derived[index]],
                    "parse_statuses": [status.value for status in call.statuses],
                    "failed": call.failed,
                    "generated_tokens": sum(tokens[index]),
                }
            )
        scores += [
            {"run_id": run_id, "item_id": item.id, "position": position, "value": value}
            for position, value in enumerate(item_scores.scores)
        ]
        outcomes.append(
            {
                "run_id": run_id,
                "item_id": item.id,
                "picked_position": pick_best(item_scores.scores),
                "correct": is_strictly_correct(item_scores.scores, item.gold_index),
                "tie_aware": tie_aware_credit(item_scores.scores, item.gold_index),
                "parse_fail_rate": item_scores.parse_fail_rate,
            }
        )
    insert_rows(session, CallRow, calls)
    insert_rows(session, ScoreRow, scores)
    insert_outcomes(session, run_id, outcomes)
    insert_rows(session, MetricRow, _metric_rows(run_id, prepared))


def _metric_rows(run_id: int, prepared: PreparedRun) -> list[dict[str, Any]]:
    """The run's metrics with 95% intervals: accuracy from the strict and tie-aware credits,
    every other per-item metric of the method (:meth:`Method.item_metrics`) averaged, and the
    cost (generated tokens; for likelihood methods forward passes) per item."""
    items = [sample.item for sample in prepared.samples]
    accuracy = best_of_n_accuracy(
        [s.scores for s in prepared.scored], [i.gold_index for i in items]
    )
    intervals = {"acc": accuracy.strict, "acc_tie_aware": accuracy.tie_aware}
    per_item: dict[str, list[float]] = {}
    units = prepared.scored_units or [None] * len(items)
    for sample, scored, tokens, item_units in zip(
        prepared.samples, prepared.scored, prepared.tokens, units, strict=True
    ):
        metrics = prepared.method.item_metrics(
            sample.item, scored, sample.outputs, prepared.sampled
        )
        metrics = {k: v for k, v in metrics.items() if k not in intervals}
        metrics["generated_tokens_per_item"] = float(tokens_of_first(tokens, None))
        if prepared.sampled:
            for k in TOKEN_SUBSET_SIZES:
                metrics[f"generated_tokens_per_item_k{k}"] = float(tokens_of_first(tokens, k))
        if isinstance(prepared.method, FlipLikelihoodMethod):
            metrics |= prepared.method.per_token_metrics(metrics, item_units)  # type: ignore[arg-type]
            metrics["forward_passes_per_item"] = float(len(scored.calls))
        for name, value in metrics.items():
            per_item.setdefault(name, []).append(value)
    intervals.update({name: bootstrap_interval(values) for name, values in per_item.items()})
    return metric_rows(run_id, intervals)
