"""The results store's tables (SQLAlchemy 2.x typed models).

Texts are stored once: an item and its candidates are shared by every run that scored them;
a run holds only what is specific to it (its calls with raw outputs, scores, outcomes,
metrics). Item ids follow docs/conventions.md (``{benchmark}:{domain}:{source id}``), so runs of
different models and methods join on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION = 3
"""Bump with a migration in :mod:`flip_store.migrations` whenever a table changes."""


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class SchemaInfoRow(Base):
    """One row: the schema version this database was built or migrated to."""

    __tablename__ = "schema_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class ItemRow(Base):
    __tablename__ = "item"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    benchmark: Mapped[str] = mapped_column(String(40), index=True)
    domain: Mapped[str] = mapped_column(String(40))
    instruction: Mapped[str] = mapped_column(Text)
    gold_index: Mapped[int | None] = mapped_column(Integer)
    dataset_source: Mapped[str] = mapped_column(String(300))
    dataset_revision: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the instruction, candidates and gold index (schema 3): a run checked against
    another copy of the data under the same ids is refused, not shown against these texts."""

    candidates: Mapped[list[CandidateRow]] = relationship(
        back_populates="item", order_by="CandidateRow.position"
    )

    __table_args__ = (Index("ix_item_benchmark_domain", "benchmark", "domain"),)


class CandidateRow(Base):
    __tablename__ = "candidate"

    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    length_chars: Mapped[int] = mapped_column(Integer)
    is_chosen: Mapped[bool | None] = mapped_column(Boolean)
    reference_score: Mapped[float | None] = mapped_column(Float)

    item: Mapped[ItemRow] = relationship(back_populates="candidates")


class ModelRow(Base):
    """A scorer model (or, for reranking, a model-free picker: ``is_baseline``)."""

    __tablename__ = "model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    family: Mapped[str | None] = mapped_column(String(60))
    parameters: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[str | None] = mapped_column(String(100))
    dtype: Mapped[str | None] = mapped_column(String(40))
    quantization: Mapped[str | None] = mapped_column(String(60))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    """The model file's SHA-256 where it is known (zoo models): its identity."""
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)


class RunRow(Base):
    """One task evaluated with one model: the unit that is ingested in one transaction."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"), index=True)
    task: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(60))
    benchmark: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str] = mapped_column(String(60), default="none")
    profile: Mapped[str] = mapped_column(String(40))
    backend: Mapped[str | None] = mapped_column(String(40))
    """The lm-eval model type that produced the run (hf, llamacpp, vllm): runs of different
    backends are never mixed in one leaderboard cell (schema 3)."""
    prompt_hash: Mapped[str | None] = mapped_column(String(40))
    dataset_revision: Mapped[str | None] = mapped_column(String(100))
    limit: Mapped[float | None] = mapped_column(Float)
    lm_eval_version: Mapped[str | None] = mapped_column(String(40))
    package_version: Mapped[str | None] = mapped_column(String(40))
    generation_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seeds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime)
    ingested_at: Mapped[datetime] = mapped_column(DateTime)
    token_count_method: Mapped[str] = mapped_column(String(20))
    """``tokenizer``: generated tokens are the model tokenizer's; anything else (``unknown``,
    and the ``characters`` of stores from before schema 3): not known in tokens."""
    source_path: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    """Every score was recomputed from the run's raw outputs (lm-eval runs always; reranking
    runs where their picker allows it). False: submitted, unverified (schema 3)."""
    raw_results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    model: Mapped[ModelRow] = relationship()

    __table_args__ = (Index("ix_run_comparable", "benchmark", "method", "model_id", "domain"),)


class CallRow(Base):
    """One model call of a run: what it showed, what the model wrote, what that meant."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"))
    call_index: Mapped[int] = mapped_column(Integer)
    shown: Mapped[list[Any]] = mapped_column(JSON)
    raw_outputs: Mapped[list[Any]] = mapped_column(JSON)
    parsed_values: Mapped[list[Any]] = mapped_column(JSON)
    parse_statuses: Mapped[list[Any]] = mapped_column(JSON)
    failed: Mapped[bool] = mapped_column(Boolean)
    generated_tokens: Mapped[int] = mapped_column(Integer)
    finished: Mapped[bool | None] = mapped_column(Boolean)
    """Every sample ended by itself before the token budget (None: unknown or nothing was
    generated; schema 3)."""
    guard: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What a guarded method's restatement guard did to the shown response (schema 3)."""

    __table_args__ = (
        UniqueConstraint("run_id", "item_id", "call_index"),
        Index("ix_call_item", "item_id", "run_id"),
    )


class ScoreRow(Base):
    """A candidate's score in a run (F1, mean rating, wins, pick share)."""

    __tablename__ = "score"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        ForeignKeyConstraint(["item_id", "position"], ["candidate.item_id", "candidate.position"]),
        Index("ix_score_item", "item_id"),
    )


class OutcomeRow(Base):
    """A run's verdict on an item: which candidate it picked and whether that was right."""

    __tablename__ = "outcome"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), primary_key=True)
    picked_position: Mapped[int | None] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    tie_aware: Mapped[float] = mapped_column(Float)
    parse_fail_rate: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_outcome_item", "item_id"),)


class RunVerdictsRow(Base):
    """A run's strict verdict per item in one row (schema 2): ``{item_id: correct}``.

    The same facts as the run's ``outcome.correct`` rows, kept together so that paired counts
    of hundreds of run pairs (the leaderboard's McNemar tests) read one row per run instead of
    joining ``outcome`` with itself item by item.
    """

    __tablename__ = "run_verdicts"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    verdicts: Mapped[dict[str, bool]] = mapped_column(JSON)


class MetricRow(Base):
    """An aggregate of a run, recomputed at ingest (never copied from the results file)."""

    __tablename__ = "metric"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
