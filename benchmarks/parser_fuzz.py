"""Fuzz the model-output parsers: exceptions (must be 0) and the worst parse time.

Feeds every public parse function of ``flip_core.parsing`` (``parse_reconstruction``,
``parse_score``, ``parse_verdict``, ``parse_index``) with seeded generated outputs, hostile and
random: arbitrary code points (lone surrogates included), JSON-ish fragments, long runs of one
character after a label ("Score: 999...", "## Score      x", quotes, backslashes, braces),
short motifs repeated up to 1 MB ("{]x{]x...", "instruction\u201c..."), answer objects with
huge or non-finite numbers, deep nesting and broken syntax, and thousands of label lines.

It counts the exceptions that escape (the parsers promise none) and prints the worst single
parse time with its input's shape, next to a baseline measured in the same run on the same
machine: ``json.loads`` of a valid JSON answer as long as that worst input. The ratio says how
far the parsers are from reading the text once at C speed; the absolute time is the one to read
against the target (a 1 MB output of any shape parses well under a second, module docstring of
``flip_core.parsing``). Times are CPU seconds of this process (``time.process_time``), so that
other load on the machine does not inflate them. Exit status 1 when any exception escaped.

    .venv/bin/python benchmarks/parser_fuzz.py [--n 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flip_core.parsing import (
    INDEX_KEYS,
    INSTRUCTION_KEYS,
    REASONING_KEYS,
    SCORE_KEYS,
    VERDICT_KEYS,
    Parsed,
    parse_index,
    parse_reconstruction,
    parse_score,
    parse_verdict,
)

PIECES = ["{", "}", "[", "]", '"', "'", "\u201c", "\u201d", ":", ",", " ", "\n", "\\", "/"]
PIECES += ["*", "#", "-", ".", "`", "1", "9", "0", "x", "A", "B", "  ", "\t"]
WORDS = ["SCORE", "Score:", "REASONING", "INFERRED INSTRUCTION", "Inferred_Instruction"]
WORDS += ["instruction", "instruction \u201c", "BETTER_RESPONSE", "The better response is"]
WORDS += ["BEST_RESPONSE_INDEX", "best response index", "Response", "[[", "]]", "out of"]
WORDS += ["/10", "## ", "**", "__", "true", "null", "NaN", "Infinity", "1e400", "-3", "8"]
WORDS += ["<think>", "</think>", "```json", "```", "N/A", "both", "\u00e9", "\U0001f642"]
LABELS = ["Score", "Rating", "Reasoning", "Inferred instruction", "Better response"]
LABELS += ["Best response index", "Here is the inferred instruction"]
RUN_PREFIXES = ["", "Score: ", "## Score", '{"SCORE": "', '{"SCORE": ', "instruction "]
RUN_PREFIXES += ["{", "[", "ab", "> ", "[[response", "best response ", "Score: 8/", "1."]
ANSWER_KEYS = [*REASONING_KEYS, *INSTRUCTION_KEYS, *SCORE_KEYS, *VERDICT_KEYS, *INDEX_KEYS]

Generator = Callable[[random.Random], tuple[str, str]]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    """A length between low and high, spread evenly over orders of magnitude."""
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def random_code_points(rng: random.Random) -> tuple[str, str]:
    """Any code points, lone surrogates and private use included: bytes a broken engine emits."""
    length = _log_uniform(rng, 1, 4096)
    top = rng.choice([0x80, 0x800, 0x10000, 0x110000])
    text = "".join(chr(rng.randrange(top)) for _ in range(length))
    return text, f"{length} random code points below U+{top:X}"


def json_ish(rng: random.Random) -> tuple[str, str]:
    """Fragments of JSON and of the labels and keys the parsers look for, in random order."""
    count = _log_uniform(rng, 1, 400)
    text = "".join(rng.choice(PIECES + WORDS) for _ in range(count))
    return text, f"{count} JSON-ish fragments"


def long_run(rng: random.Random) -> tuple[str, str]:
    """One character (or two) repeated after a label: the shape that made regexes quadratic."""
    prefix, unit = rng.choice(RUN_PREFIXES), rng.choice(PIECES)
    suffix = rng.choice(["", "x", "/10", ":", '"', "}", "\u201d"])
    count = _log_uniform(rng, 1_000, 1_000_000)
    return prefix + unit * count + suffix, f"{prefix!r} + {unit!r} * {count:,} + {suffix!r}"


def repeated_motif(rng: random.Random) -> tuple[str, str]:
    """A short motif repeated, after an optional repeated opening ('{{{{' + '{]x' * n)."""
    motif = "".join(rng.choice(PIECES + WORDS) for _ in range(rng.randint(1, 5)))
    opening = rng.choice(["", "{", "[", '{"a": ', "{'a': ", "instruction\u201c"])
    openings = rng.randint(1, 40) if opening else 0
    count = max(1, _log_uniform(rng, 256, 1_000_000) // len(motif))
    text = opening * openings + motif * count
    return text, f"{opening!r} * {openings} + {motif!r} * {count:,}"


def _answer_value(rng: random.Random) -> str:
    """A JSON value as text: ordinary, huge, non-finite, deeply nested or broken."""
    kind = rng.randrange(9)
    if kind == 0:
        return str(rng.randint(-3, 12))
    if kind == 1:
        return rng.choice(["-", ""]) + "9" * _log_uniform(rng, 300, 20_000)  # past float, int
    if kind == 2:
        return rng.choice(["NaN", "Infinity", "-Infinity", "1e400", "1.5", "8.0", "true"])
    if kind == 3:
        depth = _log_uniform(rng, 10, 5_000)
        return "[" * depth + '"B"' + "]" * depth
    if kind == 4:
        depth = _log_uniform(rng, 10, 3_000)
        return '{"SCORE": ' * depth + "8" + "}" * depth
    if kind == 5:
        return json.dumps(rng.choice(["8/10", "4 out of 5", "Response B", "A and B", "2"]))
    if kind == 6:
        return '"' + "".join(rng.choice(PIECES + WORDS) for _ in range(rng.randint(0, 60))) + '"'
    if kind == 7:
        return '"' + "1" * _log_uniform(rng, 100, 50_000) + '"'
    return json.dumps("The response is fine. " * rng.randint(1, 200))


def broken_answer(rng: random.Random) -> tuple[str, str]:
    """An answer object with hostile values, then broken: cut, single quotes, prose around it."""
    keys = rng.sample(ANSWER_KEYS, rng.randint(1, 4))
    spelled = [rng.choice([key, key.upper(), key.replace("e", "E"), f" {key} "]) for key in keys]
    body = ", ".join(f'"{key}": {_answer_value(rng)}' for key in spelled)
    text = "{" + body + "}"
    damage = rng.choice(["none", "cut", "single quotes", "no braces", "trailing comma", "prose"])
    if damage == "cut":
        text = text[: rng.randint(1, len(text))]
    elif damage == "single quotes":
        text = text.replace('"', "'")
    elif damage == "no braces":
        text = text[1:-1]
    elif damage == "trailing comma":
        text = text[:-1] + ",}"
    elif damage == "prose":
        text = "Sure! Here is my answer {as asked}:\n```json\n" + text + "\n```\nThanks."
    return text, f"answer object with keys {keys}, damage: {damage}, {len(text):,} chars"


def many_labels(rng: random.Random) -> tuple[str, str]:
    """Thousands of label lines, empty or not, headings and blank lines between them."""
    label = rng.choice(LABELS)
    line = rng.choice([f"{label}:", f"{label}: x", f"## {label}", f"**{label}:**", f"{label} ="])
    gap = "\n" * rng.randint(1, 3)
    count = _log_uniform(rng, 10, 100_000)
    return (line + gap) * count, f"({line!r} + {gap!r}) * {count:,}"


GENERATORS: dict[str, Generator] = {
    "random code points": random_code_points,
    "JSON-ish fragments": json_ish,
    "long run": long_run,
    "repeated motif": repeated_motif,
    "broken answer": broken_answer,
    "many labels": many_labels,
}
PARSERS: dict[str, Callable[[str, random.Random], Parsed]] = {
    "parse_reconstruction": lambda raw, rng: parse_reconstruction(raw),
    "parse_score": lambda raw, rng: parse_score(raw),
    "parse_verdict": lambda raw, rng: parse_verdict(raw),
    "parse_index": lambda raw, rng: parse_index(raw, rng.randint(1, 16)),
}


@dataclass
class Worst:
    """The slowest parse seen so far."""

    seconds: float = 0.0
    parser: str = ""
    shape: str = ""
    length: int = 0


@dataclass
class Tally:
    """What the fuzz saw: times per generator, the worst parse, the exceptions."""

    times: dict[str, list[float]] = field(default_factory=dict)
    worst: Worst = field(default_factory=Worst)
    exceptions: list[str] = field(default_factory=list)


def fuzz(n: int, seed: int) -> Tally:
    """Run n generated outputs through every parser; each generator gets an equal share."""
    rng = random.Random(seed)
    tally = Tally()
    names = list(GENERATORS)
    for number in range(n):
        name = names[number % len(names)]
        text, shape = GENERATORS[name](rng)
        for parser_name, parse in PARSERS.items():
            start = time.process_time()
            try:
                parse(text, rng)
            except Exception as error:  # the parsers must never raise: count, do not stop
                tally.exceptions.append(f"{parser_name} on {name} ({shape}): {error!r:.200}")
            seconds = time.process_time() - start
            tally.times.setdefault(name, []).append(seconds)
            if seconds > tally.worst.seconds:
                tally.worst = Worst(seconds, parser_name, f"{name}: {shape}", len(text))
    return tally


def json_loads_baseline(length: int, repeats: int = 20) -> float:
    """Best-of-``repeats`` CPU seconds of ``json.loads`` on a valid answer of ``length`` chars."""
    padding = max(0, length - len('{"REASONING": "", "SCORE": 8}'))
    document = json.dumps({"REASONING": "a" * padding, "SCORE": 8})
    best = math.inf
    for _ in range(repeats):
        start = time.process_time()
        json.loads(document)
        best = min(best, time.process_time() - start)
    return max(best, 1e-7)  # below the clock's resolution on a tiny document


def report(tally: Tally, n: int, seed: int, elapsed: float) -> None:
    calls = sum(len(times) for times in tally.times.values())
    print(f"parser fuzz: {n:,} outputs x {len(PARSERS)} parsers = {calls:,} calls, seed {seed}")
    print(f"{'generator':20} {'calls':>6} {'median ms':>10} {'worst ms':>10}")
    for name, times in tally.times.items():
        median, worst = statistics.median(times) * 1e3, max(times) * 1e3
        print(f"{name:20} {len(times):6d} {median:10.2f} {worst:10.1f}")
    worst = tally.worst
    baseline = json_loads_baseline(worst.length)
    print(f"\nexceptions: {len(tally.exceptions)}")
    for line in tally.exceptions[:10]:
        print(f"  {line}")
    print(f"worst parse: {worst.seconds * 1e3:.1f} ms, {worst.parser}, {worst.length:,} chars")
    print(f"  shape: {worst.shape}")
    print(f"baseline: json.loads of a valid {worst.length:,}-char answer: {baseline * 1e3:.3f} ms")
    print(f"ratio worst/baseline: {worst.seconds / baseline:,.0f}x")
    print(f"total {elapsed:.1f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated outputs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    tally = fuzz(args.n, args.seed)
    report(tally, args.n, args.seed, time.perf_counter() - start)
    sys.exit(1 if tally.exceptions else 0)


if __name__ == "__main__":
    main()
