#!/usr/bin/env bash
# The committed LLMBar Adversarial runs of the bundled model (SmolLM2-135M-Instruct, cpu
# profile, all 319 pairs): one lm_eval run per task, written under results/raw/ as it finishes.
# Re-running skips finished tasks, and lm_eval's response cache (results/cache/, not tracked)
# lets an interrupted task resume without asking the model again for answered requests.
#   usage: bash results/commands/llmbar_bundled_cpu.sh [TASK ...]
set -euo pipefail
source "$(dirname "$0")/_bundled_lm_eval.sh"
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
  for method in flip judge_pointwise judge_listwise flipll; do
    for domain in neighbor gptinst gptout manual; do tasks+=("${method}_llmbar_${domain}"); done
  done
fi
for task in "${tasks[@]}"; do
  out="results/raw/llmbar-smollm2-135m-cpu/${task}"
  if compgen -G "${out}/*/results_*.json" > /dev/null; then echo "skip ${task} (done)"; continue; fi
  rm -rf "${out}"
  echo "run ${task}"
  run_bundled_task "${task}" "${out}" "results/cache/llmbar-smollm2-135m-cpu-${task}"
done
