#!/usr/bin/env bash
# Committed LLMBar Adversarial runs of a zoo model on the llama.cpp backend: every method on
# all 319 pairs of the four subsets (or the TASKs given), one lm_eval run per task, written
# under results/raw/llmbar-<alias>-<profile>-llamacpp/<task>/ as it finishes. Re-running skips
# finished tasks; lm-eval's response cache (results/cache/, not tracked) lets an interrupted
# task resume without asking the model again for answered requests.
#   usage: bash results/commands/llmbar_zoo_llamacpp.sh ALIAS PROFILE [TASK ...]
#   e.g.   bash results/commands/llmbar_zoo_llamacpp.sh qwen2.5-coder-0.5b default
set -euo pipefail
source "$(dirname "$0")/_zoo_lm_eval.sh"
alias_name=$1 profile=$2
shift 2
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
  for method in flip flipll judge_pointwise judge_pairwise judge_listwise; do
    for domain in neighbor gptinst gptout manual; do tasks+=("${method}_llmbar_${domain}"); done
  done
fi
run="llmbar-${alias_name}-${profile}-llamacpp"
for task in "${tasks[@]}"; do
  out="results/raw/${run}/${task}"
  if compgen -G "${out}/*/results_*.json" > /dev/null; then echo "skip ${task} (done)"; continue; fi
  rm -rf "${out}"
  echo "run ${task} ($(date -u +%FT%TZ))"
  run_zoo_task "${alias_name}" "${profile}" "${task}" "${out}" "results/cache/${run}-${task}"
done
