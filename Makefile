# The README's two commands: `make run` (set up + start) and `make test` (set up + the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= $(or $(DESCENT_HOST),127.0.0.1)
PORT ?= $(or $(DESCENT_PORT),8000)

.PHONY: run test setup setup-dev chromium lint

run: setup
	DESCENT_HOST=$(HOST) DESCENT_PORT=$(PORT) $(PY) -m app

test: setup-dev chromium
	$(PY) -m pytest

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# browser tests drive Debian's Chromium; Playwright never downloads a browser here
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium)

lint: setup-dev
	$(VENV)/bin/ruff check engine app tests bench
