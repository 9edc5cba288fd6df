# Shared by the committed-results scripts (sourced, not run): the environment and the one
# lm_eval command line of the bundled model (SmolLM2-135M-Instruct, fp32 on CPU, batch 8,
# cpu profile, chat template, every sample logged).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${FLIP_DATA_DIR:=$(cd .. && pwd)/shared/data}"
export FLIP_DATA_DIR HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
model_dir=$(.venv/bin/python -c "from flip_core.models import bundled_model_dir; print(bundled_model_dir())")

# run_bundled_task TASK OUTPUT_FOLDER CACHE_PREFIX
run_bundled_task() {
  .venv/bin/lm_eval --model hf \
    --model_args "pretrained=${model_dir},dtype=float32" \
    --device cpu --batch_size 8 \
    --tasks "$1" --include_path harness_tasks/tasks \
    --apply_chat_template --log_samples --output_path "$2" \
    --use_cache "$3" \
    --metadata '{"profile": "cpu"}'
}
