"""``flip paths``: where things are installed, so nobody has to guess them.

Prints the lm-eval task folder (for ``lm_eval --include_path``), the converted bundled model
folder (for ``--model hf --model_args pretrained=...``; converting it on first call), each
ready zoo model's GGUF file (for ``--model llamacpp --model_args pretrained=...``, which also
takes the alias), and the cache.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("paths", help="print installed task and model folders")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flip_core import model_zoo
    from flip_core.catalog.models import MODELS
    from flip_core.models import bundled_model_dir
    from flip_core.paths import cache_dir
    from harness_tasks.catalog import TASK_DIR

    print(f"tasks:         {TASK_DIR}")
    print(f"bundled model: {bundled_model_dir()}")
    for entry in MODELS:
        if model_zoo.state(entry) is model_zoo.ModelState.READY:
            print(f"gguf {entry.alias}: {model_zoo.gguf_path(entry)}")
    print(f"cache:         {cache_dir()}")
    return 0
