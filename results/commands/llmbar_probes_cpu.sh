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
cd "$(dirname "$0")/../.."
: "${FLIP_DATA_DIR:=$(cd .. && pwd)/shared/data}"
export FLIP_DATA_DIR HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
model_dir=$(.venv/bin/python -c "from flip_core.models import bundled_model_dir; print(bundled_model_dir())")
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
  .venv/bin/lm_eval --model hf \
    --model_args "pretrained=${model_dir},dtype=float32" \
    --device cpu --batch_size 8 \
    --tasks "${task}" --include_path harness_tasks/tasks \
    --apply_chat_template --log_samples --output_path "${out}" \
    --use_cache "${cache}" \
    --metadata '{"profile": "cpu"}'
done
