# The two commands of the quick start: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo
AS_OF := 2026-11-26T08:00

.PHONY: demo test format lint typecheck pytest bench example clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,charts]'
	touch $(STAMP)

# The main job on the bundled example workbook, in a scratch folder git ignores.
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	cp examples/team-metrics.xlsx examples/demo.toml $(DEMO)/
	@echo "== metrics-sync run --once on $(DEMO)/team-metrics.xlsx (as of $(AS_OF), the example's date)"
	-$(BIN)/metrics-sync run --once --config $(DEMO)/demo.toml --as-of $(AS_OF)
	@$(BIN)/python examples/summary.py $(DEMO)

test: lint typecheck pytest

# The formatter, applied: `make test` fails on code it would change.
format: $(STAMP)
	$(BIN)/ruff format sync tests bench examples docs/tools

lint: $(STAMP)
	$(BIN)/ruff check sync tests bench examples docs/tools
	$(BIN)/ruff format --check sync tests bench examples docs/tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n auto --dist worksteal

# Benchmarks (not tests): the KPI rules alone, then full syncs against the Sheets emulator,
# beside the floor and the naive script; bench/RESULTS.md is rewritten, then the .xlsx path
# at 10,000 KPIs x 104 weeks beside its floor adds its section. A quick look:
# `make bench SIZES=100,1000` (written to bench/out/RESULTS.md instead).
SIZES ?= 100,1000,10000,50000,70000
comma := ,
bench: $(STAMP)
	-$(BIN)/python bench/kpi_rules.py
	$(BIN)/python -m bench.sheets --sizes $(SIZES)
	$(BIN)/python -m bench.xlsx --output $(if $(filter $(SIZES),100$(comma)1000$(comma)10000$(comma)50000$(comma)70000),bench/RESULTS.md,bench/out/RESULTS.md)

example: $(STAMP)
	$(BIN)/python examples/make_example.py

clean:
	rm -rf $(DEMO) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
