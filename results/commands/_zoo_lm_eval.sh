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
