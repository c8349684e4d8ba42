# The contract (see README): `make demo` and `make test` set up .venv if needed, then run.
SHELL := /bin/bash

PYTHON      ?= .venv/bin/python
SIM         ?= .venv/bin/sim
DEMO_CONFIGS ?= configs/seed002_bilayer.yaml configs/examples/conduction_peo_mof_slab.yaml
PYTEST_ARGS ?=

.PHONY: setup test demo bench clean

setup:
	bash scripts/setup.sh

test: setup
	$(PYTHON) -m pytest -q $(PYTEST_ARGS) tests

demo: setup
	@for c in $(DEMO_CONFIGS); do $(SIM) run $$c || exit $$?; done
	@echo "demo results: results/ (open results/<name>/fields/*.bp in ParaView; figures in results/<name>/figures/)"

bench: setup
	$(PYTHON) benchmarks/run.py

# Generated files only: run directories and meshes; the README files stay.
clean:
	find results -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	find meshes -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
