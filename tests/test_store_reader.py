"""The app's memoised reads: answers are reused until an ingest changes the store."""

from __future__ import annotations

from harness_fakes import ContentJudgeLM, crafted_environment

from flip_cli.harness_run import run_tasks
from flip_store.database import open_engine
from flip_store.ingest import ingest_path
from flip_store.read.listing import list_runs
from leaderboard.store_reader import StoreReader


def test_answers_are_reused_until_the_store_changes(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'flip.db'}", create=True)
    reader = StoreReader(engine)
    with crafted_environment(tmp_path):
        run_tasks(ContentJudgeLM(), ["flip_llmbar_neighbor"], tmp_path / "one")
        ingest_path(engine, tmp_path / "one", progress=lambda line: None)
        first = reader.leaderboard("llmbar")
        assert reader.leaderboard("llmbar") is first  # memoised
        run_tasks(ContentJudgeLM(), ["judge_listwise_llmbar_neighbor"], tmp_path / "two")
        ingest_path(engine, tmp_path / "two", progress=lambda line: None)
    second = reader.leaderboard("llmbar")
    assert second is not first and "judge_listwise" in {row.method for row in second}
    ids = {run.task: run.id for run in list_runs(engine)}
    pair = (ids["flip_llmbar_neighbor"], ids["judge_listwise_llmbar_neighbor"])
    counts = reader.discordant_counts([pair, pair])
    assert counts[pair].n == 2 and counts[pair].a_only == counts[pair].b_only == 0


def test_keep_warm_rereads_after_the_store_changes(small_store):
    import threading

    from leaderboard.views import LeaderboardViews

    views = LeaderboardViews(small_store)
    warmed = []
    views.warm = lambda: warmed.append(views.reader.version())  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=views.keep_warm, args=(stop, 0.01))
    thread.start()
    try:
        threading.Event().wait(0.1)
        assert len(warmed) == 1  # warmed once, and not again while the store is unchanged
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_derived_values_are_kept_until_the_store_changes(small_store):
    reader = StoreReader(small_store)
    built = []
    first = reader.derived("figures", lambda: built.append(1) or ["figure"])
    assert reader.derived("figures", lambda: built.append(1) or ["other"]) is first
    assert built == [1]
    reader._version = None  # as after an ingest: the next read sees a different version
    assert reader.derived("figures", lambda: ["rebuilt"]) == ["rebuilt"]


def test_reference_rows_are_memoised_until_the_store_changes(small_store):
    reader = StoreReader(small_store)
    first = reader.references("llmbar")
    assert reader.references("llmbar") is first
    assert {row.kind for row in first} == {"rule", "reported"}
    reader._version = None  # as after an ingest
    assert reader.references("llmbar") is not first


def test_the_board_is_memoised_per_domain_selection(small_store):
    from leaderboard.views import LeaderboardViews

    views = LeaderboardViews(small_store)
    both = views.board("llmbar", ("neighbor", "manual"))
    assert views.board("llmbar", ("neighbor", "manual")) is both
    one = views.board("llmbar", ("neighbor",))
    assert one is not both and all(row.domains == ("neighbor",) for row in one)
