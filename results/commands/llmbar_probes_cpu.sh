#!/usr/bin/env bash
# The committed reward-hacking probe runs of the bundled model (SmolLM2-135M-Instruct, cpu
# profile) on the 134 LLMBar Neighbor pairs: every probe (_hack_*) for FLIP and the pointwise
# and listwise judges, one lm_eval run per task, written under results/raw/ as it finishes.
# Before each run, lm-eval's response cache is seeded from the committed clean run of the same
# method (flip cache seed), so the requests that show only unchanged text (the gold candidate)
# are answered from the clean run and only the edited candidates reach the model; the cache
# also lets an interrupted run resume. Re-running skips finished tasks.
#   usage: bash results/commands/llmbar_probes_cpu.sh [TASK ...]
set -euo pipefail
source "$(dirname "$0")/_bundled_lm_eval.sh"
raw=results/raw/llmbar-smollm2-135m-cpu
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
  for probe in hack_restate hack_append hack_pad hack_markdown; do
    for method in flip judge_pointwise judge_listwise; do
      tasks+=("${method}_llmbar_neighbor_${probe}")
    done
  done
fi
for task in "${tasks[@]}"; do
  out="${raw}/${task}"
  if compgen -G "${out}/*/results_*.json" > /dev/null; then echo "skip ${task} (done)"; continue; fi
  clean="${task%_hack_*}"
  cache="results/cache/llmbar-smollm2-135m-cpu-${task}"
  .venv/bin/flip cache seed "${raw}/${clean}" --cache "${cache}"
  rm -rf "${out}"
  echo "run ${task}"
  run_bundled_task "${task}" "${out}" "${cache}"
done
