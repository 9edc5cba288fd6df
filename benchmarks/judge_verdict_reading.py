"""Is a judge's deficit the format or the judgement? Strict against concluded verdicts.

Small judges often write their verdict inside the ``REASONING`` field ("... Therefore, Response A
is better.", "The best response is 0.") and stop without the answer field; the paper's strict
reading counts that as no verdict. This re-scores the committed pairwise- and listwise-judge
runs from their raw outputs (no model call) under both verdict readings of the judges
(:mod:`flip_core.methods.judges`): ``strict`` (the default, what the runs report) and
``conclusion`` (the named deviation that also reads a concluded answer where no answer field is
present; :mod:`flip_core.parsing`). Per run: the share of calls whose verdict did not parse;
the share of parsed verdicts that pick the response shown first, per item and averaged (the
store's ``first_shown_rate``, a judge's position bias: the pairwise judge is asked each pair in
both orders, so one that always names the first slot wins every pair once and ties them all;
the listwise judge sees a shuffled order); strict best-of-N accuracy under each reading with the
paired difference (bootstrap 95% interval, exact McNemar p); and, where the same folder holds
the FLIP run on the same items, FLIP's accuracy and its paired difference against the judge
read leniently: whether FLIP's lead survives giving the judge its prose.

    FLIP_DATA_DIR=../shared/data .venv/bin/python benchmarks/judge_verdict_reading.py \\
        [results/raw/llmbar-qwen2.5-coder-0.5b-default-llamacpp ...]

Without folders it reads every folder under ``results/raw``. The strict re-score must equal the
accuracy lm-eval logged for every item; a mismatch is an error (the re-scoring is then not
the run's).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from flip_core.errors import FlipError
from flip_core.logged_samples import LoggedSample, document_method, read_samples
from flip_core.methods import get_method
from flip_core.paired import paired_difference
from flip_core.parsing import CONCLUSION_READING
from flip_core.selection import is_strictly_correct
from harness_tasks.lm_eval_output import newest_samples_files

JUDGES = ("judge_pairwise", "judge_listwise")
FLIP = "flip"


@dataclass(frozen=True)
class Rescored:
    """One run's items under one reading: per-item strict correctness, calls, unparsed calls,
    and per item the share of parsed verdicts naming the response shown first."""

    correct: dict[str, bool]
    calls: int
    failed_calls: int
    first_shown: list[float]

    @property
    def first_shown_rate(self) -> float | None:
        """The store's ``first_shown_rate``: the mean over items with a parsed verdict."""
        return sum(self.first_shown) / len(self.first_shown) if self.first_shown else None


def rescore(samples: list[LoggedSample], reading: str | None) -> Rescored:
    """Score every item again, as logged (``reading`` None) or under a verdict reading (the
    logged settings kept: the listwise judge's shuffle seed)."""
    correct: dict[str, bool] = {}
    calls = failed = 0
    first_shown: list[float] = []
    for sample in samples:
        item = sample.item
        method = document_method(sample.doc)
        if reading is not None:
            method = get_method(method.name, **{**method.settings, "verdict_reading": reading})
        scored = method.score(item, sample.outputs)
        correct[item.id] = is_strictly_correct(scored.scores, item.gold_index)
        calls += len(scored.calls)
        failed += sum(call.failed for call in scored.calls)
        share = method.first_shown_share(scored)
        if share is not None:
            first_shown.append(share)
    return Rescored(correct, calls, failed, first_shown)


def as_logged(samples: list[LoggedSample], task: str) -> Rescored:
    """The run scored as it was, checked item by item against lm-eval's logged accuracy."""
    rescored = rescore(samples, None)
    for sample in samples:
        logged = sample.logged_metrics.get("acc")
        if logged is not None and bool(logged) != rescored.correct[sample.item.id]:
            raise SystemExit(f"{task}: item {sample.item.id} re-scores to another accuracy")
    return rescored


def percent(value: float) -> str:
    return f"{value * 100:.1f}"


def rate(value: float | None) -> str:
    return "-" if value is None else f"{percent(value)}%"


def report_folder(folder: Path) -> list[str]:
    """One line per pairwise- or listwise-judge task of an lm-eval output folder."""
    files = newest_samples_files(folder)
    lines = []
    for task, path in sorted(files.items()):
        judge = next((name for name in JUDGES if task.startswith(name + "_")), None)
        if judge is None:
            continue
        samples = list(read_samples(path))
        if not samples:
            continue
        strict = as_logged(samples, task)
        concluded = rescore(samples, CONCLUSION_READING)
        ids = sorted(strict.correct)
        gain = paired_difference(
            [strict.correct[i] for i in ids], [concluded.correct[i] for i in ids]
        )
        line = (
            f"{folder.name}/{task}: {len(ids)} items; unparsed verdicts "
            f"{percent(strict.failed_calls / strict.calls)}% strict, "
            f"{percent(concluded.failed_calls / concluded.calls)}% concluded; verdicts for the "
            f"first-shown response {rate(concluded.first_shown_rate)} (concluded); "
            "accuracy "
            f"{percent(gain.acc_a)} strict, {percent(gain.acc_b)} concluded "
            f"({gain.difference * 100:+.1f} [{gain.ci_low * 100:+.1f}, "
            f"{gain.ci_high * 100:+.1f}], p = {gain.p_value:.2g})"
        )
        flip_task = FLIP + task[len(judge) :]
        if flip_task in files:
            flip = as_logged(list(read_samples(files[flip_task])), flip_task)
            shared = [i for i in ids if i in flip.correct]
            lead = paired_difference(
                [concluded.correct[i] for i in shared], [flip.correct[i] for i in shared]
            )
            line += (
                f"; FLIP {percent(lead.acc_b)}, lead over the concluded judge "
                f"{lead.difference * 100:+.1f} [{lead.ci_low * 100:+.1f}, "
                f"{lead.ci_high * 100:+.1f}], p = {lead.p_value:.2g}"
            )
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="lm-eval output folders")
    args = parser.parse_args(argv)
    folders = args.folders or sorted(p for p in Path("results/raw").iterdir() if p.is_dir())
    try:
        for folder in folders:
            for line in report_folder(folder):
                print(line, flush=True)
    except FlipError as error:  # a broken or foreign samples file: one line, no traceback
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
