"""What an outside test of the store found, each fixed at its root and kept fixed: cherry-picked
runs, wrongly typed fields, byte-level duplicates, another copy of the data, labels taken on
trust, NaN that passes a comparison, names a database rejects, concurrent creators of a new
store (issue 16). Every test here fails on the code the issue was filed on."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from cli_runner import BIN
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.schema import ItemRow, RunRow


@pytest.fixture
def data_env(lm_eval_output, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(lm_eval_output.parent / "data"))


@pytest.fixture
def raw(lm_eval_output, tmp_path) -> Path:
    """A private copy of the fake-model output (FLIP and the listwise judge, 2 Neighbor pairs)."""
    target = tmp_path / "raw"
    shutil.copytree(lm_eval_output, target)
    return target


def results_of(raw: Path) -> Path:
    (path,) = raw.rglob("results_*.json")
    return path


def samples_of(raw: Path, task: str = "flip_llmbar_neighbor") -> Path:
    (path,) = raw.rglob(f"samples_{task}_*.jsonl")
    return path


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_records(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def edit_results(raw: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = results_of(raw)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def ingest(tmp_path: Path, raw: Path, name: str = "flip.db"):  # type: ignore[no-untyped-def]
    engine = open_engine(f"sqlite:///{tmp_path / name}", create=True)
    return engine, ingest_path(engine, raw, progress=lambda line: None)


def stored_tasks(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return sorted(session.scalars(select(RunRow.task)))


def one_line_rejection(report, *needles: str) -> str:  # type: ignore[no-untyped-def]
    (line,) = report.rejected
    assert "\n" not in line and len(line) < 600, line
    for needle in needles:
        assert needle in line, line
    return line


# --- 1. a cherry-picked run ---------------------------------------------------------------------


def test_a_run_of_only_its_correct_items_is_refused(raw, data_env, tmp_path):
    samples = samples_of(raw, "judge_listwise_llmbar_neighbor")
    write_records(samples, records(samples)[:1])  # keep one of the two items
    edit_results(
        raw, lambda d: d["results"]["judge_listwise_llmbar_neighbor"].update({"acc,none": 1.0})
    )
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, "judge_listwise_llmbar_neighbor", "logs 1 items of 2", "--limit")
    assert stored_tasks(engine) == ["flip_llmbar_neighbor"]  # the rest of the folder is stored


def test_a_limited_run_must_hold_exactly_the_first_items(raw, data_env, tmp_path):
    samples = samples_of(raw)
    write_records(samples, records(samples)[1:])  # the second item only
    edit_results(raw, lambda d: d["config"].update({"limit": 1}))
    _, report = ingest(tmp_path, raw)
    assert any("the first 1 items (--limit)" in line for line in report.rejected)


# --- 4. wrongly typed fields: one line each, the other runs still stored ------------------------


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.update(configs=["flip_llmbar_neighbor"]), "configs"),
        (lambda d: d.update(configs="flip_llmbar_neighbor"), "configs"),
        (lambda d: d.update(date="yesterday"), "date"),
        (lambda d: d["config"].update(model_num_parameters="many"), "model_num_parameters"),
        (lambda d: d["config"].update(limit="all"), "limit"),
    ],
)
def test_a_wrongly_typed_results_field_rejects_the_file_in_one_line(
    raw, data_env, tmp_path, change, needle
):
    edit_results(raw, change)
    _, report = ingest(tmp_path, raw)
    one_line_rejection(report, needle)


def beside_an_intact_copy(edited: Path, intact: Path) -> Path:
    """A folder holding an edited output (read first) and an intact copy of the same runs, so
    a test can show that refusing one results file costs the folder none of its other runs."""
    folder = edited.parent / "folder"
    shutil.copytree(edited, folder / "a-edited")
    shutil.copytree(intact, folder / "z-intact")
    return folder


def renamed_task(name: str):  # type: ignore[no-untyped-def]
    def rename(document: dict) -> None:
        document["configs"][name] = document["configs"].pop("flip_llmbar_neighbor")

    return rename


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.update(date=1e13), "date"),  # past the last year a date can hold
        (lambda d: d.update(date=-1e13), "date"),
        (renamed_task("flip/llmbar_neighbor"), "configs"),  # names no samples file
        (renamed_task("flip\nllmbar_neighbor"), "configs"),
        (lambda d: d["config"].update(model_num_parameters=2**63), "parameters"),
    ],
)
def test_a_value_out_of_range_is_a_one_line_reason_and_the_folder_goes_on(
    raw, data_env, tmp_path, lm_eval_output, change, needle
):
    edit_results(raw, change)
    engine, report = ingest(tmp_path, beside_an_intact_copy(raw, lm_eval_output))
    assert report.rejected
    for line in report.rejected:
        assert "\n" not in line and len(line) < 600 and needle in line, line
    assert stored_tasks(engine) == ["flip_llmbar_neighbor", "judge_listwise_llmbar_neighbor"]


def test_a_text_accuracy_rejects_only_its_run(raw, data_env, tmp_path):
    edit_results(raw, lambda d: d["results"]["flip_llmbar_neighbor"].update({"acc,none": "high"}))
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, "reported acc of flip_llmbar_neighbor is not a finite number")
    assert stored_tasks(engine) == ["judge_listwise_llmbar_neighbor"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda r: r["doc"]["candidates"].__setitem__(0, 7), "candidates"),
        (lambda r: r["doc"].update(item_id=["llmbar", "neighbor", "0"]), "item_id"),
        (lambda r: r["doc"].update(prompt_hash={"sha": "x"}), "prompt_hash"),
        (lambda r: r["resps"][0].__setitem__(0, 12), "not text"),
        (lambda r: r["doc"].update(benchmark="llm\x00bar"), "control characters"),
    ],
)
def test_a_wrongly_typed_document_rejects_its_run_in_one_line(
    raw, data_env, tmp_path, mutate, needle
):
    samples = samples_of(raw)
    rows = records(samples)
    mutate(rows[0])
    write_records(samples, rows)
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, needle)
    assert stored_tasks(engine) == ["judge_listwise_llmbar_neighbor"]


def test_a_duplicated_item_line_is_a_reason_not_an_integrity_error(raw, data_env, tmp_path):
    samples = samples_of(raw)
    rows = records(samples)
    write_records(samples, [*rows, rows[0]])
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, "logged twice")
    assert stored_tasks(engine) == ["judge_listwise_llmbar_neighbor"]


def test_a_folder_named_like_a_results_file_is_one_line(raw, data_env, tmp_path):
    (raw / "results_2026-01-01T00-00-00.json").mkdir()
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, "is not a file")
    assert len(stored_tasks(engine)) == 2


# --- 8. the same run, re-serialised ------------------------------------------------------------


def test_byte_level_changes_do_not_store_another_copy(raw, data_env, tmp_path):
    engine, first = ingest(tmp_path, raw)
    assert len(first.stored) == 2
    samples = samples_of(raw)
    rows = records(samples)
    samples.write_text(
        "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows[::-1]) + "\n\n"
    )
    again = ingest_path(engine, raw, progress=lambda line: None)
    assert not again.stored and len(again.unchanged) == 2
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RunRow)) == 2


# --- 9. another copy of the data under the same ids ---------------------------------------------


def test_a_run_checked_against_other_texts_under_the_same_ids_is_refused(
    raw, data_env, tmp_path, lm_eval_output, monkeypatch
):
    engine, _ = ingest(tmp_path, raw)
    other = tmp_path / "other-data"
    shutil.copytree(lm_eval_output.parent / "data", other)
    path = other / "llmbar" / "Adversarial_Neighbor.json"
    pairs = json.loads(path.read_text())
    pairs[0]["output_2"] = "a rejected answer someone rewrote"
    path.write_text(json.dumps(pairs))
    monkeypatch.setenv("FLIP_DATA_DIR", str(other))
    samples = samples_of(raw)
    rows = records(samples)
    rows[0]["doc"]["candidates"][1] = "a rejected answer someone rewrote"
    write_records(samples, rows)
    report = ingest_path(engine, raw, progress=lambda line: None)
    assert any("is stored with other texts" in line for line in report.rejected)
    with Session(engine) as session:
        texts = session.scalar(
            select(ItemRow.content_hash).where(ItemRow.id == "llmbar:neighbor:0")
        )
    assert texts  # the stored item is untouched


# --- 10. labels and NaN --------------------------------------------------------------------------


def test_the_profile_is_derived_from_the_logged_settings(raw, data_env, tmp_path):
    def relabel(document):
        for config in document["configs"].values():
            config["metadata"]["profile"] = "default"  # the run generated with 128 tokens
            if config.get("generation_kwargs"):
                config["generation_kwargs"]["max_gen_toks"] = 128

    edit_results(raw, relabel)
    engine, report = ingest(tmp_path, raw)
    assert not report.rejected
    with Session(engine) as session:
        profiles = set(session.scalars(select(RunRow.profile)))
    assert profiles == {"cpu"}  # the settings are the cpu profile's, whatever the label said


def test_a_profile_that_is_no_harness_profile_is_refused(raw, data_env, tmp_path):
    def relabel(document):
        document["configs"]["flip_llmbar_neighbor"]["metadata"]["profile"] = "paper"

    edit_results(raw, relabel)
    _, report = ingest(tmp_path, raw)
    one_line_rejection(report, "not a harness profile")


def test_the_stored_revision_is_the_checked_datas_not_the_label(raw, data_env, tmp_path):
    samples = samples_of(raw)
    rows = records(samples)
    for row in rows:
        row["doc"]["dataset_revision"] = "v999-trust-me"
    write_records(samples, rows)
    engine, report = ingest(tmp_path, raw)
    assert not report.rejected
    with Session(engine) as session:
        revisions = set(session.scalars(select(RunRow.dataset_revision)))
    assert len(revisions) == 1 and revisions.pop().startswith("sha256:")


def test_nan_is_a_mismatch_not_a_pass(raw, data_env, tmp_path):
    samples = samples_of(raw)
    text = samples.read_text().replace('"acc": 1.0', '"acc": NaN', 1)
    assert "NaN" in text
    samples.write_text(text)
    edit_results(
        raw, lambda d: d["results"]["judge_listwise_llmbar_neighbor"].update({"acc,none": math.nan})
    )
    _, report = ingest(tmp_path, raw)
    assert len(report.rejected) == 2 and not report.stored
    assert any("not a number JSON allows" in line for line in report.rejected)
    assert any("not a finite number" in line for line in report.rejected)


def test_nan_where_nobody_reads_it_is_stored_as_null(raw, data_env, tmp_path):
    edit_results(
        raw, lambda d: d["results"]["flip_llmbar_neighbor"].update({"acc_stderr,none": math.nan})
    )
    engine, report = ingest(tmp_path, raw)
    assert len(report.stored) == 2
    with Session(engine) as session:
        stored = session.scalar(select(RunRow.raw_results).where(RunRow.method == "flip"))
    assert stored["results"]["flip_llmbar_neighbor"]["acc_stderr,none"] is None


# --- 12. names a database refuses, validated before either database sees them -------------------


def test_a_model_name_with_a_nul_or_too_long_is_refused(raw, data_env, tmp_path):
    edit_results(raw, lambda d: d["config"].update(model_args={"pretrained": "evil\x00model"}))
    _, report = ingest(tmp_path, raw)
    assert report.rejected and all("not storable" in line for line in report.rejected)
    edit_results(raw, lambda d: d["config"].update(model_args={"pretrained": "m" * 400}))
    _, report = ingest(tmp_path, raw, "second.db")
    assert report.rejected and all("not storable" in line for line in report.rejected)


def model_args(**arguments: object):  # type: ignore[no-untyped-def]
    return lambda d: d["config"].update(model_args=arguments)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d["config"].update(model="b" * 41), "backend"),
        (lambda d: d["config"].update(model_dtype="d" * 41), "dtype"),
        (model_args(dtype="d" * 41), "dtype"),
        (model_args(revision="r" * 101), "revision"),
        (model_args(revision=["main"]), "model_args.revision is not text"),
        (lambda d: d.update(lm_eval_version="v" * 41), "lm_eval_version"),
        (
            lambda d: d["configs"]["flip_llmbar_neighbor"]["generation_kwargs"].update(
                stop_after=math.nan
            ),
            "not finite",
        ),
    ],
)
def test_a_value_its_column_cannot_hold_is_refused_before_any_database(
    raw, data_env, tmp_path, change, needle
):
    edit_results(raw, change)
    engine, report = ingest(tmp_path, raw)
    assert report.rejected
    for line in report.rejected:
        assert "\n" not in line and len(line) < 600 and needle in line, line
    assert "flip_llmbar_neighbor" not in stored_tasks(engine)


def test_the_length_limits_are_the_columns_own(raw, data_env, tmp_path):
    """Values exactly as long as their columns are stored: the limits are read from the
    tables, so validation and schema cannot drift apart."""
    from flip_store.schema import ModelRow
    from flip_store.storable import column_length

    def at_the_limits(document: dict) -> None:
        document["config"].update(
            model="b" * column_length(RunRow.backend),
            model_args={
                "dtype": "d" * column_length(ModelRow.dtype),
                "revision": "r" * column_length(ModelRow.revision),
            },
        )

    edit_results(raw, at_the_limits)
    engine, report = ingest(tmp_path, raw)
    assert not report.rejected and len(report.stored) == 2
    with Session(engine) as session:
        model = session.scalars(select(ModelRow)).one()
    assert (len(model.dtype), len(model.revision)) == (40, 100)


def test_a_task_whose_name_its_metadata_do_not_give_is_refused(raw, data_env, tmp_path):
    def rename(document):
        document["configs"]["x" * 130] = document["configs"].pop("flip_llmbar_neighbor")

    edit_results(raw, rename)
    engine, report = ingest(tmp_path, raw)
    one_line_rejection(report, "the metadata describe task flip_llmbar_neighbor")
    assert stored_tasks(engine) == ["judge_listwise_llmbar_neighbor"]


# --- 11. token counts: one unit, filled in by a later ingest ------------------------------------


def test_a_later_ingest_fills_in_the_token_counts_an_earlier_one_could_not_count(
    raw, data_env, tmp_path, monkeypatch
):
    from conftest import WordTokenizer

    from flip_store.model_identity import ModelIdentity
    from flip_store.schema import CallRow, MetricRow

    monkeypatch.setattr(ModelIdentity, "tokenizer", lambda self: None)  # not on this machine
    engine, first = ingest(tmp_path, raw)
    assert len(first.stored) == 2

    def flip_run(session: Session) -> RunRow:
        return session.scalars(select(RunRow).where(RunRow.method == "flip")).one()

    def metric_names(session: Session, run: RunRow) -> set[str]:
        return set(session.scalars(select(MetricRow.name).where(MetricRow.run_id == run.id)))

    with Session(engine) as session:
        run = flip_run(session)
        assert run.token_count_method == "unknown"
        assert "generated_tokens_per_item" not in metric_names(session, run)
    monkeypatch.setattr(ModelIdentity, "tokenizer", lambda self: WordTokenizer())
    again = ingest_path(engine, raw, progress=lambda line: None)
    assert len(again.unchanged) == 2 and not again.stored  # the same runs, completed
    with Session(engine) as session:
        run = flip_run(session)
        assert run.token_count_method == "tokenizer"
        calls = session.scalars(select(CallRow).where(CallRow.run_id == run.id)).all()
        for call in calls:
            words = sum(len(text.split()) for text in call.raw_outputs)
            assert call.generated_tokens == words and words > 0
        assert "generated_tokens_per_item" in metric_names(session, run)
        assert session.scalar(select(func.count()).select_from(RunRow)) == 2


# --- 12b. a samples file padded with blank lines is streamed ------------------------------------


def test_a_samples_file_padded_with_blank_lines_is_read_line_by_line(raw, data_env, tmp_path):
    ingest(tmp_path, raw, "warm.db")  # imports and caches are not what is measured
    samples = samples_of(raw)
    rows = records(samples)
    padding = (" " * 1023 + "\n") * (10 * 1024)  # 10 MiB of blank lines between the records
    samples.write_text(json.dumps(rows[0]) + "\n" + padding + json.dumps(rows[1]) + "\n" + padding)
    size = samples.stat().st_size
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    tracemalloc.start()
    try:
        report = ingest_path(engine, raw, progress=lambda line: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(report.stored) == 2 and not report.rejected
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte file"


# --- 5. several ingests creating a new store at once --------------------------------------------


def _parallel_ingests(raw: Path, url: str, count: int) -> list[subprocess.CompletedProcess]:
    processes = [
        subprocess.Popen(
            [str(BIN / "flip"), "ingest", str(raw), "--db", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=600), *p.communicate())
        for p in processes
    ]


def test_ingests_creating_a_new_sqlite_store_at_once_all_succeed(raw, data_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'flip.db'}"
    done = _parallel_ingests(raw, url, 6)
    assert [d.returncode for d in done] == [0] * 6, [d.stderr[-500:] for d in done]
    assert len(stored_tasks(open_engine(url))) == 2


def test_ingests_creating_a_new_postgresql_store_at_once_all_succeed(
    raw, data_env, postgres_instance
):
    from postgres_server import create_database

    bin_dir, port = postgres_instance
    url = create_database(bin_dir, port, "flip_concurrent_create")
    done = _parallel_ingests(raw, url, 6)
    assert [d.returncode for d in done] == [0] * 6, [d.stderr[-500:] for d in done]
    assert len(stored_tasks(open_engine(url))) == 2
