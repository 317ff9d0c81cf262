# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The app as a deployment runs it: requirements.txt only. The browser tests serve the app from here, so a
# runtime dependency that only a test tool pulls into .venv cannot hide (#20). pip's cache makes it cheap.
APP_VENV := .venv-app
PORT ?= 8501

.PHONY: run test test-fast setup setup-dev setup-app demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(APP_VENV)/.installed: requirements.txt
	rm -rf $(APP_VENV)
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

## setup-app: the runtime-only environment the browser tests serve the app from
setup-app: $(APP_VENV)/.installed

setup-dev: $(VENV)/.installed-dev
	@bash scripts/ensure-chromium

## run: set up, load the demo data into an empty database, and serve the app on http://localhost:$(PORT)
run: setup
	$(BIN)/python -m cxdash demo --if-empty
	$(BIN)/python -m cxdash serve --server.address localhost --server.port $(PORT) --server.headless true

## test: set up and run the whole test suite (SQLite, PostgreSQL when reachable, AppTest, headless Chromium)
test: setup-dev setup-app
	CXDASH_APP_PYTHON=$(CURDIR)/$(APP_VENV)/bin/python $(BIN)/python -m pytest

## test-fast: the quick loop: SQLite only, no browser, no AppTest, nothing marked slow (under a minute)
# Two pytest-xdist workers (FAST_WORKERS=0 runs in one process), each handed whole files so a file's seeded
# databases (tests/support/snapshots.py) are built once. Bytecode is cached even where the environment turns it
# off: compiling cxdash and rewriting the tests' asserts anew is half of each worker's start-up.
FAST_WORKERS ?= 2
test-fast: $(VENV)/.installed-dev  # no browser needed: setup-dev would install Chromium
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(FAST_WORKERS) --dist loadfile \
		-m "not browser and not apptest and not postgres and not slow"

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy cxdash

bench: setup
	$(BIN)/python -m bench --responses 200000 --tickets 200000

clean:
	rm -rf $(VENV) $(APP_VENV) data/cxdash.db data/cxdash.db-* test-artifacts
