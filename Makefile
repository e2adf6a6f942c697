# edgekit: the two commands a newcomer runs are `make demo` and `make test`.
# Each does all setup first (apt packages, venv, native build), idempotently via stamps.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV   := .venv
PY     := $(abspath $(VENV))/bin/python
STAMPS := build/.stamps
export PYTHONDONTWRITEBYTECODE := 1

# Area fragments append to these: SETUP_TARGETS (built before anything runs),
# TEST_TARGETS (run by `make test` after setup, before pytest).
SETUP_TARGETS :=
TEST_TARGETS  :=
include $(sort $(wildcard mk/*.mk))

.PHONY: help setup demo test test-py lint clean
help:
	@echo "make demo   - set everything up, export the default model, profile it, write a report"
	@echo "make test   - set everything up and run the whole test suite"
	@echo "make lint   - ruff"

$(STAMPS):
	@mkdir -p $@

$(STAMPS)/apt: requirements/apt/*.txt scripts/setup-apt.sh | $(STAMPS)
	scripts/setup-apt.sh
	@touch $@

$(STAMPS)/venv: requirements/lock.txt requirements/constraints.txt requirements/nodeps.txt pyproject.toml scripts/setup-venv.sh | $(STAMPS)
	scripts/setup-venv.sh
	@touch $@

setup: $(STAMPS)/apt $(STAMPS)/venv $(SETUP_TARGETS)

demo: setup
	$(PY) -m edgekit.demo

test-py: setup
	$(PY) -m pytest -n 2 --dist loadgroup tests

test: setup $(TEST_TARGETS) lint test-py

lint: $(STAMPS)/venv
	$(VENV)/bin/ruff check $(wildcard edgekit tests bench apps converters)

clean:
	rm -rf build
