#!/usr/bin/env bash
# Committed LLMBar Adversarial runs of a zoo model on the llama.cpp backend: every method on
# all 319 pairs of the four subsets (or the TASKs given), one lm_eval run per task, written
# under results/raw/llmbar-<alias>-<profile>-llamacpp/<task>/ as it finishes. Subset by subset
# (Neighbor's five methods first), so that a run stopped part way has whole subsets to compare
# methods on. Re-running skips finished tasks; lm-eval's response cache (results/cache/, not
# tracked) lets an interrupted task resume without asking the model again, and before each
# task it is seeded from the finished runs the task shares requests with (see _zoo_lm_eval.sh).
#   usage: bash results/commands/llmbar_zoo_llamacpp.sh ALIAS PROFILE [TASK ...]
#   e.g.   bash results/commands/llmbar_zoo_llamacpp.sh qwen2.5-coder-0.5b default
set -euo pipefail
source "$(dirname "$0")/_zoo_lm_eval.sh"
default_tasks() {
  for domain in neighbor gptinst gptout manual; do
    for method in flip flipll judge_pairwise judge_pointwise judge_listwise; do
      echo "${method}_llmbar_${domain}"
    done
  done
}
run_zoo_main "$@"
