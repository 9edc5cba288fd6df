"""Why do the FLIP methods fall below chance on LLMBar's GPTOut and Manual? Instruction echo.

FLIP pays a response whose reconstructed instruction shares words with the real one (SQuAD word
F1). A response that repeats the instruction's words makes that reconstruction easy, whether
or not it does what the instruction asks. This measures, without a model call, how far that
explains the committed runs. Per item, each candidate's *instruction coverage* is the share of
the instruction's words (SQuAD-normalised, counted with multiplicity) that occur in the
candidate: the recall side of the same F1
(:func:`flip_core.similarity.instruction_coverage`). The item's *echo verdict* says which
candidate covers most: the chosen one alone (``echo favours the chosen``), a rejected one
covering strictly more than the chosen (``echo favours the rejected``), or the chosen tied at
the top with a rejected one (``tied``). A folder's first lines count the verdicts per LLMBar
subset, and in how many echo-favours-rejected items that rejected candidate is also the longer
one (there echo and length point the same way).

Then per method of the folder's clean runs (probe variants edit the candidates), pooled over
the subsets it ran on (one line per subset with ``--by-subset``): strict accuracy on all items
and on the items of each echo verdict, with bootstrap 95% intervals; and a second line holding
length fixed: the same two echo groups within the items where that rejected candidate is the
longer one, and within those where the chosen one is. A method that reads what the
instruction asks scores alike on both echo groups; one that rewards echo scores high where
echo favours the chosen response and low where it favours the rejected one, on either side of
the length split.

    .venv/bin/python benchmarks/instruction_echo.py \\
        [results/raw/llmbar-qwen2.5-coder-0.5b-default-llamacpp ...]

Without folders it reads every folder under ``results/raw``. Items and scores come from each
run's logged documents and raw outputs (re-scored with :mod:`flip_core.methods`, as ingest
does), so a folder is analysed as it was evaluated.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from flip_core.errors import FlipError
from flip_core.items import Item
from flip_core.logged_samples import read_samples
from flip_core.selection import bootstrap_interval, is_strictly_correct
from flip_core.similarity import instruction_coverage
from harness_tasks.lm_eval_output import newest_samples_files

FAVOURS_CHOSEN = "echo favours the chosen"
FAVOURS_REJECTED = "echo favours the rejected"
TIED = "tied"
VERDICTS = (FAVOURS_CHOSEN, FAVOURS_REJECTED, TIED)


def echo_verdict(item: Item) -> tuple[str, bool]:
    """The item's echo verdict, and whether the rejected candidate that covers most of the
    instruction is longer (in characters) than the chosen one."""
    coverage = [instruction_coverage(text, item.instruction) for text in item.candidates]
    gold = item.gold_index
    rejected = max((i for i in range(len(coverage)) if i != gold), key=coverage.__getitem__)
    longer = len(item.candidates[rejected]) > len(item.candidates[gold])
    if coverage[rejected] > coverage[gold]:
        return FAVOURS_REJECTED, longer
    return (FAVOURS_CHOSEN if coverage[gold] > coverage[rejected] else TIED), longer


def accuracy(values: list[bool]) -> str:
    """Strict accuracy in % with its bootstrap interval and item count ("-" for no items)."""
    if not values:
        return "- (0)"
    return f"{bootstrap_interval([float(v) for v in values]).format()} ({len(values)})"


def method_lines(label: str, rows: list[tuple[str, bool, bool]]) -> list[str]:
    """The two lines of one method from its (echo verdict, rejected longer, correct) rows."""
    by_verdict = {v: [right for verdict, _, right in rows if verdict == v] for v in VERDICTS}
    echo_groups = "; ".join(f"{v} {accuracy(by_verdict[v])}" for v in VERDICTS)
    strata = []
    for longer, side in ((True, "the rejected longer"), (False, "the chosen longer")):
        groups = [
            accuracy([right for verdict, lng, right in rows if verdict == v and lng == longer])
            for v in (FAVOURS_CHOSEN, FAVOURS_REJECTED)
        ]
        strata.append(f"{side}: {groups[0]} against {groups[1]}")
    return [
        f"  {label}: all {accuracy([right for _, _, right in rows])}; {echo_groups}",
        f"    holding length (echo favours the chosen against the rejected): {'; '.join(strata)}",
    ]


def report_folder(folder: Path, by_subset: bool) -> list[str]:
    """The verdict counts of the folder's items per subset, then the lines of each method of
    its clean runs, pooled over their subsets (per method and subset with ``by_subset``)."""
    verdicts: dict[str, tuple[str, str, bool]] = {}
    methods: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for path in newest_samples_files(folder).values():
        for sample in read_samples(path):
            item = sample.item
            if sample.doc.get("variant", "none") != "none" or item.gold_index is None:
                continue
            if item.id not in verdicts:  # a property of the item: once, not once per method
                verdicts[item.id] = (item.domain, *echo_verdict(item))
            right = is_strictly_correct(sample.rescore().scores, item.gold_index)
            methods[sample.doc["method"]].append((item.id, item.domain, right))
    if not verdicts:
        return [f"{folder.name}: no clean run with a gold candidate"]
    lines = [f"{folder.name}: {len(verdicts)} items", *verdict_counts(verdicts.values())]
    for method, rows in sorted(methods.items()):
        domains = sorted({domain for _, domain, _ in rows})
        for subset in domains if by_subset else [None]:
            label = f"{method} [{subset}]" if subset else f"{method} ({', '.join(domains)})"
            lines += method_lines(
                label,
                [(*verdicts[i][1:], right) for i, d, right in rows if subset in (None, d)],
            )
    return lines


def verdict_counts(verdicts: Iterable[tuple[str, str, bool]]) -> list[str]:
    """One line per subset: how many items of each verdict, and how many
    echo-favours-rejected items have a longer rejected candidate."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for domain, verdict, longer in verdicts:
        counts[domain][verdict] += 1
        counts[domain]["longer"] += verdict == FAVOURS_REJECTED and longer
    lines = []
    for domain, count in sorted(counts.items()):
        total = sum(count[v] for v in VERDICTS)
        lines.append(
            f"  {domain}, {total} items: {FAVOURS_CHOSEN} {count[FAVOURS_CHOSEN]}, "
            f"{FAVOURS_REJECTED} {count[FAVOURS_REJECTED]} "
            f"({count[FAVOURS_REJECTED] / total * 100:.0f}%; the rejected also longer in "
            f"{count['longer']}), {TIED} {count[TIED]}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="lm-eval output folders")
    parser.add_argument(
        "--by-subset", action="store_true", help="the lines of each method per LLMBar subset"
    )
    args = parser.parse_args(argv)
    folders = args.folders or sorted(p for p in Path("results/raw").iterdir() if p.is_dir())
    try:
        for folder in folders:
            for line in report_folder(folder, args.by_subset):
                print(line, flush=True)
    except FlipError as error:  # a broken or foreign samples file: one line, no traceback
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
