"""The catalogue of lm-eval tasks and groups (conventions.md names), and their YAML files.

The YAMLs in ``harness_tasks/tasks/`` are generated from this catalogue so that hundreds of
near-identical files cannot drift apart; a test fails when they are out of date. The clean tasks
sit at the top; the variants (conventions.md) in sub-folders: ``sampled/`` (``_s5``, FLIP with
five sampled reconstructions, :mod:`flip_core.sampled`) and ``probes/`` (``_hack_*``, every
method on items whose rejected candidates were edited, :mod:`flip_core.probes`). After editing
the catalogue, regenerate them with::

    python -m harness_tasks.catalog --write
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from flip_core.methods import METHOD_NAMES, get_method
from flip_core.probes import PROBES
from flip_core.prompts import STOP_STRINGS
from flip_core.sampled import SAMPLE_COUNT, SAMPLE_TEMPERATURE, SAMPLED_VARIANT

TASK_DIR = Path(__file__).resolve().parent / "tasks"
BASE_YAML = "_best_of_n.yaml"
LIKELIHOOD_BASE_YAML = "_best_of_n_loglikelihood.yaml"
"""Base of the methods that score continuations (FLIP-likelihood): no generation settings."""
TASK_VERSION = 1

# Domains with a task of their own, and the domains each benchmark group averages.
TASK_DOMAINS: dict[str, tuple[str, ...]] = {
    "rb2": ("focus", "factuality", "precise_if", "math"),
    "llmbar": ("neighbor", "gptinst", "gptout", "manual", "natural"),
    "demo": ("all",),
}
GROUP_DOMAINS: dict[str, tuple[str, ...]] = {
    "rb2": ("focus", "factuality", "precise_if", "math"),
    "llmbar": ("neighbor", "gptinst", "gptout", "manual"),
    "demo": ("all",),
}
DATASETS = {
    "rb2": "allenai/reward-bench-2 (split test) or $FLIP_DATA_DIR/reward-bench-2",
    "llmbar": "princeton-nlp/LLMBar via allenai/reward-bench (split filtered) "
    "or $FLIP_DATA_DIR/llmbar",
    "demo": "flip_core/data/demo_rb2.jsonl (bundled demo set)",
}
GROUP_METRICS = ("acc", "acc_tie_aware", "parse_fail_rate")
CLEAN = "none"
VARIANT_FOLDERS = {SAMPLED_VARIANT: "sampled", **{probe: "probes" for probe in PROBES}}
VARIANT_METHODS = {SAMPLED_VARIANT: ("flip",), **{probe: METHOD_NAMES for probe in PROBES}}
"""Which methods each variant exists for: sampling is FLIP's protocol; probes test every method."""
VARIANT_NOTES = {
    SAMPLED_VARIANT: f"# Variant {SAMPLED_VARIANT}: the task class samples {SAMPLE_COUNT} "
    f"reconstructions per candidate\n# at temperature {SAMPLE_TEMPERATURE} (lm-eval repeats) and "
    "keeps them all (flip_core/sampled.py).\n",
    **{
        probe: f"# Variant {probe}: the rejected candidates are edited by the {probe} probe\n"
        "# before any request is built (flip_core/probes.py).\n"
        for probe in PROBES
    },
}


@dataclass(frozen=True)
class TaskSpec:
    method: str
    benchmark: str
    domain: str
    variant: str = CLEAN

    @property
    def name(self) -> str:
        base = f"{self.method}_{self.benchmark}"
        if self.benchmark != "demo":
            base += f"_{self.domain}"
        return base if self.variant == CLEAN else f"{base}_{self.variant}"

    @property
    def path(self) -> str:
        """The YAML's path under the task folder."""
        return task_path(self.name, self.variant)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    members: tuple[str, ...]
    aggregate: bool
    variant: str = CLEAN

    @property
    def path(self) -> str:
        return task_path(self.name, self.variant)


def task_path(name: str, variant: str) -> str:
    return f"{name}.yaml" if variant == CLEAN else f"{VARIANT_FOLDERS[variant]}/{name}.yaml"


def task_specs() -> list[TaskSpec]:
    """Every clean task, then every variant task (variants for the methods they apply to)."""
    clean = [
        TaskSpec(method, benchmark, domain)
        for benchmark, domains in TASK_DOMAINS.items()
        for method in METHOD_NAMES
        for domain in domains
    ]
    variants = [
        TaskSpec(method, benchmark, domain, variant)
        for variant, methods in VARIANT_METHODS.items()
        for benchmark, domains in TASK_DOMAINS.items()
        for method in methods
        for domain in domains
    ]
    return clean + variants


def group_specs() -> list[GroupSpec]:
    """Per method and benchmark a group with the plain mean of its domains (as the paper
    reports), for the clean tasks and each variant; per benchmark an ``_all`` group that runs
    every clean method, without an aggregate (a mean across methods means nothing, and lm-eval
    would average leaf tasks anyway)."""
    groups = []
    for benchmark, domains in GROUP_DOMAINS.items():
        method_groups = []
        for method in METHOD_NAMES:
            members = tuple(TaskSpec(method, benchmark, domain).name for domain in domains)
            if benchmark == "demo":
                method_groups.extend(members)
                continue
            name = f"{method}_{benchmark}"
            groups.append(GroupSpec(name, members, aggregate=True))
            method_groups.append(name)
        groups.append(GroupSpec(f"{benchmark}_all", tuple(method_groups), aggregate=False))
        if benchmark == "demo":
            continue
        for variant, methods in VARIANT_METHODS.items():
            for method in methods:
                members = tuple(
                    TaskSpec(method, benchmark, domain, variant).name for domain in domains
                )
                name = f"{method}_{benchmark}_{variant}"
                groups.append(GroupSpec(name, members, aggregate=True, variant=variant))
    return groups


def render_base_yaml() -> str:
    stops = ", ".join(f'"{stop}"' for stop in STOP_STRINGS)
    return (
        "# Shared settings of every FLIP / judge task (generated by harness_tasks/catalog.py).\n"
        "# max_gen_toks is the 'default' decoding profile's; --metadata "
        '\'{"profile": "cpu"}\' selects\n# the cpu profile and --gen_kwargs overrides both.\n'
        "class: !function flip_task_class.BestOfNTask\n"
        "output_type: generate_until\n"
        "generation_kwargs:\n"
        f"  until: [{stops}]\n"
        "  max_gen_toks: 512\n"
        "  do_sample: false\n"
        "  temperature: 0.0\n"
    )


def render_likelihood_base_yaml() -> str:
    return (
        "# Shared settings of every FLIP-likelihood task (this project's extension of FLIP;\n"
        "# generated by harness_tasks/catalog.py). Teacher-forced log-probabilities of the\n"
        "# original instruction: nothing is generated, so there are no generation settings and\n"
        "# --gen_kwargs does not apply; the decoding profile only names the run.\n"
        "class: !function flip_task_class.BestOfNTask\n"
        "output_type: loglikelihood\n"
    )


def base_yaml_of(method: str) -> str:
    """The shared YAML a method's tasks include, by what the method asks the model."""
    return LIKELIHOOD_BASE_YAML if get_method(method).request_type == "loglikelihood" else BASE_YAML


def render_task_yaml(spec: TaskSpec) -> str:
    base = base_yaml_of(spec.method)
    return (
        "# Generated by harness_tasks/catalog.py; edit the catalogue, not this file.\n"
        + VARIANT_NOTES.get(spec.variant, "")
        + f"include: {base if spec.variant == CLEAN else '../' + base}\n"
        f"task: {spec.name}\n"
        "metadata:\n"
        f"  version: {TASK_VERSION}\n"
        f"  method: {spec.method}\n"
        f"  benchmark: {spec.benchmark}\n"
        f"  domain: {spec.domain}\n"
        f"  variant: {spec.variant}\n"
        f'  dataset: "{DATASETS[spec.benchmark]}"\n'
        '  dataset_revision: "resolved at load time; logged with every sample"\n'
    )


def render_group_yaml(spec: GroupSpec) -> str:
    lines = [
        "# Generated by harness_tasks/catalog.py; edit the catalogue, not this file.",
        f"group: {spec.name}",
        "task:",
        *(f"  - {member}" for member in spec.members),
    ]
    if spec.aggregate:
        lines.append("aggregate_metric_list:")
        for metric in GROUP_METRICS:
            lines += [
                f"  - metric: {metric}",
                "    aggregation: mean",
                "    weight_by_size: false",
            ]
    lines += ["metadata:", f"  version: {TASK_VERSION}"]
    return "\n".join(lines) + "\n"


def expected_files() -> dict[str, str]:
    files = {BASE_YAML: render_base_yaml(), LIKELIHOOD_BASE_YAML: render_likelihood_base_yaml()}
    files.update({spec.path: render_task_yaml(spec) for spec in task_specs()})
    files.update({spec.path: render_group_yaml(spec) for spec in group_specs()})
    return files


def stale_files(folder: Path = TASK_DIR) -> list[str]:
    """YAML files (paths under ``folder``) that are missing, differ from the catalogue, or are
    not in it."""
    expected = expected_files()
    problems = [
        name
        for name, text in expected.items()
        if not (folder / name).is_file() or (folder / name).read_text() != text
    ]
    problems += [name for name in _yaml_files(folder) if name not in expected]
    return sorted(problems)


def _yaml_files(folder: Path) -> list[str]:
    return [path.relative_to(folder).as_posix() for path in folder.rglob("*.yaml")]


def write_files(folder: Path = TASK_DIR) -> None:
    for name in _yaml_files(folder):
        (folder / name).unlink()
    for name, text in expected_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the task YAMLs")
    args = parser.parse_args(argv)
    if args.write:
        write_files()
        print(f"wrote {len(expected_files())} files to {TASK_DIR}")
        return 0
    stale = stale_files()
    print("up to date" if not stale else "stale: " + ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
