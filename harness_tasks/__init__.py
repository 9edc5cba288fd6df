"""FLIP and the LLM-as-a-judge baselines as lm-evaluation-harness tasks.

``harness_tasks/tasks/`` is what ``lm_eval --include_path`` points at (``flip paths`` prints
it). Its YAMLs are generated from :mod:`harness_tasks.catalog`; all of them name one task class,
:class:`harness_tasks.best_of_n_task.BestOfNTask`, which delegates every scoring decision to
:mod:`flip_core.methods`. This package never touches the results database.
"""
