"""``flip ingest-rerank``: best-of-N reranking results (``flip rerank`` output) into the store.

A reranking benchmark such as the AlpacaEval best-of-11 set has no gold candidate: each
candidate carries an external reference score instead (its GPT-4-turbo win rate against the
reference answer). So its prompts are stored as items without ``gold_index`` whose candidates
hold ``reference_score``, and a reranking run (one method, one model, one output file) as a run
of domain ``all`` with, per prompt, every candidate's score and the pick. The run's headline
metric is ``mean_reference_score``: the mean reference score of the picks, with a 95% bootstrap
interval over prompts (the paper's extrinsic measure). ``outcome.correct`` records whether the
pick is a best candidate by reference score (an oracle hit; ``tie_aware`` shares it among tied
best candidates), which the leaderboard reports as the oracle-hit rate.

Nothing in the output file is trusted: the candidate texts and reference scores come from the
input file the run read (``--input``), every row's input fingerprint must match its prompt
there, every pick must follow from the row's scores by the reranker's rule (the top score, the
first of tied candidates), and every score that can be recomputed from the row's logged raw
outputs is (:mod:`.rerank_verification`); a run whose scores only its model could recompute
(FLIP-likelihood's log-probabilities) is stored as *submitted, unverified*
(``run.verified`` false). Refused prompts (over the context budget) are counted, not stored as
picks. The run's and its model's rows are checked against their columns
(:mod:`flip_store.storable`) before the transaction opens, and the run is fingerprinted by its
canonical content (:mod:`.fingerprint`), so the same rows re-serialised or re-ordered are
recognised as stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from flip_core import __version__ as package_version
from flip_core.benchmarks import data_dir
from flip_core.catalog.models import is_alias, model_entry
from flip_core.errors import FlipInputError
from flip_core.selection import bootstrap_interval, pick_best, top_indices
from flip_rerank.inputs import RerankPrompt, load_rerank_prompts
from flip_rerank.pickers import picker_class
from flip_store.database import session_scope
from flip_store.ingest.fingerprint import content_fingerprint
from flip_store.ingest.rerank_verification import check_scores, verifiable
from flip_store.rows import insert_missing, insert_outcomes, insert_rows, metric_rows
from flip_store.schema import CandidateRow, ItemRow, MetricRow, ModelRow, RunRow, ScoreRow
from flip_store.storable import check_storable, check_storable_row

RERANK_DOMAIN = "all"

COMMITTED_RERANK_INPUT = Path("alpacaeval_bon") / "tulu2dpo13b_bo11_dev.jsonl"
"""The input (under ``$FLIP_DATA_DIR``) of the project's committed reranking runs."""


@dataclass(frozen=True)
class RerankIngest:
    """What one ingest did: the run's task name, whether it was new, and its prompt counts."""

    task: str
    stored: bool
    prompts: int
    refused: int


@dataclass(frozen=True)
class PreparedRerank:
    """A ``flip rerank`` output validated against its input, ready for one transaction."""

    run: RunRow
    model: dict[str, Any]
    prompts: dict[str, RerankPrompt]
    scored: list[dict[str, Any]]
    rows: int

    @property
    def counts(self) -> tuple[int, int]:
        """All prompts and the refused ones, as :class:`RerankIngest` reports them."""
        return self.rows, self.rows - len(self.scored)


def ingest_rerank(engine: Engine, results: Path, input_file: Path) -> RerankIngest:
    """Validate ``results`` (a ``flip rerank`` output) against ``input_file`` and store it in
    one transaction; an identical file already stored changes nothing."""
    return store_rerank(engine, prepare_rerank(results, input_file))


def prepare_rerank(results: Path, input_file: Path) -> PreparedRerank:
    """Everything before the store: read and check both files, build the run and model rows.
    ``flip ingest-rerank`` calls it before it opens, and so creates, the store, so that bad
    input creates no database."""
    rows = _read_rows(results)
    prompts = {prompt.id: prompt for prompt in load_rerank_prompts(input_file)}
    method = _one(rows, "method", results)
    settings = _settings(rows, results)
    _check_rows(rows, prompts, settings, results)
    scored = [row for row in rows if row["status"] == "ok"]
    if not scored:
        raise FlipInputError(f"{results}: every prompt was refused; nothing to store")
    model = _model_row(method, settings, rows[0])
    check_storable(ModelRow, model, "the model")
    run = _run_row(rows, method, settings, input_file, results)
    check_storable_row(run, "the run")
    return PreparedRerank(run, model, prompts, scored, len(rows))


def store_rerank(engine: Engine, prepared: PreparedRerank) -> RerankIngest:
    """Write a prepared reranking run in one transaction, unless the same run is stored."""
    run, model, prompts, scored = prepared.run, prepared.model, prepared.prompts, prepared.scored
    with session_scope(engine) as session:
        stored = select(RunRow.id).where(RunRow.fingerprint == run.fingerprint)
        if session.scalar(stored) is not None:
            return RerankIngest(run.task, False, *prepared.counts)
        _store_items(session, [prompts[row["id"]] for row in scored], run.benchmark)
        insert_missing(session, ModelRow, [model], ["name"])
        run.model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == model["name"]))
        session.add(run)
        session.flush()
        _store_results(session, run.id, scored, prompts, prepared.rows)
    return RerankIngest(run.task, True, *prepared.counts)


def _settings(rows: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    """The reranker's settings, which every row must repeat."""
    _one(rows, "settings", path)
    settings = rows[0].get("settings") or {}
    if not isinstance(settings, dict):
        raise FlipInputError(f"{path}: the rows' settings are not an object")
    return settings


def _check_rows(
    rows: list[dict[str, Any]],
    prompts: dict[str, RerankPrompt],
    settings: dict[str, Any],
    path: Path,
) -> None:
    """Every row is checked against its prompt, and appears once."""
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        where = f"{path}:{number}"
        _check_row(row, prompts, where)
        if row["id"] in seen:
            raise FlipInputError(f"{where}: prompt {row['id']!r} is logged twice")
        seen.add(row["id"])
        if row["status"] == "ok":
            check_scores(row, prompts[row["id"]], settings, where)


def _run_row(
    rows: list[dict[str, Any]],
    method: str,
    settings: dict[str, Any],
    input_file: Path,
    results: Path,
) -> RunRow:
    """The run's row, without its model (known once the model row is stored)."""
    benchmark = rows[0]["id"].split(":")[0]
    task = f"rerank_{method}_{benchmark}"
    return RunRow(
        fingerprint=content_fingerprint(
            {"task": task}, sorted(rows, key=lambda row: str(row["id"]))
        ),
        task=task,
        method=method,
        benchmark=benchmark,
        domain=RERANK_DOMAIN,
        profile=_profile_name(settings),
        backend=settings.get("backend"),
        prompt_hash=settings.get("prompt_hash"),
        dataset_revision=hashlib.sha256(input_file.read_bytes()).hexdigest()[:16],
        package_version=package_version,
        generation_settings=settings,
        ingested_at=datetime.now(UTC),
        # flip rerank counts generated tokens with the backend's tokenizer
        token_count_method="tokenizer" if picker_class(method).uses_model else "none",
        source_path=str(results),
        verified=verifiable(method),
    )


def _profile_name(settings: dict[str, Any]) -> Any:
    """The decoding profile's name as the reranker logged it (``none`` for model-free ones)."""
    profile = settings.get("profile") or {}
    if not isinstance(profile, dict):
        raise FlipInputError("the rows' settings.profile is not a decoding profile")
    return profile.get("name", "none")


def _model_row(method: str, settings: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The model table's row of the reranker: a model-free picker, a zoo model by its
    catalogue name (the name its lm-eval runs carry), else the model as logged."""
    picker = picker_class(method)
    free = not picker.uses_model
    return {
        "name": picker.store_model_name or _model_name(settings, row),
        "family": "model-free" if free else None,
        "is_baseline": free,
    }


def _model_name(settings: dict[str, Any], row: dict[str, Any]) -> str:
    model = str(settings.get("model") or "")
    if is_alias(model):
        return model_entry(model).display_name
    return str(row.get("model_name") or "unknown model")


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise FlipInputError(f"cannot read {path}: {error}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise FlipInputError(f"{path}:{number}: not a JSON line") from None
        if not isinstance(row, dict):
            raise FlipInputError(f"{path}:{number}: not a flip rerank result row")
        rows.append(row)
    if not rows:
        raise FlipInputError(f"{path} holds no result rows")
    return rows


def _one(rows: list[dict[str, Any]], key: str, path: Path) -> str:
    values = {str(row.get(key)) for row in rows}
    if len(values) != 1:
        raise FlipInputError(f"{path}: rows disagree on {key} ({', '.join(sorted(values))})")
    return values.pop()


def _check_row(row: dict[str, Any], prompts: dict[str, RerankPrompt], where: str) -> None:
    """The row belongs to the input (same fingerprint) and its pick follows from its scores."""
    try:
        prompt = prompts.get(row["id"])
        if prompt is None:
            raise FlipInputError(f"{where}: prompt {row['id']!r} is not in the input file")
        if row["input_fingerprint"] != prompt.fingerprint:
            raise FlipInputError(f"{where}: prompt {row['id']!r} differs from the input file")
        if prompt.reference_scores is None:
            raise FlipInputError(f"{where}: the input has no reference scores to store")
        if row["status"] != "ok":
            return
        scores = [candidate["score"] for candidate in row["candidates"]]
        if len(scores) != len(prompt.candidates):
            raise FlipInputError(f"{where}: {len(scores)} scores for {len(prompt.candidates)}")
        if row["picked_index"] != pick_best(scores, tie_break="first"):
            raise FlipInputError(f"{where}: the pick does not follow from the scores")
    except (KeyError, TypeError) as error:
        raise FlipInputError(f"{where}: not a flip rerank result row ({error})") from None


def _store_items(session: Any, prompts: list[RerankPrompt], benchmark: str) -> None:
    insert_missing(
        session,
        ItemRow,
        [
            {
                "id": prompt.id,
                "benchmark": benchmark,
                "domain": prompt.domain or RERANK_DOMAIN,
                "instruction": prompt.instruction,
                "gold_index": None,
                "dataset_source": f"{benchmark} (flip rerank input)",
                "dataset_revision": prompt.fingerprint,
            }
            for prompt in prompts
        ],
        ["id"],
    )
    insert_missing(
        session,
        CandidateRow,
        [
            {
                "item_id": prompt.id,
                "position": position,
                "text": text,
                "length_chars": len(text),
                "is_chosen": None,
                "reference_score": reference,
            }
            for prompt in prompts
            for position, (text, reference) in enumerate(
                zip(prompt.candidates, prompt.reference_scores or (), strict=True)
            )
        ],
        ["item_id", "position"],
    )


def _store_results(
    session: Any,
    run_id: int,
    scored: list[dict[str, Any]],
    prompts: dict[str, RerankPrompt],
    total: int,
) -> None:
    scores, outcomes, picked_values, failures = [], [], [], []
    for row in scored:
        references = prompts[row["id"]].reference_scores or ()
        candidates = row["candidates"]
        scores += [
            {"run_id": run_id, "item_id": row["id"], "position": i, "value": c["score"]}
            for i, c in enumerate(candidates)
        ]
        best = top_indices(list(references))
        picked = row["picked_index"]
        statuses = [c["parse_status"] for c in candidates if "parse_status" in c]
        failure = sum(s == "failed" for s in statuses) / len(statuses) if statuses else 0.0
        outcomes.append(
            {
                "run_id": run_id,
                "item_id": row["id"],
                "picked_position": picked,
                "correct": best == [picked],
                "tie_aware": 1.0 / len(best) if picked in best else 0.0,
                "parse_fail_rate": failure,
            }
        )
        picked_values.append(references[picked])
        failures.append(failure)
    insert_rows(session, ScoreRow, scores)
    insert_outcomes(session, run_id, outcomes)
    intervals = {
        "mean_reference_score": bootstrap_interval(picked_values),
        "oracle_hit_rate": bootstrap_interval([float(o["correct"]) for o in outcomes]),
        "parse_fail_rate": bootstrap_interval(failures),
    }
    rows = metric_rows(run_id, intervals)
    rows.append(
        {
            "run_id": run_id,
            "name": "refused_prompts",
            "value": float(total - len(scored)),
            "ci_low": None,
            "ci_high": None,
            "n": total,
        }
    )
    insert_rows(session, MetricRow, rows)


def ingest_committed_reranks(engine: Engine, folder: Path) -> list[str]:
    """Store every committed reranking output in ``folder`` (``results/rerank``), read against
    the AlpacaEval development file under ``$FLIP_DATA_DIR``; one line per file, and a line
    saying why nothing was stored when the folder or the data is missing."""
    root = data_dir()
    input_file = None if root is None else root / COMMITTED_RERANK_INPUT
    outputs = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not outputs:
        return [f"no reranking results in {folder}"]
    if input_file is None or not input_file.is_file():
        return [
            f"reranking results not stored: their input ({COMMITTED_RERANK_INPUT}) is not "
            "under $FLIP_DATA_DIR"
        ]
    lines = []
    for output in outputs:
        done = ingest_rerank(engine, output, input_file)
        lines.append(f"{'stored' if done.stored else 'already stored'}: {done.task}")
    return lines
