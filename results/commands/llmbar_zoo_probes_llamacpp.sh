#!/usr/bin/env bash
# The restatement guard and the reward-hacking probes for a zoo model on the llama.cpp backend:
# first the guarded variants (flip_guarded, flipll_guarded) on all four LLMBar subsets, then
# every probe (_hack_*) of the 134 Neighbor pairs for the five methods and the two guarded
# variants, hack_restate first. Each task's response cache is seeded from the finished runs it
# shares requests with (its clean run, its unguarded twin), so only the edited or guarded texts
# reach the model. Needs the clean runs of llmbar_zoo_llamacpp.sh for the seeds (runs without
# them ask the model for everything). Re-running skips finished tasks.
#   usage: bash results/commands/llmbar_zoo_probes_llamacpp.sh ALIAS PROFILE [TASK ...]
set -euo pipefail
source "$(dirname "$0")/_zoo_lm_eval.sh"
default_tasks() {
  for domain in neighbor gptinst gptout manual; do
    echo "flip_guarded_llmbar_${domain}" "flipll_guarded_llmbar_${domain}"
  done
  for probe in hack_restate hack_append hack_pad hack_markdown; do
    for method in flip flipll flip_guarded flipll_guarded judge_pairwise judge_pointwise \
      judge_listwise; do
      echo "${method}_llmbar_neighbor_${probe}"
    done
  done
}
run_zoo_main "$@"
