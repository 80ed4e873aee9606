# Two commands for a new user: `make run` and `make test`. Both create .venv if missing.
# Python 3.11, 3.12 or 3.13: scripts/find-python.sh picks one unless PYTHON names it
# (`make test PYTHON=python3.13 VENV=.venv-3.13`); scripts/setup-venv.sh never leaves a
# broken .venv behind.
PYTHON ?=
VENV ?= .venv
HERE := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_LOGGING_LEVEL ?= WARNING
export PREFECT_LOGGING_LEVEL ?= WARNING

.PHONY: setup bytecode run test lint typecheck unit browser bench lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock $(HERE)scripts/setup-venv.sh
	PYTHON="$(PYTHON)" VENV="$(VENV)" bash $(HERE)scripts/setup-venv.sh

## Compile the project's modules once: every run and every extraction worker imports them,
## and Python does not write bytecode itself where PYTHONDONTWRITEBYTECODE is set.
bytecode:
	$(BIN)/python -m compileall -q news_ingest flows connectors warehouse

## The main job: ingest the bundled seeds into data/news.duckdb.
run: $(STAMP) bytecode
	$(BIN)/news-ingest run --sources seeds/sources.toml --db data/news.duckdb

## Lint, type-check and the whole test suite.
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check news_ingest flows connectors warehouse tests bench
	$(BIN)/ruff format --check news_ingest flows connectors warehouse tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser
	$(BIN)/pytest

## Debian's chromium for the HTML report's browser test (a no-op once installed).
browser:
	bash scripts/ensure-chromium.sh

bench: $(STAMP) bytecode
	$(BIN)/python -m bench.run

## Re-freeze the full dependency set after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable --exclude news-ingest --exclude pip > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
