#!/usr/bin/env bash
# A zoo model through lm-eval's own transformers backend (--model hf) on the fp32 folder
# converted from the same GGUF file: the reference the llama.cpp backend is checked against
# (benchmarks/backend_agreement.py). Written under results/raw/llmbar-<alias>-<profile>/<task>/.
#   usage: bash results/commands/llmbar_zoo_hf.sh ALIAS PROFILE TASK...
#   e.g.   bash results/commands/llmbar_zoo_hf.sh qwen2.5-coder-0.5b default flip_llmbar_neighbor
set -euo pipefail
source "$(dirname "$0")/_zoo_lm_eval.sh"
alias_name=$1 profile=$2
shift 2
folder=$("${FLIP_PYTHON}" -c "import sys; from flip_core.catalog.models import model_entry; \
from flip_core.models import converted_model_dir; print(converted_model_dir(model_entry(sys.argv[1])))" \
  "${alias_name}")
for task in "$@"; do
  out="results/raw/llmbar-${alias_name}-${profile}/${task}"
  if compgen -G "${out}/*/results_*.json" > /dev/null; then echo "skip ${task} (done)"; continue; fi
  rm -rf "${out}"
  echo "run ${task} ($(date -u +%FT%TZ))"
  "${FLIP_PYTHON}" -m lm_eval --model hf --model_args "pretrained=${folder},dtype=float32" \
    --device cpu --batch_size 8 \
    --tasks "${task}" --include_path harness_tasks/tasks \
    --apply_chat_template --log_samples --output_path "${out}" \
    --use_cache "results/cache/llmbar-${alias_name}-${profile}-${task}" \
    --metadata "{\"profile\": \"${profile}\"}"
done
