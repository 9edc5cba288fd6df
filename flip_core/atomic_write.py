"""Write result files so that a crash or a bad row never leaves a half-written file behind."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flip_core.errors import FlipInputError


def write_jsonl_atomically(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON Lines to a temporary file beside ``path``, then rename it into place.

    Returns the number of rows written. The rename is atomic on POSIX, so readers see either
    the old file or the complete new one.
    """
    path = Path(path)
    if path.is_dir():
        raise FlipInputError(f"cannot write {path}: it is a folder")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as error:
        raise FlipInputError(f"cannot write {path}: {error.strerror or error}") from None
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
