# The contract (see README): `make demo` and `make test` set up .venv if needed, then run.
SHELL := /bin/bash

PYTHON      ?= .venv/bin/python
SIM         ?= .venv/bin/sim
DEMO_A ?= configs/peo_100x20.yaml
DEMO_B ?= configs/peo_mof_100x20.yaml
PYTEST_ARGS ?=
# pytest-xdist workers (0: serial). Tests that share a daemon, a module fixture or apt carry an
# xdist_group mark; --dist loadgroup keeps each group on one worker.
PYTEST_WORKERS ?= 2

.PHONY: setup lint test demo bench clean

setup:
	bash scripts/setup.sh

# ruff (lint + format) over the repository and mypy over sim/ (configured in pyproject.toml)
lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

test: setup
	$(PYTHON) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) tests

demo: setup
	$(SIM) compare $(DEMO_A) $(DEMO_B)

bench: setup
	$(PYTHON) benchmarks/run.py

# Generated files only: run directories and meshes; the README files stay.
clean:
	find results -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	find meshes -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
