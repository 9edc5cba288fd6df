"""``flip eval``: the one-command submission path.

Runs this project's lm-eval tasks for a model (lm-eval's ``simple_evaluate``), writes the raw
output under ``results/raw/``, ingests it into the store, and prints the summary table with
chance and the length baselines. Model responses are cached per model and profile, so a run
that is interrupted resumes where it stopped instead of asking the model again.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from flip_core.backends import BACKENDS
from flip_core.catalog.benchmarks import BENCHMARKS
from flip_core.methods import METHOD_NAMES, PAPER_METHODS
from flip_core.profiles import HARNESS_PROFILES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model with lm-eval, store and summarise the results",
        description=__doc__,
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--model",
        default="default",
        help="'default' (bundled model), a zoo alias (flip models), a .gguf file, a model "
        "folder, or a Hub id",
    )
    which.add_argument(
        "--suite", help="a suite of models: 'paper' or a YAML file with a 'models:' list"
    )
    parser.add_argument(
        "--methods",
        default=",".join(PAPER_METHODS),
        help=f"comma-separated, from {', '.join(METHOD_NAMES)} (default: the paper's "
        "four; flipll is this project's extension)",
    )
    parser.add_argument("--benchmark", choices=tuple(BENCHMARKS), required=True)
    parser.add_argument(
        "--domains", help="comma-separated domains (default: the benchmark's averaged domains)"
    )
    parser.add_argument("--profile", choices=HARNESS_PROFILES, default="default")
    parser.add_argument("--limit", type=int, help="only the first N items per task (flagged)")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="hf",
        help="hf (transformers), llamacpp (GGUF models on llama.cpp's CPU kernels; the "
        "llamacpp extra), vllm (GPU; the vllm extra)",
    )
    parser.add_argument(
        "--batch-size",
        default="8",
        help="lm-eval batch size (or 'auto'); for llamacpp, sequences decoded together",
    )
    parser.add_argument("--device", help="cpu, cuda, ... (hf backend; default: lm-eval's)")
    parser.add_argument("--dtype", help="model dtype (default: float32 on CPU, else auto)")
    parser.add_argument("--output", default="results/raw", help="where raw output is written")
    parser.add_argument("--db", help="SQLAlchemy URL (default: sqlite:///results/flip.db)")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class EvalSettings:
    """How ``flip eval`` (and ``flip demo``) run a model through the harness."""

    profile: str = "default"
    limit: int | None = None
    backend: str = "hf"
    batch_size: str = "8"
    device: str | None = None
    dtype: str | None = None
    output: str = "results/raw"

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EvalSettings:
        return cls(
            args.profile, args.limit, args.backend, args.batch_size, args.device, args.dtype,
            args.output,
        )  # fmt: skip


def task_names(methods: list[str], benchmark: str, domains: list[str] | None) -> list[str]:
    """The clean tasks of ``methods`` on ``benchmark``'s domains (default: its averaged
    ones), named as the harness catalogue names them."""
    from flip_core.catalog.benchmarks import benchmark as benchmark_spec
    from flip_core.methods import method_class
    from harness_tasks.catalog import TaskSpec

    spec = benchmark_spec(benchmark)
    for method in methods:
        method_class(method)  # a one-line error for an unknown name
    chosen = domains or list(spec.averaged_domains)
    for domain in chosen:
        spec.domain(domain)
    return list(dict.fromkeys(TaskSpec(m, benchmark, d).name for m in methods for d in chosen))


def run(args: argparse.Namespace) -> int:
    from flip_core.errors import FlipConfigError
    from flip_store.database import open_engine

    if args.limit is not None and args.limit < 1:
        raise FlipConfigError(f"--limit must be >= 1, got {args.limit}")
    tasks = task_names(
        [m.strip() for m in args.methods.split(",") if m.strip()],
        args.benchmark,
        [d.strip() for d in args.domains.split(",")] if args.domains else None,
    )
    engine = open_engine(args.db, create=True)  # fail on a bad database before the long part
    models = load_suite(args.suite) if args.suite else [args.model]
    settings = EvalSettings.from_args(args)
    status = 0
    for model in models:
        status |= evaluate_model(model, tasks, settings, engine)
    return status


def load_suite(name: str) -> list[str]:
    """Model ids of a suite: a bundled suite name (``paper``) or a YAML file."""
    import yaml

    from flip_core.errors import FlipInputError

    bundled = Path(__file__).resolve().parent.parent / "suites" / f"{name}.yaml"
    path = bundled if bundled.is_file() else Path(name)
    try:
        models = yaml.safe_load(path.read_text())["models"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise FlipInputError(f"cannot read suite {name!r} ({path}): {error}") from None
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models) or not models:
        raise FlipInputError(f"suite {path} must hold a non-empty 'models:' list of model ids")
    return models


def evaluate_model(model: str, tasks: list[str], settings: EvalSettings, engine) -> int:
    """Evaluate one model: run, write raw output, ingest, print the summary.

    Returns the exit status: 1 when the store rejected a run, else 0.
    """
    from flip_cli.commands.summarize import print_summary
    from flip_cli.harness_run import run_tasks
    from flip_core.models import resolve_model
    from flip_store.ingest import ingest_path

    if settings.backend == "llamacpp":
        import harness_tasks.llamacpp_model  # noqa: F401  (registers --model llamacpp)

        resolved = resolve_model(model, convert=False)
        model_args = {"pretrained": model, "enable_thinking": False}
        on_cpu = True
    else:
        resolved = resolve_model(model)
        model_args = {"pretrained": resolved.path, "enable_thinking": False}
        if resolved.gguf_file:
            model_args["gguf_file"] = resolved.gguf_file
        on_cpu = settings.device == "cpu" or (settings.device is None and not _cuda_available())
    if settings.backend == "hf":
        model_args["dtype"] = settings.dtype or ("float32" if on_cpu else "auto")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", resolved.name).strip("_")[:80]
    # One folder and one response cache per model, profile and backend: answers of different
    # backends are never mixed (their numerics differ).
    run_name = f"{slug}-{settings.profile}" + (f"-limit{settings.limit}" if settings.limit else "")
    if settings.backend != "hf":
        run_name += f"-{settings.backend}"
    output = Path(settings.output) / run_name
    cache = Path("results") / "cache" / run_name
    cache.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"flip eval: {len(tasks)} tasks, model {resolved.name}, profile {settings.profile}"
        + (f", limit {settings.limit}" if settings.limit else "")
        + f"; raw output in {output}"
    )
    results_file = run_tasks(
        settings.backend,
        tasks,
        output,
        model_args=model_args,
        profile=settings.profile,
        batch_size=settings.batch_size,
        device=None
        if settings.backend == "llamacpp"
        else settings.device or ("cpu" if on_cpu else None),
        limit=settings.limit,
        use_cache=str(cache),
    )
    report = ingest_path(engine, results_file)
    print()
    print_summary(results_file.parent)
    return 1 if report.rejected else 0


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
