#!/usr/bin/env bash
# Best-of-11 reranking of the first 100 AlpacaEval development prompts with the bundled model
# (cpu profile), one JSON line per finished prompt under results/rerank/. Re-running resumes
# where a stopped run left off; the model-free methods finish at once.
#   usage: bash results/commands/alpacaeval_rerank_cpu.sh [METHOD ...]   (default: all five)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${FLIP_DATA_DIR:=$(cd .. && pwd)/shared/data}"
export FLIP_DATA_DIR HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
input="${FLIP_DATA_DIR}/alpacaeval_bon/tulu2dpo13b_bo11_dev.jsonl"
methods=("$@")
[ ${#methods[@]} -eq 0 ] && methods=(longest random flip flipll judge_pointwise)
for method in "${methods[@]}"; do
  .venv/bin/flip rerank --input "$input" --method "$method" --profile cpu --limit 100 \
    --output "results/rerank/alpacaeval-dev-${method}-smollm2-135m-cpu.jsonl"
done
