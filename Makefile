# `make run` and `make test` work on a machine that has only python3 and make:
# the virtual environment is (re)built from the lock file whenever the lock changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-from-lock

.PHONY: run test bench venv lock clean

venv: $(STAMP)

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

# Maintainers only: re-pin after editing pyproject.toml (needs pip-tools in the venv).
lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra dev --strip-extras -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV)
