"""Item files and the demo set: both input shapes, and one-line errors that name file and line."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from flip_core.errors import FlipInputError
from flip_core.items import demo_items, demo_rows, load_items


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_user_and_rewardbench_rows(tmp_path):
    path = write_lines(
        tmp_path / "items.jsonl",
        [
            json.dumps({"instruction": "say hi", "responses": ["hi", "bye"], "gold_index": 0}),
            "",
            json.dumps(
                {
                    "id": "7",
                    "prompt": "add 2+2",
                    "chosen": ["4"],
                    "rejected": ["5", "3", "22"],
                    "subset": "Math",
                }
            ),
        ],
    )
    first, second = load_items(path)
    assert (first.id, first.candidates, first.gold_index) == ("1", ("hi", "bye"), 0)
    assert second.id == "user:math:7"
    assert second.candidates == ("4", "5", "3", "22") and second.gold_index == 0
    assert second.domain == "math"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "items.jsonl:1: "),
        ("[1, 2]", "items.jsonl:1: each line must be a JSON object"),
        (json.dumps({"instruction": "x"}), "items.jsonl:1: expected the keys"),
        (json.dumps({"instruction": "x", "responses": []}), "non-empty list"),
        (json.dumps({"instruction": "x", "responses": ["a"], "gold_index": 3}), "gold_index"),
        (json.dumps({"instruction": 5, "responses": ["a"]}), "must be a string"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = write_lines(tmp_path / "items.jsonl", [line])
    with pytest.raises(FlipInputError, match=message) as error:
        load_items(path)
    assert "\n" not in str(error.value)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(FlipInputError, match="holds no items"):
        load_items(write_lines(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(FlipInputError, match=r"cannot read .*missing\.jsonl: No such file"):
        load_items(tmp_path / "missing.jsonl")
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FlipInputError, match="cannot read"):
        load_items(tmp_path / "binary.jsonl")


def test_demo_set_is_rewardbench_shaped_and_balanced():
    rows = demo_rows()
    assert len(rows) == 24
    assert Counter(row["subset"] for row in rows) == {
        "Focus": 6,
        "Factuality": 6,
        "Precise IF": 6,
        "Math": 6,
    }
    for row in rows:
        assert len(row["chosen"]) == 1 and len(row["rejected"]) == 3
        assert "demo" in row["additional_metadata"]["note"]
    items = demo_items()
    assert len({item.id for item in items}) == 24
    assert all(item.id.startswith("demo:") and item.gold_index == 0 for item in items)
    assert {item.domain for item in items} == {"focus", "factuality", "precise_if", "math"}
