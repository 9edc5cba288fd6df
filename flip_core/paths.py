"""Where this project keeps its per-user files: converted and assembled models, verification
markers. One place, so that the model zoo, the conversion for transformers and ``flip paths``
agree."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "FLIP_CACHE_DIR"


def cache_dir() -> Path:
    """``$FLIP_CACHE_DIR``, else ``$XDG_CACHE_HOME/flip-reward-bench``, else ``~/.cache/...``."""
    if override := os.environ.get(CACHE_DIR_ENV):
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flip-reward-bench"
