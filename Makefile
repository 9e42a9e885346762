# WardHub: `make run` serves a demo ward on 127.0.0.1:8000; `make test` runs the test suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export WARDHUB_DATABASE_URL ?= sqlite+aiosqlite:///var/wardhub.db

.PHONY: run test lint bench soak venv clean

$(VENV)/.installed: pyproject.toml tests/fixtures/hello_plugin/pyproject.toml examples/feedback/pyproject.toml
	@PYTHON=$$(scripts/find-python) && echo "using $$PYTHON" && \
	  { [ -x $(PY) ] || $$PYTHON -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e tests/fixtures/hello_plugin
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e examples/feedback
	@touch $@

venv: $(VENV)/.installed

run: venv
	@mkdir -p var
	$(VENV)/bin/wardhub db upgrade
	$(VENV)/bin/wardhub demo
	$(VENV)/bin/wardhub serve --host 127.0.0.1 --port 8000

# One test process per core (pytest-xdist; each has its own databases). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto

test: venv
	scripts/ensure-chromium  # Debian's Chromium for the browser tests (apt-get, as root); they fail without it
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

# 200 clients for 60 s against the app served by uvicorn, then a consistency check (counts, audit entries);
# on PostgreSQL when WARDHUB_TEST_POSTGRES is set. SOAK_ARGS="--clients 50 --seconds 20" for a shorter run.
soak: venv
	$(PY) -m tests.reliability.soak $(SOAK_ARGS)

bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/*.db
