"""Score items with a FlipScorer, turn the rewards into result rows, and print a summary.

Used by ``flip score``: per-item rewards, then best-of-N accuracy
(strict and tie-aware, with bootstrap intervals) beside chance and the length-only baselines.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from flip_core.baselines import reference_points
from flip_core.items import Item
from flip_core.scorer import FlipReward, FlipScorer
from flip_core.selection import (
    best_of_n_accuracy,
    is_strictly_correct,
    pick_best,
    tie_aware_credit,
)


def score_items(scorer: FlipScorer, items: Sequence[Item]) -> list[dict[str, Any]]:
    """One result row per item: every candidate's reward and reconstruction, and the pick."""
    rewards = scorer.score_many([(item.instruction, item.candidates) for item in items])
    return [
        _row(item, item_rewards, scorer.settings)
        for item, item_rewards in zip(items, rewards, strict=True)
    ]


def _row(item: Item, rewards: list[FlipReward], settings: dict[str, Any]) -> dict[str, Any]:
    scores = [r.reward for r in rewards]
    row: dict[str, Any] = {
        "id": item.id,
        "benchmark": item.benchmark,
        "domain": item.domain,
        "instruction": item.instruction,
        "gold_index": item.gold_index,
        "candidates": [
            {"response": text, **reward.to_dict()}
            for text, reward in zip(item.candidates, rewards, strict=True)
        ],
        "picked_index": pick_best(scores),
        "scorer": settings,
    }
    if item.gold_index is not None:
        row["strict_correct"] = is_strictly_correct(scores, item.gold_index)
        row["tie_aware_credit"] = tie_aware_credit(scores, item.gold_index)
    return row


def shorten(text: str | None, width: int) -> str:
    """One line of at most ``width`` characters, for terminal tables."""
    flat = " ".join((text or "-").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_item_table(rows: Sequence[dict[str, Any]]) -> None:
    """Per item: each candidate's reward (gold marked *), the pick and whether it is right."""
    for row in rows:
        gold = row["gold_index"]
        cells = " ".join(
            f"{c['reward']:.2f}{'*' if c['index'] == gold else ' '}" for c in row["candidates"]
        )
        verdict = "" if gold is None else ("right" if row["strict_correct"] else "wrong")
        print(f"{shorten(row['id'], 34):34}  {cells}  pick {row['picked_index']}  {verdict}")


def print_candidate_table(row: dict[str, Any]) -> None:
    """For one instruction: each response's reward, parse status and inferred instruction."""
    print(f"instruction: {shorten(row['instruction'], 90)}")
    print(f"{'#':>2}  {'reward':>6}  {'parse':8}  {'tokens':>6}  inferred instruction")
    for c in row["candidates"]:
        print(
            f"{c['index']:>2}  {c['reward']:6.3f}  {c['parse_status']:8}  "
            f"{c['generated_tokens']:>6}  {shorten(c['inferred_instruction'], 70)}"
        )


def print_summary(rows: Sequence[dict[str, Any]], items: Sequence[Item]) -> None:
    """Accuracy with intervals per domain and overall, beside chance and length baselines."""
    statuses = Counter(c["parse_status"] for row in rows for c in row["candidates"])
    tokens = [c["generated_tokens"] for row in rows for c in row["candidates"]]
    print(
        f"\nparse status: {dict(statuses)}; generated tokens: {sum(tokens)} "
        f"({sum(tokens) / max(1, len(tokens)):.1f} per response)"
    )
    gold = [
        (row, item) for row, item in zip(rows, items, strict=True) if item.gold_index is not None
    ]
    if not gold:
        return
    by_domain: dict[str, list[tuple[dict[str, Any], Item]]] = defaultdict(list)
    for row, item in gold:
        by_domain[item.domain or "all"].append((row, item))
    groups = {**by_domain, "overall": gold} if len(by_domain) > 1 else {"overall": gold}
    print(
        f"\n{'domain':12} {'n':>3}  {'FLIP strict [95% CI]':24} {'tie-aware':>9}  "
        f"{'chance':>6} {'longest':>7} {'shortest':>8}"
    )
    for name, members in groups.items():
        golds = [item.gold_index for _, item in members]
        flip = best_of_n_accuracy(
            [[c["reward"] for c in row["candidates"]] for row, _ in members], golds
        )
        reference = reference_points([i.candidates for _, i in members], golds)
        print(
            f"{name:12} {len(members):>3}  {flip.strict.format():24} "
            f"{flip.tie_aware.value * 100:9.1f}  {reference.chance * 100:6.1f} "
            f"{reference.longest * 100:7.1f} {reference.shortest * 100:8.1f}"
        )
    print("(accuracy in %: strict best-of-N, the chosen must score strictly above every rejected)")
