"""FLIP-likelihood (``flipll``, this project's extension): protocol, derived values, requests and
their boundaries, the store, and one real-model run."""

from __future__ import annotations

import json
import math
import random
import shutil
from itertools import permutations

import pytest
from harness_fakes import ContentJudgeLM, crafted_environment, write_crafted_data
from lm_eval import simple_evaluate
from lm_eval.tasks import TaskManager
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flip_core.errors import FlipConfigError, FlipInputError
from flip_core.items import Item
from flip_core.likelihood import (
    _warn_no_end_of_turn_marker,
    derive,
    item_metrics,
    likelihood_request,
    per_token_mean,
    pmi,
    read_loglikelihood,
)
from flip_core.methods import FlipLikelihoodMethod, get_method
from flip_core.prompts import flip_messages
from flip_core.selection import is_strictly_correct, pick_best
from harness_tasks.catalog import TASK_DIR

CANDIDATES = ("GOOD answer", "fine answer", "weak answer", "bad answer")
INSTRUCTION = "answer the question well"


def item_with(candidates, gold_index, item_id="t:x:1") -> Item:
    return Item(item_id, INSTRUCTION, tuple(candidates), gold_index)


def by_content(call) -> tuple[float, bool]:
    """A fake model's loglikelihood: by the response shown, never by its position."""
    response = call.conversation[1]["content"].split("\n")[1]
    quality = {"GOOD": 9, "fine": 6, "weak": 4, "bad": 1}
    value = next((v for word, v in quality.items() if word in response), None)
    return (-30.0, False) if value is None else (-20.0 + 2 * value, False)


# --- the method and the derived values --------------------------------------------------------


def test_one_call_per_candidate_then_the_empty_response_reference():
    item = item_with(CANDIDATES, 0)
    calls = get_method("flipll").calls(item)
    assert [call.shown for call in calls] == [(0,), (1,), (2,), (3,), ()]
    assert {call.continuation for call in calls} == {INSTRUCTION}
    assert [call.conversation for call in calls] == [
        *(flip_messages(text) for text in CANDIDATES),
        flip_messages(""),
    ]
    assert all(INSTRUCTION not in json.dumps(call.conversation) for call in calls)


def test_label_blind_requests_and_picks():
    method = get_method("flipll")
    assert method.calls(item_with(CANDIDATES, 0)) == method.calls(item_with(CANDIDATES, 3))
    for order in permutations(range(4)):
        candidates = [CANDIDATES[i] for i in order]
        item = item_with(candidates, candidates.index("GOOD answer"))
        scored = method.score(item, [[by_content(call)] for call in method.calls(item)])
        assert candidates[pick_best(scored.scores)] == "GOOD answer"
        assert is_strictly_correct(scored.scores, item.gold_index)


def test_scores_are_summed_logprobs_and_nothing_fails_to_parse():
    method = get_method("flipll")
    item = item_with(CANDIDATES[:2], 1)
    scored = method.score(item, [[(-7.5, False)], [(-3.25, True)], [(-9.0, False)]])
    assert scored.scores == [-7.5, -3.25]
    assert scored.parse_fail_rate == 0.0 and len(scored.calls) == 3
    assert FlipLikelihoodMethod.reference_logprob(scored) == -9.0
    with pytest.raises(FlipConfigError, match="needs 3 outputs, got 2"):
        method.score(item, [[(-1.0, False)], [(-1.0, False)]])
    with pytest.raises(FlipConfigError, match="expected 1"):
        method.score(item, [[(-1.0, False), (-1.0, False)], [(-1.0, False)], [(-2.0, False)]])


def test_pmi_and_per_token_mean():
    assert pmi(-3.0, -10.0) == 7.0
    assert per_token_mean(-6.0, 3) == -2.0
    with pytest.raises(ValueError, match="at least one scored unit"):
        per_token_mean(-6.0, 0)
    values = derive([(-4.0, True), (-8.0, False), (-10.0, False)], units=4)
    assert [v.pmi for v in values] == [6.0, 2.0, None]  # the reference has no PMI
    assert [v.per_token for v in values] == [-1.0, -2.0, -2.5]
    assert values[0].to_dict() == {
        "logprob": -4.0,
        "is_greedy": True,
        "pmi": 6.0,
        "logprob_per_token": -1.0,
        "scored_units": 4,
    }
    assert derive([(-4.0, True), (-8.0, False)])[0].per_token is None
    metrics = item_metrics([-4.0, -8.0, -6.0], reference=-10.0, gold_index=0)
    assert metrics == {
        "mean_logprob_chosen": -4.0,
        "mean_logprob_rejected": -7.0,
        "mean_pmi_chosen": 6.0,
        "mean_pmi_rejected": 3.0,
    }


def test_pmi_and_per_token_mean_rank_like_the_summed_logprob():
    rng = random.Random(7)
    for _ in range(200):
        logprobs = [-rng.uniform(0, 50) for _ in range(4)]
        reference = -rng.uniform(0, 60)
        values = derive([(lp, False) for lp in logprobs] + [(reference, False)], units=9)[:-1]
        assert pick_best(logprobs) == pick_best([v.pmi for v in values])
        assert pick_best(logprobs) == pick_best([v.per_token for v in values])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["-12.5", "False"], (-12.5, False)),
        ([-3, True], (-3.0, True)),
        (("0.0", "True"), (0.0, True)),
    ],
)
def test_logged_pairs_are_read(value, expected):
    assert read_loglikelihood(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["nan", "False"], "not a finite number"),
        (["-inf", "False"], "not a finite number"),
        (["-1e999", "False"], "not a finite number"),
        (["lots", "False"], "not a number"),
        ([True, "False"], "not a number"),
        ([None, "False"], "not a number"),
        (["-1.0", "maybe"], "not a boolean"),
        (["-1.0", 1], "not a boolean"),
        ("-1.0", "pair"),
        (["-1.0"], "pair"),
    ],
)
def test_bad_logged_pairs_are_input_errors(value, message):
    with pytest.raises(FlipInputError, match=message):
        read_loglikelihood(value)


# --- request boundaries --------------------------------------------------------------------------


def test_request_boundaries_with_a_chatml_template():
    hook = ContentJudgeLM().apply_chat_template
    messages = flip_messages("GOOD answer")
    context, continuation = likelihood_request(hook, messages, INSTRUCTION)
    assert context == hook(messages, add_generation_prompt=True)
    assert context.endswith("<|im_end|>\n<|im_start|>assistant\n")  # where the turn starts
    assert continuation == INSTRUCTION + "<|im_end|>"  # the whole turn, closed
    assert "<|im_start|>system\n" in context and "[Response]\nGOOD answer" in context


def test_request_boundaries_without_a_known_end_of_turn_marker(caplog):
    def plain(chat_history, add_generation_prompt=True):
        text = "".join(f"{m['role'].upper()}: {m['content']}\n" for m in chat_history)
        if add_generation_prompt:
            return text + "ASSISTANT: "
        final = chat_history[-1]["content"]
        return text[: text.rindex(final) + len(final)]

    _warn_no_end_of_turn_marker.cache_clear()  # it warns once per process
    context, continuation = likelihood_request(plain, flip_messages("x"), INSTRUCTION)
    assert context.endswith("ASSISTANT: ") and continuation == INSTRUCTION
    assert "no known end-of-turn marker" in caplog.text


def test_a_template_that_rewrites_the_answer_turn_is_refused():
    def thinking(chat_history, add_generation_prompt=True):
        text = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in chat_history)
        return text + "<assistant><think>\n" if add_generation_prompt else text

    with pytest.raises(FlipConfigError, match="whole turn"):
        likelihood_request(thinking, flip_messages("x"), INSTRUCTION)


# --- the harness task under a fake model -----------------------------------------------------


@pytest.fixture
def crafted_data(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(write_crafted_data(tmp_path / "data")))


def test_harness_requests_and_metrics(crafted_data):
    lm = ContentJudgeLM()
    manager = TaskManager(include_path=[str(TASK_DIR)], include_defaults=False)
    output = simple_evaluate(
        model=lm,
        tasks=["flipll_rb2_focus", "flipll_llmbar_neighbor"],
        task_manager=manager,
        apply_chat_template=True,
        log_samples=True,
    )
    assert lm.requests == []  # nothing is generated
    samples = output["samples"]["flipll_rb2_focus"] + output["samples"]["flipll_llmbar_neighbor"]
    assert len(lm.likelihood_requests) == sum(len(s["doc"]["candidates"]) + 1 for s in samples)
    for sample in samples:
        doc, arguments = sample["doc"], sample["arguments"]
        assert doc["method"] == "flipll" and doc["calls_shown"][-1] == []
        assert len(arguments) == len(doc["candidates"]) + 1
        assert {continuation for _, continuation in arguments} == {
            doc["instruction"] + "<|im_end|>"
        }
        for (context, _), candidate in zip(arguments[:-1], doc["candidates"], strict=True):
            assert f"[Response]\n{candidate}\n\nWhich instruction" in context
        contexts = [context for context, _ in arguments]
        assert all(c.startswith("<|im_start|>system\n") for c in contexts)
        assert all(c.endswith("<|im_start|>assistant\n") for c in contexts)
        assert sum("[Response]\n\n\n" in c for c in contexts) == 1  # one empty-response reference
        assert "[Response]\n\n\n" in contexts[-1]
    for task in ("flipll_rb2_focus", "flipll_llmbar_neighbor"):
        metrics = output["results"][task]
        assert metrics["acc,none"] == 1.0 and metrics["parse_fail_rate,none"] == 0.0
        assert metrics["mean_logprob_chosen,none"] > metrics["mean_logprob_rejected,none"]
        assert metrics["mean_pmi_chosen,none"] > metrics["mean_pmi_rejected,none"] > 0
    assert output["configs"]["flipll_rb2_focus"]["output_type"] == "loglikelihood"
    assert not output["configs"]["flipll_rb2_focus"].get("generation_kwargs")


def test_a_wrong_output_type_is_refused():
    from harness_tasks.best_of_n_task import BestOfNTask

    config = {
        "task": "flipll_demo",
        "output_type": "generate_until",
        "metadata": {"method": "flipll", "benchmark": "demo", "domain": "all"},
    }
    with pytest.raises(FlipConfigError, match="needs output_type loglikelihood"):
        BestOfNTask(config=config)


# --- the results store ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flipll_output(tmp_path_factory):
    root = tmp_path_factory.mktemp("flipll")
    with crafted_environment(root):
        run_tasks_fake(root / "raw")
    return root / "raw"


def run_tasks_fake(output):
    from flip_cli.harness_run import run_tasks

    run_tasks(ContentJudgeLM(), ["flipll_llmbar_neighbor", "flipll_rb2_focus"], output)


@pytest.fixture
def data_env(flipll_output, monkeypatch):
    monkeypatch.setenv("FLIP_DATA_DIR", str(flipll_output.parent / "data"))


def ingest(raw, tmp_path):
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path

    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    return engine, ingest_path(engine, raw, progress=lambda line: None)


def test_ingest_stores_logprobs_and_derived_values(
    flipll_output, data_env, tmp_path, word_tokenizer
):
    from flip_store.schema import CallRow, MetricRow, OutcomeRow, RunRow, ScoreRow

    engine, report = ingest(flipll_output, tmp_path)
    assert len(report.stored) == 2 and not report.rejected

    def count(table, *where):
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(table).where(*where))

    with Session(engine) as session:
        runs = {r.task: r for r in session.scalars(select(RunRow).where(RunRow.method == "flipll"))}
        llmbar, rb2 = runs["flipll_llmbar_neighbor"], runs["flipll_rb2_focus"]
        assert llmbar.token_count_method == "tokenizer"  # the word tokenizer stands in
        assert llmbar.generation_settings == {}
        assert count(CallRow, CallRow.run_id == llmbar.id) == 2 * 3
        assert count(CallRow, CallRow.run_id == rb2.id) == 3 * 5
        assert count(ScoreRow, ScoreRow.run_id == llmbar.id) == 2 * 2
        assert count(ScoreRow, ScoreRow.run_id == rb2.id) == 3 * 4
        assert count(OutcomeRow, OutcomeRow.run_id.in_([llmbar.id, rb2.id])) == 2 + 3
        calls = session.scalars(
            select(CallRow)
            .where(CallRow.run_id == rb2.id)
            .order_by(CallRow.item_id, CallRow.call_index)
        ).all()[:5]
        assert [c.shown for c in calls] == [[0], [1], [2], [3], []]
        assert calls[0].raw_outputs == [[-2.0, True]] and calls[4].raw_outputs == [[-25.0, False]]
        assert all(c.generated_tokens == 0 and c.parse_statuses == ["ok"] for c in calls)
        units = len((INSTRUCTION + "<|im_end|>").split())
        first, reference = calls[0].parsed_values[0], calls[4].parsed_values[0]
        assert first == {
            "logprob": -2.0,
            "is_greedy": True,
            "pmi": 23.0,
            "logprob_per_token": -2.0 / units,
            "scored_units": units,
        }
        assert reference["pmi"] is None and reference["logprob"] == -25.0
        scores = session.scalars(
            select(ScoreRow.value).where(
                ScoreRow.run_id == rb2.id, ScoreRow.item_id == calls[0].item_id
            )
        ).all()
        assert sorted(scores, reverse=True) == [-2.0, -8.0, -12.0, -18.0]
        metrics = {
            m.name: m.value
            for m in session.scalars(select(MetricRow).where(MetricRow.run_id == rb2.id))
        }
    assert metrics["acc"] == 1.0 and metrics["parse_fail_rate"] == 0.0
    assert metrics["generated_tokens_per_item"] == 0.0 and metrics["forward_passes_per_item"] == 5
    assert metrics["mean_logprob_chosen"] == -2.0
    assert metrics["mean_pmi_chosen"] == 23.0
    assert metrics["mean_logprob_per_token_chosen"] == pytest.approx(-2.0 / units)
    assert metrics["mean_pmi_rejected"] == pytest.approx(25.0 - 38.0 / 3)

    again = ingest_again(engine, flipll_output)
    assert not again.stored and len(again.unchanged) == 2
    assert count(CallRow, CallRow.run_id == rb2.id) == 15


def ingest_again(engine, raw):
    from flip_store.ingest import ingest_path

    return ingest_path(engine, raw, progress=lambda line: None)


def set_pair(record, call, value):
    record["resps"][call][0][0] = value
    record["filtered_resps"][call][0] = value


def set_arg(record, call, text):
    record["arguments"][f"gen_args_{call}"]["arg_1"] = text


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # a rejected candidate made likelier than the chosen one: the logged acc disagrees
        (lambda rec: set_pair(rec, 1, "-1.0"), "logged acc of item"),
        # ranking unchanged, but the logged mean log-probability of the rejected no longer holds
        (lambda rec: set_pair(rec, 1, "-17.5"), "logged mean_logprob_rejected"),
        (lambda rec: set_pair(rec, 0, "nan"), "not a finite number"),
        (lambda rec: set_pair(rec, 0, "-inf"), "not a finite number"),
        (lambda rec: rec["resps"][0][0].__setitem__(0, "-2.5"), "filtered_resps differ"),
        (lambda rec: set_arg(rec, 1, "something else<|im_end|>"), "one identical continuation"),
        (
            lambda rec: [set_arg(rec, k, "other<|im_end|>") for k in range(3)],
            "not its instruction",
        ),
    ],
)
def test_tampered_runs_are_rejected_and_write_nothing(
    flipll_output, data_env, tmp_path, mutate, message
):
    from flip_store.schema import RunRow

    raw = tmp_path / "raw"
    shutil.copytree(flipll_output, raw)
    (samples_file,) = raw.rglob("samples_flipll_llmbar_neighbor_*.jsonl")
    records = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert records[0]["resps"][0] == [["-2.0", "True"]]  # how lm-eval writes the pairs
    mutate(records[0])
    samples_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    engine, report = ingest(raw, tmp_path)
    (rejected,) = report.rejected
    assert rejected.startswith("flipll_llmbar_neighbor") and message in rejected
    assert "\n" not in rejected
    with Session(engine) as session:
        tasks = session.scalars(select(RunRow.task).where(RunRow.method == "flipll")).all()
    assert tasks == ["flipll_rb2_focus"]


def test_inspect_shows_logprob_and_pmi(flipll_output, data_env, tmp_path):
    from flip_store.read.items import item_detail
    from leaderboard.inspect_view import render_item

    engine, _ = ingest(flipll_output, tmp_path)
    detail = item_detail(engine, "llmbar:neighbor:0")
    html = render_item(detail)
    assert "log p(instruction) -2.00 · PMI +23.00" in html
    assert "log p(instruction) -18.00 · PMI +7.00" in html


def test_summarize_rescores_a_flipll_run(flipll_output, data_env, capsys):
    from flip_cli.commands.summarize import print_summary

    print_summary(next(flipll_output.rglob("results_*.json")).parent)
    out = capsys.readouterr().out
    assert "flipll_rb2_focus" in out and "flipll_llmbar_neighbor" in out


def test_flip_eval_knows_the_method():
    from flip_cli.commands.evaluate import task_names

    assert task_names(["flipll"], "demo", None) == ["flipll_demo"]
    assert task_names(["flipll"], "llmbar", ["neighbor"]) == ["flipll_llmbar_neighbor"]


# --- the real bundled model ----------------------------------------------------------------------


@pytest.mark.model
def test_boundaries_and_logprobs_with_the_bundled_model():
    """lm-eval's own HF model: its chat template and its context/continuation token split."""
    from lm_eval.models.huggingface import HFLM

    from flip_core.items import demo_items
    from flip_core.models import bundled_model_dir

    lm = HFLM(pretrained=str(bundled_model_dir()), dtype="float32", device="cpu", batch_size=4)
    item = demo_items()[0]
    calls = get_method("flipll").calls(item)
    pairs = [
        likelihood_request(lm.apply_chat_template, c.conversation, c.continuation) for c in calls
    ]
    assert {continuation for _, continuation in pairs} == {item.instruction + "<|im_end|>"}
    for context, continuation in pairs:
        assert context.endswith("<|im_end|>\n<|im_start|>assistant\n")
        context_enc, continuation_enc = lm._encode_pair(context, continuation)
        whole = lm.tok_encode(context + continuation)
        assert whole == context_enc + continuation_enc  # a clean split at the turn's start
        # lm-eval moves the header's newline onto the continuation: it is scored too
        assert lm.tokenizer.decode(continuation_enc) == "\n" + continuation
        assert lm.tokenizer.convert_ids_to_tokens(continuation_enc[-1]) == "<|im_end|>"

    class Request:
        def __init__(self, args):
            self.args = args

    outputs = lm.loglikelihood([Request(pair) for pair in pairs], disable_tqdm=True)
    assert all(math.isfinite(lp) and lp < 0 for lp, _ in outputs)
    scored = get_method("flipll").score(item, [[output] for output in outputs])
    assert len(scored.scores) == len(item.candidates)


@pytest.mark.model
def test_the_bundled_model_runs_flipll_demo_into_the_store(tmp_path, capsys):
    """``flip eval --methods flipll``'s path in process: run_tasks with lm-eval's HF model (and
    the response cache), ingest, summary."""
    from flip_cli.commands.summarize import print_summary
    from flip_cli.harness_run import run_tasks
    from flip_core.models import bundled_model_dir
    from flip_store.database import open_engine
    from flip_store.ingest import ingest_path
    from flip_store.schema import CallRow, MetricRow, RunRow, ScoreRow

    results_file = run_tasks(
        "hf",
        ["flipll_demo"],
        tmp_path / "raw",
        model_args={"pretrained": str(bundled_model_dir()), "dtype": "float32"},
        profile="cpu",
        batch_size=8,
        device="cpu",
        limit=2,
        use_cache=str(tmp_path / "cache"),
    )
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    report = ingest_path(engine, results_file, progress=lambda line: None)
    assert len(report.stored) == 1 and not report.rejected
    print_summary(results_file.parent)
    assert "flipll_demo (limited)" in capsys.readouterr().out
    with Session(engine) as session:
        (run,) = session.scalars(select(RunRow).where(RunRow.method == "flipll")).all()
        assert run.limit == 2 and run.profile == "cpu" and run.token_count_method == "tokenizer"
        calls = session.scalars(select(CallRow).where(CallRow.run_id == run.id)).all()
        assert len(calls) == 2 * 5 and all(c.generated_tokens == 0 for c in calls)
        for call in calls:
            (values,) = call.parsed_values
            assert math.isfinite(values["logprob"]) and values["logprob"] < 0
            assert values["scored_units"] > 0 and values["logprob_per_token"] < 0
        scores = session.scalars(select(ScoreRow.value).where(ScoreRow.run_id == run.id)).all()
        assert len(scores) == 2 * 4
        names = set(session.scalars(select(MetricRow.name).where(MetricRow.run_id == run.id)))
        assert {"acc", "mean_pmi_chosen", "mean_logprob_per_token_chosen"} <= names
