# Shared by the zoo result scripts (sourced, not run): the environment and the one lm_eval
# command line of a zoo model on the llama.cpp backend (8 sequences decoded together, every
# core, chat template, every sample logged), through lm-eval's own CLI with this project's
# model class registered (python -m harness_tasks.lm_eval_cli). FLIP_THREADS (default: every
# core) sets llama.cpp's threads: on a machine shared with other work, 1 thread per job runs
# steadier than 2 threads fighting for the cores.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${FLIP_DATA_DIR:=$(cd .. && pwd)/shared/data}"
: "${FLIP_PYTHON:=.venv/bin/python}"
export FLIP_DATA_DIR HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

# run_zoo_task MODEL_ALIAS PROFILE TASK OUTPUT_FOLDER CACHE_PREFIX
run_zoo_task() {
  "${FLIP_PYTHON}" -m harness_tasks.lm_eval_cli --model llamacpp \
    --model_args "pretrained=$1,enable_thinking=False${FLIP_THREADS:+,n_threads=${FLIP_THREADS}}" \
    --batch_size 8 \
    --tasks "$3" --include_path harness_tasks/tasks \
    --apply_chat_template --log_samples --output_path "$4" \
    --use_cache "$5" \
    --metadata "{\"profile\": \"$2\"}"
}

# related_runs RUN_FOLDER TASK: the finished runs of RUN_FOLDER whose requests TASK repeats:
# its clean run (a probe changes only the rejected candidates), its unguarded twin (the guard
# changes only the texts it acts on) and that twin's clean run.
related_runs() {
  local clean="${2%_hack_*}" unguarded="${2/_guarded/}"
  local candidate
  for candidate in "${clean}" "${unguarded}" "${unguarded%_hack_*}"; do
    [ "${candidate}" != "$2" ] && compgen -G "$1/${candidate}/*/results_*.json" > /dev/null \
      && echo "$1/${candidate}"
  done | sort -u
}

# run_zoo_tasks MODEL_ALIAS PROFILE TASK...: each task unless finished, its cache seeded first.
run_zoo_tasks() {
  local alias_name=$1 profile=$2
  shift 2
  local run="results/raw/llmbar-${alias_name}-${profile}-llamacpp" task out cache seeds
  for task in "$@"; do
    out="${run}/${task}"
    if compgen -G "${out}/*/results_*.json" > /dev/null; then echo "skip ${task} (done)"; continue; fi
    cache="results/cache/llmbar-${alias_name}-${profile}-llamacpp-${task}"
    mapfile -t seeds < <(related_runs "${run}" "${task}")
    if [ ${#seeds[@]} -gt 0 ]; then "${FLIP_PYTHON}" -m flip_cli.main cache seed "${seeds[@]}" --cache "${cache}"; fi
    rm -rf "${out}"
    echo "run ${task} ($(date -u +%FT%TZ))"
    run_zoo_task "${alias_name}" "${profile}" "${task}" "${out}" "${cache}"
  done
}

# run_zoo_main MODEL_ALIAS PROFILE [TASK...]: a script's entry; without TASKs, the tasks its
# default_tasks function prints (whitespace-separated).
run_zoo_main() {
  local alias_name=$1 profile=$2
  shift 2
  local tasks=("$@")
  if [ ${#tasks[@]} -eq 0 ]; then read -r -a tasks <<< "$(default_tasks | tr '\n' ' ')"; fi
  run_zoo_tasks "${alias_name}" "${profile}" "${tasks[@]}"
}
