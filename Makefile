# Two commands for a fresh machine with Python 3.11+:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint schema vietnam baseline clean services fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set up if needed, then run the built-in demo scenario.
demo: $(STAMP)
	$(BIN)/vaxsim run scenarios/demo-district.yaml

## What the tests need from Debian, installed with apt-get when missing: PostgreSQL (the
## database tests start and stop their own server) and headless Chromium (the report's test).
services:
	bash tools/services/postgres.sh
	bash tools/services/chromium.sh

## Set up if needed, then run the whole default test suite (what CI runs).
test: $(STAMP) services
	$(BIN)/ruff check vaxsim tests benchmarks tools notebooks
	$(BIN)/python -m pytest

## Long checks (national scale), not part of the default suite.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check vaxsim tests benchmarks tools notebooks

## Regenerate the shipped JSON Schema after changing the scenario models.
schema: $(STAMP)
	$(BIN)/vaxsim schema --write

## Regenerate scenarios/vietnam-2021.yaml from vaxsim/data/.
vietnam: $(STAMP)
	$(BIN)/python tools/build_vietnam_2021.py

## Regenerate the demo's KPI baseline after an intended change to the simulation.
baseline: $(STAMP)
	$(BIN)/python tools/update_baseline.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## The long fuzz run (hypothesis, issue 17): counts go to benchmarks/fuzz.json (see fuzz.md).
fuzz: $(STAMP)
	VAXSIM_FUZZ=long $(BIN)/python -m pytest tests/fuzz -q
