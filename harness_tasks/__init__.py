"""FLIP and the LLM-as-a-judge baselines as lm-evaluation-harness tasks.

This folder is what ``lm_eval --include_path`` points at (``flip paths`` prints it). The task
YAMLs and their Python task classes are added with the harness work; until then it holds no
tasks.
"""
