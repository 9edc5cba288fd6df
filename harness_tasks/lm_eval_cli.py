"""``python -m harness_tasks.lm_eval_cli ARGS``: lm-eval's own command line, with this project's
model classes registered (``--model llamacpp``).

lm-eval finds third-party tasks through ``--include_path`` but has no plugin mechanism for
models; importing the module that registers a model class before lm-eval parses its arguments
is the one honest way to add one without patching lm-eval. Everything else (arguments, output,
caching) is lm-eval's, unchanged.
"""

from __future__ import annotations

import harness_tasks.llamacpp_model  # noqa: F401  (registers --model llamacpp)


def main() -> None:
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


if __name__ == "__main__":
    main()
