# Two entry points: `make demo` (main job on the bundled default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tmeprog cohorts list
	$(BIN)/tmeprog train --config pipelines/prognosis_bundled.toml

# Debian's Chromium for the browser tests (report, profile, MLflow UI page), installed when
# missing; where it cannot be installed (no root, no package access) those tests skip.
browser:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
	  || echo "chromium could not be installed: the browser tests will be skipped"

test: $(STAMP) browser
	$(BIN)/ruff check tmeprog tests benchmarks scripts
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check tmeprog tests benchmarks scripts

clean:
	rm -rf $(VENV)
