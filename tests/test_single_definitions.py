"""One definition of each catalogue fact: no second list of a benchmark's domains, and no
second copy of a seed, anywhere in the packages (docs/conventions.md).

A copy would drift silently (a domain added in one place and not the other); the catalogue
(flip_core/catalog/benchmarks.py) and the profiles (flip_core/profiles.py) are the only
places that may spell them out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO_ROOT

from flip_core.catalog.benchmarks import BENCHMARKS
from flip_core.methods.judges import LISTWISE_SHUFFLE_SEED
from flip_core.profiles import DEFAULT_DECODING_SEED

PACKAGES = ("flip_core", "flip_cli", "flip_store", "flip_rerank", "harness_tasks", "leaderboard")
CATALOGUE = REPO_ROOT / "flip_core" / "catalog" / "benchmarks.py"
DOMAIN_NAMES = {d for b in BENCHMARKS.values() for d in b.domain_names}


def _package_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO_ROOT / package).rglob("*.py"))


def _literal_domain_lists(path: Path) -> list[int]:
    """Lines of list/tuple/set literals naming two or more domains."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            named = {
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and e.value in DOMAIN_NAMES
            }
            if len(named) >= 2:
                lines.append(node.lineno)
    return lines


def test_domain_lists_are_spelled_out_only_in_the_catalogue():
    copies = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in _package_modules()
        if path != CATALOGUE and (lines := _literal_domain_lists(path))
    }
    assert copies == {}


SEED_DEFINITIONS = {
    ("flip_core/profiles.py", "DEFAULT_DECODING_SEED"),
    ("flip_core/methods/judges.py", "LISTWISE_SHUFFLE_SEED"),
}
"""The named seeds (each its own concept): the only places their values may appear."""


def _seed_literals(path: Path) -> list[str]:
    """Where the seeds' value appears in ``path`` other than as one of the named definitions."""
    tree = ast.parse(path.read_text(), str(path))
    relative = str(path.relative_to(REPO_ROOT))
    defining = {
        id(statement.value)
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        and any(
            isinstance(t, ast.Name) and (relative, t.id) in SEED_DEFINITIONS
            for t in statement.targets
        )
    }
    return [
        f"{relative}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and type(node.value) is int
        and node.value in (DEFAULT_DECODING_SEED, LISTWISE_SHUFFLE_SEED)
        and id(node) not in defining
    ]


def test_each_seed_is_one_named_constant():
    assert [where for path in _package_modules() for where in _seed_literals(path)] == []
