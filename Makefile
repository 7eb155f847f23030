# `make run` and `make test` work on a machine that has only python3 and make:
# the virtual environment is (re)built from a lock file whenever that lock changes.
# requirements.lock is what the bot runs on; requirements-dev.lock adds the test and lint
# tools. Each has its own stamp, so going back and forth between run and test is cheap.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes
RUNTIME_STAMP := $(VENV)/.installed-from-requirements.lock
DEV_STAMP := $(VENV)/.installed-from-requirements-dev.lock
# Locks are resolved against the public index alone, whatever the local pip configuration
# adds (extra indexes, find-links, constraints), and list the hash of every file of a pin.
PIP_COMPILE := PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes \
	--no-reuse-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test lint bench venv lock clean

venv: $(RUNTIME_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.lock | $(PY)
	$(PIP_INSTALL) -r requirements.lock
	touch $@

$(DEV_STAMP): requirements-dev.lock | $(PY)
	$(PIP_INSTALL) -r requirements-dev.lock
	touch $@

run: $(RUNTIME_STAMP)
	$(PY) -m bot

test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy

# BENCH_ARGS: e.g. --quick, or --compare REV (this bot against the one at git revision REV)
bench: $(DEV_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# Maintainers only: re-pin after editing pyproject.toml (keeps every existing pin; pass
# --upgrade-package NAME in LOCK_ARGS to move one). The dev lock is constrained by the
# runtime lock, so both hold the same version of every shared package.
lock: $(DEV_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check pip-tools
	$(PIP_COMPILE) $(LOCK_ARGS) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) --extra dev -c requirements.lock -o requirements-dev.lock \
		pyproject.toml

clean:
	rm -rf $(VENV)
