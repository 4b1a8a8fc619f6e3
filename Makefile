# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := workspace
# Links in the mail of the local server lead to it (set PUBLIC_URL to override).
export PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install install-test translations vnu db demo lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations vnu

# The Nu HTML checker for tests/test_html_valid.py, from npm into .vnu/ (needs Java to run).
# Without npm, or if the install fails, the test is skipped and says why: `make test` still runs.
VNU_VERSION := 26.9.27
VNU_STAMP := .vnu/.installed-$(VNU_VERSION)
vnu: $(VNU_STAMP)

$(VNU_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --silent --prefix .vnu vnu-jar@$(VNU_VERSION) \
	    && touch $@ \
	    || echo "vnu-jar could not be installed: the HTML check will be skipped"; \
	else \
	  echo "npm not found: the HTML check (tests/test_html_valid.py) will be skipped"; \
	fi

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d workspace/translations

instance/config.py:
	$(BIN)/python -m workspace.setup_instance

db: install instance/config.py
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo-data

run: demo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (not part of `make test`): results in bench/results/. bench/run.py is the whole
# benchmark of issue 8 (gunicorn + wrk, needs `apt-get install wrk`; BENCH_ARGS to narrow it,
# e.g. BENCH_ARGS="--sizes realistic --backends sqlite"); the others measure one part each.
# Where a page's time goes: .venv/bin/python bench/profile.py [page ...] [--sql] [--profile].
BENCH_ARGS ?=
bench: install $(VENV)/.installed-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)  # runs bench/storage.py too
	$(BIN)/python bench/revisions.py
	$(BIN)/python bench/discussions.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/activity.py
	$(BIN)/python bench/archive.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) .vnu build *.egg-info
