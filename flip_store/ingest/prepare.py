"""One logged task -> a validated, re-scored run, before any database is touched.

Nothing in the files is trusted (docs/conventions.md, "Results and the store"):

- the task's metadata must name a known method, benchmark, domain and variant, and the task's
  name must be the one the catalogue gives them;
- every logged item must be the benchmark's own (instruction, candidates, gold), as the task
  showed it (a probe's edits are applied again here), and appear once; a full run must cover
  every item of its domain and a ``--limit N`` run exactly the first N (it is stored as
  limited), so a cherry-picked subset can never pass for a run;
- every score is recomputed from the raw outputs with the method configured as the documents
  say; a logged or reported value that differs (or is not a finite number) rejects the run;
- the decoding profile is derived from the logged generation settings, and the dataset
  revision is that of the data the items were checked against here, not the file's label;
- generated tokens are counted with the model's tokenizer (one unit everywhere); where it
  cannot be loaded they are unknown, never counted in another unit.

The result, :class:`PreparedRun`, carries a fingerprint of its canonical content (the model,
the task, the settings and every item's document and outputs, in item order), so the same run
re-serialised, re-ordered or padded with blank lines is recognised as stored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from flip_core.benchmarks import LoadedBenchmark, load_benchmark
from flip_core.catalog.benchmarks import BENCHMARKS
from flip_core.catalog.variants import SAMPLED, VARIANTS
from flip_core.errors import FlipError, FlipInputError
from flip_core.items import Item
from flip_core.logged_samples import LoggedSample, document_method, read_samples
from flip_core.methods import METHOD_NAMES, ItemScores, Method
from flip_core.probes import apply_probe
from flip_core.profiles import profile_of_settings
from flip_store.ingest.fingerprint import content_fingerprint
from flip_store.ingest.tokens import CallCost, count_costs
from flip_store.model_identity import ModelIdentity, identify_model
from harness_tasks.catalog import TaskSpec
from harness_tasks.lm_eval_output import LoggedTask

MAX_SAMPLES_BYTES = 256 * 1024 * 1024
SCORE_TOLERANCE = 1e-9


class NotOurTask(Exception):
    """A task in a results file that is not one of this project's (skipped, not rejected)."""


@dataclass(frozen=True)
class PreparedRun:
    """A validated, re-scored run, ready to be written in one transaction."""

    fingerprint: str
    logged: LoggedTask
    spec: TaskSpec
    method: Method
    """The method as the run configured it (from its logged documents)."""
    profile: str
    backend: str
    dataset_revision: str
    dataset_source: str
    model: ModelIdentity
    samples: list[LoggedSample]
    clean_items: list[Item]
    """The benchmark's own items, one per sample: what the store keeps as the item's
    candidates (a probe run's edited texts are recomputed from them, never stored)."""
    scored: list[ItemScores]
    costs: list[list[CallCost]]
    """Per item and call: generated tokens and whether the call finished (None: unknown)."""
    token_count_method: str
    scored_units: list[int | None] | None = None
    """Likelihood methods: per item, the scored continuation's length in tokens."""

    @property
    def task(self) -> str:
        return self.logged.task

    @property
    def sampled(self) -> bool:
        return self.spec.variant == SAMPLED

    @property
    def limit(self) -> float | None:
        return self.logged.run.config.limit


def prepare_run(logged: LoggedTask) -> PreparedRun:
    """Validate and re-score one task of a results file (raises :class:`NotOurTask` for
    other tasks, :class:`FlipInputError` with a one-line reason for bad ones)."""
    spec = _task_spec(logged)
    samples = _read_samples(logged.samples_file)
    method = _run_method(samples, logged.samples_file)
    if method.name != spec.method:
        raise FlipInputError(f"{logged.samples_file}: samples are not all of method {spec.method}")
    loaded = _benchmark_data(spec)
    clean = _check_items(samples, loaded, spec, logged)
    scored = [_rescore(sample, logged.samples_file) for sample in samples]
    _check_logged_scores(logged, method, spec.variant == SAMPLED, samples, scored)
    model = identify_model(logged.run)
    settings = logged.config.generation_kwargs if method.generative else None
    try:
        profile = profile_of_settings(
            str(logged.metadata.get("profile") or "default"), settings, spec.variant == SAMPLED
        )
    except FlipError as error:
        raise FlipInputError(f"{logged.task}: {error}") from None
    costs, counted_in, units = count_costs(model, method, samples, settings)
    return PreparedRun(
        fingerprint=_fingerprint(logged, model, profile, samples),
        logged=logged,
        spec=spec,
        method=method,
        profile=profile,
        backend=model.backend or "unknown",
        dataset_revision=loaded.revision,
        dataset_source=loaded.source,
        model=model,
        samples=samples,
        clean_items=clean,
        scored=scored,
        costs=costs,
        token_count_method=counted_in,
        scored_units=units,
    )


def _task_spec(logged: LoggedTask) -> TaskSpec:
    """The task's catalogue entry from its metadata; its name must be the catalogue's."""
    metadata = logged.metadata
    if metadata.get("method") not in METHOD_NAMES or "benchmark" not in metadata:
        raise NotOurTask(
            f"{logged.results_file}: task {logged.task} is not a flip-reward-bench task"
        )
    benchmark, domain = metadata.get("benchmark"), metadata.get("domain")
    variant = metadata.get("variant") or "none"
    if benchmark not in BENCHMARKS or not isinstance(domain, str):
        raise FlipInputError(f"{logged.task}: unknown benchmark {str(benchmark)[:40]!r}")
    if domain not in BENCHMARKS[benchmark].domain_names or variant not in VARIANTS:
        raise FlipInputError(
            f"{logged.task}: unknown domain or variant {domain[:40]!r} / {str(variant)[:40]!r}"
        )
    spec = TaskSpec(metadata["method"], benchmark, domain, variant)
    if spec.name != logged.task:
        raise FlipInputError(
            f"{logged.task[:120]}: the metadata describe task {spec.name}, not this one"
        )
    return spec


def _read_samples(path: Path) -> list[LoggedSample]:
    try:
        size = path.stat().st_size
    except OSError:
        raise FlipInputError(f"{path} is missing (run lm_eval with --log_samples)") from None
    if size > MAX_SAMPLES_BYTES:
        raise FlipInputError(f"{path} is {size} bytes, over the {MAX_SAMPLES_BYTES} byte limit")
    samples = list(read_samples(path))
    if not samples:
        raise FlipInputError(f"{path} holds no samples")
    return samples


def _run_method(samples: list[LoggedSample], source: Path) -> Method:
    """The run's method, configured as its documents say; they must all say the same."""
    try:
        methods = [document_method(sample.doc) for sample in samples]
    except FlipError as error:
        raise FlipInputError(f"{source}: {error}") from None
    if len({(m.name, json.dumps(m.settings, sort_keys=True)) for m in methods}) != 1:
        raise FlipInputError(f"{source}: samples disagree on the method's settings")
    if len({sample.doc["prompt_hash"] for sample in samples}) != 1:
        raise FlipInputError(f"{source}: samples disagree on the prompt-template hash")
    return methods[0]


def _benchmark_data(spec: TaskSpec) -> LoadedBenchmark:
    try:
        return load_benchmark(spec.benchmark, spec.domain)
    except FlipError as error:
        raise FlipInputError(
            f"cannot load the {spec.benchmark} data to check gold labels: {error}"
        ) from None


def _check_items(
    samples: list[LoggedSample], loaded: LoadedBenchmark, spec: TaskSpec, logged: LoggedTask
) -> list[Item]:
    """Each logged item is the benchmark's (as the variant shows it), once; the run covers
    its domain (all items, or the first ``--limit`` ones). Returns the clean items."""
    source = logged.samples_file
    reference = {item.id: item for item in loaded.items}
    seen: set[str] = set()
    clean = []
    for sample in samples:
        logged_item = sample.item
        if logged_item.id in seen:
            raise FlipInputError(f"{source}: item {logged_item.id} is logged twice")
        seen.add(logged_item.id)
        item = reference.get(logged_item.id)
        if item is None:
            raise FlipInputError(f"{source}: item {logged_item.id} is not in the benchmark data")
        shown = apply_probe(item, spec.variant) if VARIANTS[spec.variant].kind == "probe" else item
        if (logged_item.instruction, logged_item.candidates, logged_item.gold_index) != (
            shown.instruction,
            shown.candidates,
            shown.gold_index,
        ):
            raise FlipInputError(f"{source}: item {logged_item.id} differs from the benchmark data")
        clean.append(item)
    _check_coverage(seen, [item.id for item in loaded.items], logged)
    return clean


def _check_coverage(seen: set[str], domain_ids: list[str], logged: LoggedTask) -> None:
    limit = logged.run.config.limit
    expected = domain_ids if limit is None else domain_ids[: _limited_count(limit, domain_ids)]
    if seen != set(expected):
        what = "every item" if limit is None else f"the first {len(expected)} items (--limit)"
        raise FlipInputError(
            f"{logged.task}: logs {len(seen)} items of {len(domain_ids)}; a run must cover "
            f"{what} of its domain (a partial run is one made with --limit)"
        )


def _limited_count(limit: float, domain_ids: list[str]) -> int:
    """How many documents lm-eval evaluates under ``--limit`` (a fraction below 1)."""
    if limit < 1.0:
        return math.ceil(len(domain_ids) * limit)
    return min(int(limit), len(domain_ids))


def _rescore(sample: LoggedSample, source: Path) -> ItemScores:
    try:
        return sample.rescore()
    except FlipError as error:
        raise FlipInputError(f"{source}: {error}") from None


def _check_logged_scores(
    logged: LoggedTask,
    method: Method,
    sampled: bool,
    samples: list[LoggedSample],
    scored: list[ItemScores],
) -> None:
    """Logged values must equal the recomputation: else the file was altered or is foreign."""
    source = logged.samples_file
    accuracy = 0.0
    for sample, item_scores in zip(samples, scored, strict=True):
        recomputed = method.item_metrics(sample.item, item_scores, sample.outputs, sampled)
        accuracy += recomputed["acc"] / len(samples)
        for name, value in sample.logged_metrics.items():
            if name not in recomputed:
                raise FlipInputError(f"{source}: logged {name} is not a metric of this method")
            if not abs(value - recomputed[name]) <= SCORE_TOLERANCE:
                raise FlipInputError(
                    f"{source}: logged {name} of item {sample.item.id} ({value}) does not match "
                    f"its raw outputs ({recomputed[name]})"
                )
    reported = logged.run.reported(logged.task, "acc")
    if reported is not None and not abs(reported - accuracy) <= SCORE_TOLERANCE:
        raise FlipInputError(
            f"reported acc {reported} of {logged.task} does not match the recomputed {accuracy}"
        )


def _fingerprint(
    logged: LoggedTask, model: ModelIdentity, profile: str, samples: list[LoggedSample]
) -> str:
    """A digest of what the run is, not of how its files are laid out: model, task, profile,
    the run's settings, and every item's document and outputs in item order."""
    config = logged.run.config
    head = {
        "model": model.name,
        "backend": model.backend,
        "task": logged.task,
        "profile": profile,
        "limit": config.limit,
        "generation": logged.config.generation_kwargs,
        "seeds": [config.random_seed, config.numpy_seed, config.torch_seed],
    }
    ordered = sorted(samples, key=lambda s: s.doc["item_id"])
    return content_fingerprint(head, ({"doc": s.doc, "outputs": s.outputs} for s in ordered))
