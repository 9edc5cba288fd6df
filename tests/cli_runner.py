"""Running the project's console scripts as a user would: a subprocess, no standard input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run_command(
    program: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run ``flip`` or ``lm_eval`` from this environment and capture its output."""
    return subprocess.run(
        [str(BIN / program), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
