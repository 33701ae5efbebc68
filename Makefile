# 哨望 Shaowang — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run run-demo test lint bench clean accelerate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -e '.[accel]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -e '.[accel,test]'
	touch $@ $(STAMP_RUN)

# The compiled parse path (mypyc): rebuilt when a source changed; Python without a C compiler.
accelerate: $(STAMP_RUN)
	$(BIN)/python -m collectors.accelerate build

run: accelerate
	$(BIN)/soc run

run-demo: accelerate
	$(BIN)/soc run --demo

test: $(STAMP_TEST) accelerate
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/mypy soc_core collectors detectors soc_api

bench: accelerate
	$(BIN)/python bench/event_model.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/detect.py

clean:
	-$(BIN)/python -m collectors.accelerate clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
