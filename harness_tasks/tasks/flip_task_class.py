"""The class the task YAMLs name (``class: !function flip_task_class.BestOfNTask``).

lm-eval imports this file by its path, outside any package, so it holds no logic of its own:
it re-exports the class from the installed ``harness_tasks`` package.
"""

from harness_tasks.best_of_n_task import BestOfNTask

__all__ = ["BestOfNTask"]
