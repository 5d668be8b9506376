# Two entry points: `make demo` (main job on the bundled default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tmeprog cohorts list
	$(BIN)/tmeprog train --config pipelines/prognosis_bundled.toml

test: $(STAMP)
	$(BIN)/ruff check tmeprog tests benchmarks scripts
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check tmeprog tests benchmarks scripts

clean:
	rm -rf $(VENV)
