# jupyter_mlstudio: `make lab` to try it, `make test` to check it. Both start from a bare machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO ?= demo-workspace
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: install lab test lint bench postgres chromium wrk clean

# The virtualenv, with the package (editable) and what tests and lint need.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test,dev,lab]'
	touch $@

# The studio's labextension: rebuilt when its sources change (the editable install copies it
# into the venv's share/jupyter, so reinstall without dependencies after a build).
LABEXT := jupyter_mlstudio/labextension/package.json
$(LABEXT): $(STAMP) $(wildcard labextension/src/*) $(wildcard labextension/src/*/*) $(wildcard labextension/style/*) labextension/package.json
	cd labextension && PATH=$(abspath $(BIN)):$$PATH jlpm install && PATH=$(abspath $(BIN)):$$PATH jlpm build:prod
	$(PIP) install --no-deps -e .
	touch $@

install: $(STAMP) $(LABEXT)

# PostgreSQL server binaries for the store tests (the tests start and stop their own server).
# Debian's package would create and start a cluster of its own: ask it not to.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  mkdir -p /etc/postgresql-common && \
	  { [ -f /etc/postgresql-common/createcluster.conf ] || \
	    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; } && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql'" >&2; exit 1; fi

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi

# wrk, the HTTP load generator of the serving benchmark (bench/serving.py).
wrk:
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else echo "wrk is not installed: run 'sudo apt-get install -y wrk'" >&2; exit 1; fi

test: install postgres chromium
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check jupyter_mlstudio tests bench
	$(BIN)/ruff format --check jupyter_mlstudio tests
	$(BIN)/lint-imports

bench: install chromium wrk
	bash bench/run.sh

lab: install
	$(BIN)/mlstudio demo $(DEMO)
	cd $(DEMO) && $(abspath $(BIN))/jupyter lab

clean:
	rm -rf $(VENV) bench/.venv .pytest_cache .ruff_cache
