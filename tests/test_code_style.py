"""The tree passes the linter and the formatter configured in pyproject.toml (``[tool.ruff]``),
so style never drifts between sessions: a long line hidden behind ``# fmt: skip`` or an unused
import fails here, not in a reviewer's eye."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO_ROOT

pytest.importorskip("ruff", reason="ruff (the dev extra) is not installed")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_passes_on_the_whole_tree(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
