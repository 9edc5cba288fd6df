"""flip ingest-rerank recomputes every candidate score it can from what a row logged, so a
consistent forgery (scores and pick edited together) is refused; FLIP-likelihood runs, which
only their model could recompute, are stored as submitted-unverified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flip_cli.main import main
from flip_core.errors import FlipInputError
from flip_store.database import open_engine
from flip_store.ingest.reranks import COMMITTED_RERANK_INPUT, ingest_rerank
from flip_store.schema import RunRow

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "results" / "rerank"


def forge(rows: list[dict], index: int = 0) -> None:
    """Make the last candidate of a row the top-scoring one and its pick: consistent with the
    pick rule, inconsistent with the raw outputs."""
    row = rows[index]
    top = max(c["score"] for c in row["candidates"] if c["score"] is not None)
    row["candidates"][-1]["score"] = top + 1.0
    row["picked_index"] = len(row["candidates"]) - 1
    row["top_indices"] = [row["picked_index"]]


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_a_consistent_forgery_of_a_model_free_run_is_refused(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "c:p0", "instruction": "x", "responses": ["a", "bbb", "cc"],
                    "reference_scores": [1.0, 2.0, 3.0]}) + "\n"
    )  # fmt: skip
    output = tmp_path / "longest.jsonl"
    assert (
        main(["rerank", "--input", str(source), "--method", "longest", "--output", str(output)])
        == 0
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    forge(rows)
    write(output, rows)
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    with pytest.raises(FlipInputError, match="do not follow from its logged raw outputs"):
        ingest_rerank(engine, output, source)
    with Session(engine) as session:
        assert not session.scalars(select(RunRow)).all()


def test_the_committed_flip_run_verifies_and_a_forged_copy_does_not(real_data_dir, tmp_path):
    source = real_data_dir / COMMITTED_RERANK_INPUT
    committed = COMMITTED / "alpacaeval-dev-flip-smollm2-135m-cpu.jsonl"
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    assert ingest_rerank(engine, committed, source).stored
    rows = [json.loads(line) for line in committed.read_text().splitlines()]
    forge(rows, index=3)
    forged = tmp_path / "forged.jsonl"
    write(forged, rows)
    with pytest.raises(FlipInputError, match=r":4: the candidate scores of prompt"):
        ingest_rerank(
            open_engine(f"sqlite:///{tmp_path / 'other.db'}", create=True), forged, source
        )


def test_a_flipll_run_is_stored_as_unverified(real_data_dir, tmp_path):
    source = real_data_dir / COMMITTED_RERANK_INPUT
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    for name in ("flip", "flipll"):
        ingest_rerank(engine, COMMITTED / f"alpacaeval-dev-{name}-smollm2-135m-cpu.jsonl", source)
    with Session(engine) as session:
        verified = {run.method: run.verified for run in session.scalars(select(RunRow))}
    assert verified == {"flip": True, "flipll": False}
