"""Run this project's lm-eval tasks from Python and write the output the way the CLI does.

``flip eval`` (and the tests, with a fake model) go through here: lm-eval's
``simple_evaluate`` with a TaskManager that sees only our tasks (about 8 s faster than the CLI,
which indexes every built-in task), then lm-eval's own EvaluationTracker writes
``results_*.json`` and ``samples_*.jsonl``, so ``flip ingest`` reads one format whichever way a
run was made. A response cache (``use_cache``) makes an interrupted run resumable: requests
already answered are not sent to the model again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness_tasks.catalog import TASK_DIR
from harness_tasks.lm_eval_output import find_results_files


def run_tasks(
    model: Any,
    tasks: Sequence[str],
    output_path: Path,
    *,
    model_args: str | dict[str, Any] | None = None,
    profile: str = "default",
    batch_size: int | str | None = None,
    device: str | None = None,
    limit: int | None = None,
    use_cache: str | None = None,
) -> Path:
    """Evaluate ``tasks`` with ``model`` (an lm-eval model name or LM object); returns the
    results file written under ``output_path``."""
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    tracker = EvaluationTracker(output_path=str(output_path))
    task_manager = TaskManager(
        include_path=[str(TASK_DIR)], include_defaults=False, metadata={"profile": profile}
    )
    results = simple_evaluate(
        model=model,
        model_args=model_args,
        tasks=list(tasks),
        batch_size=batch_size,
        device=device,
        limit=limit,
        use_cache=use_cache,
        log_samples=True,
        evaluation_tracker=tracker,
        apply_chat_template=True,
        task_manager=task_manager,
    )
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task in results["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    written = [path for path, problem in find_results_files(Path(output_path)) if problem is None]
    return max(written, key=lambda path: path.stat().st_mtime)
