"""A run's fingerprint: a digest of what the run is, not of how its file is laid out.

The store keeps a run once (``run.fingerprint`` is unique). A digest of the file's bytes would
take the same run re-serialised, re-ordered or padded with blank lines for a new one, so both
kinds of run (lm-eval tasks, :mod:`.prepare`; reranking runs, :mod:`.reranks`) digest their
canonical content instead: a head describing the run, then one record per item, in a fixed
order, each as compact JSON with sorted keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any


def canonical_json(value: Any) -> bytes:
    """``value`` as one line of JSON that does not depend on key order or spacing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode() + b"\n"


def content_fingerprint(head: dict[str, Any], records: Iterable[Any]) -> str:
    """SHA-256 of the head and the records, each canonical, in the order given (the caller
    sorts them by item)."""
    digest = hashlib.sha256(canonical_json(head))
    for record in records:
        digest.update(canonical_json(record))
    return digest.hexdigest()
