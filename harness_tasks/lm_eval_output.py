"""lm-eval's output format, known in one place: a folder of output -> typed, validated task runs.

``lm_eval --log_samples --output_path DIR`` writes ``DIR/<model>/results_<time>.json`` (every
task's configuration and aggregate metrics, the run's configuration) and, beside it, one
``samples_<task>_<time>.jsonl`` per task (every document with its raw model outputs). The
results store (``flip ingest``, uploads) and ``flip summarize`` read output through this module
only, so the file-name patterns, the pairing of a results file with its samples files and the
schema of a results file are defined once.

A results file is validated against a declared schema (pydantic) before anything else reads
it: a field of the wrong type (configs as a list, text where a date, an accuracy or a
parameter count belongs, NaN where a number is read) is a one-line error naming the file and
the field, never a traceback. So is a value no run could have written: a task name that could
not name its samples file (``/``, a control character), a date past the year 9999. How long a
name may be is the store's to say (:mod:`flip_store.storable` reads it from its tables), not
this format's. Values nobody reads (lm-eval's standard errors, which may be NaN) are kept, and
made storable by :meth:`ResultsFile.storable`. The per-sample documents have their own schema
in :mod:`flip_core.logged_samples`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from flip_core.errors import FlipInputError

TASK_NAME = r"[A-Za-z0-9_.\-]+"
"""The characters of a task name: it names the task's samples file, beside the results file."""
RESULTS_NAME = re.compile(r"^results_(?P<time>[A-Za-z0-9_.\-]+)\.json$", re.ASCII)
SAMPLES_NAME = re.compile(
    rf"^samples_(?P<task>{TASK_NAME})_(?P<time>\d{{4}}-\d{{2}}-\d{{2}}T[\d\-.]+)\.jsonl$", re.ASCII
)
MAX_RESULTS_BYTES = 64 * 1024 * 1024
"""A results file holds configurations and aggregates only; anything larger is not one."""
LAST_DATE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()
"""The latest POSIX time a date can hold (Python's, and so the store's, last year: 9999)."""

TaskName = Annotated[str, StringConstraints(pattern=rf"^{TASK_NAME}$")]


class _Lenient(BaseModel):
    """Fields we read are typed; everything else lm-eval writes is kept as it is."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)


class RunConfig(_Lenient):
    """The run-wide ``config`` block: which model, how it was run."""

    model: str | None = None
    model_args: str | dict[str, Any] | None = None
    limit: float | None = Field(default=None, ge=0)
    model_num_parameters: int | None = Field(default=None, ge=0)
    model_revision: str | None = None
    model_dtype: str | None = None
    model_sha: str | None = None
    random_seed: int | None = None
    numpy_seed: int | None = None
    torch_seed: int | None = None


class TaskConfig(_Lenient):
    """One task's configuration as lm-eval records it."""

    metadata: dict[str, Any] = Field(default_factory=dict)
    generation_kwargs: dict[str, Any] | None = None
    output_type: str | None = None
    repeats: int | None = None


class ResultsFile(_Lenient):
    """A ``results_<time>.json`` file."""

    results: dict[str, dict[str, Any]]
    configs: dict[TaskName, TaskConfig]
    config: RunConfig
    date: float | None = Field(default=None, ge=0, le=LAST_DATE)
    """When the evaluation ran, in POSIX seconds."""
    lm_eval_version: str | None = None
    model_name: str | None = None

    @property
    def evaluated_at(self) -> datetime | None:
        """When the evaluation ran (None where the file does not say)."""
        return datetime.fromtimestamp(self.date, UTC) if self.date else None

    def reported(self, task: str, metric: str) -> float | None:
        """A metric lm-eval reported for a task (``"acc"`` -> ``results[task]["acc,none"]``);
        None when absent. A value that is not a finite number is an error, never a pass."""
        value = self.results.get(task, {}).get(f"{metric},none")
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise FlipInputError(f"reported {metric} of {task} is not a finite number: {value!r}")
        return float(value)

    def storable(self) -> dict[str, Any]:
        """The whole file as JSON every database accepts (non-finite numbers become None)."""
        return _finite_json(self.model_dump(mode="python"))


@dataclass(frozen=True)
class LoggedTask:
    """One task of one results file, paired with the samples file that logged it."""

    results_file: Path
    task: str
    config: TaskConfig
    run: ResultsFile
    samples_file: Path

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.config.metadata)


def find_results_files(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every ``results_*.json`` below ``root`` (or ``root`` itself), in name order, with a
    one-line problem for entries that carry the name but are not files."""
    if root.is_file():
        yield root, None
        return
    if not root.is_dir():
        raise FlipInputError(f"{root} does not exist")
    found = False
    for path in sorted(root.rglob("results_*.json")):
        found = True
        yield path, None if path.is_file() else f"{path} is not a file"
    if not found:
        raise FlipInputError(f"no lm-eval results_*.json files below {root}")


def read_results(path: Path) -> ResultsFile:
    """A validated results file, or a one-line :class:`FlipInputError` naming what is wrong."""
    if not RESULTS_NAME.match(path.name):
        raise FlipInputError(f"{path}: not an lm-eval results file name (results_<time>.json)")
    try:
        size = path.stat().st_size
        if size > MAX_RESULTS_BYTES:
            raise FlipInputError(f"{path} is {size} bytes, over the {MAX_RESULTS_BYTES} limit")
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except FlipInputError:
        raise
    except OSError as error:
        raise FlipInputError(f"cannot read {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise FlipInputError(f"{path}: not UTF-8 JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise FlipInputError(f"{path}: not an lm-eval results file (not a JSON object)")
    try:
        return ResultsFile.model_validate(raw)
    except ValidationError as error:
        raise FlipInputError(f"{path}: {first_problem(error)}") from None


def _finite_json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(item) for item in value]
    return value


def first_problem(error: ValidationError) -> str:
    """The first schema violation, as one short line (never the offending value in full; a
    key that holds a line break or another control character is shown with it escaped)."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    where = where.encode("unicode_escape").decode("ascii")[:120] or "the file"
    return f"{where}: {problem['msg']}" + (
        f" ({len(error.errors()) - 1} more problems)" if len(error.errors()) > 1 else ""
    )


def logged_tasks(results_file: Path, run: ResultsFile) -> Iterator[LoggedTask]:
    """The tasks of a results file (by name), each with its ``samples_<task>_<time>.jsonl``."""
    stamp = RESULTS_NAME.match(results_file.name)
    time = stamp["time"] if stamp else ""
    for task, config in sorted(run.configs.items()):
        yield LoggedTask(
            results_file,
            task,
            config,
            run,
            results_file.with_name(f"samples_{task}_{time}.jsonl"),
        )


def newest_samples_files(root: Path) -> dict[str, Path]:
    """The newest ``samples_<task>_<time>.jsonl`` per task below ``root`` (``flip summarize``
    reads folders that may hold several evaluations of one task)."""
    newest: dict[str, tuple[str, Path]] = {}
    for path in root.rglob("samples_*.jsonl"):
        match = SAMPLES_NAME.match(path.name)
        if match and path.is_file() and match["time"] > newest.get(match["task"], ("", path))[0]:
            newest[match["task"]] = (match["time"], path)
    return {task: path for task, (_, path) in sorted(newest.items())}


def results_file_of(samples_file: Path) -> Path | None:
    """The results file written beside a samples file by the same evaluation, if present."""
    match = SAMPLES_NAME.match(samples_file.name)
    if not match:
        return None
    path = samples_file.with_name(f"results_{match['time']}.json")
    return path if path.is_file() else None


def is_output_file_name(name: str) -> bool:
    """Whether a file name is one that lm-eval writes (uploads keep only those)."""
    return bool(RESULTS_NAME.match(name) or SAMPLES_NAME.match(name))
