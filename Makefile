# The README's two commands: `make run` (set up + start) and `make test` (set up + the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= $(or $(DESCENT_HOST),127.0.0.1)
PORT ?= $(or $(DESCENT_PORT),8000)

.PHONY: run test setup setup-dev chromium system lint

run: setup
	$(PY) -m compileall -q engine app  # bytecode now, not at each start (0.15 s of it), where PYTHONDONTWRITEBYTECODE is set
	DESCENT_HOST=$(HOST) DESCENT_PORT=$(PORT) $(PY) -m app

test: setup-dev chromium system
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

# the image test builds and runs the Dockerfile with podman (runc, a debootstrap base); the store, migration and
# durability tests also run on a throwaway PostgreSQL cluster. `make run` needs none of these.
system:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null \
		&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			podman runc debootstrap postgresql)

lint: setup-dev
	$(VENV)/bin/ruff check engine app tests bench
