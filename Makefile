# Two commands: `make run` (the product, SQLite, demo data) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test fuzz setup setup-test system-packages bench translations lock clean screenshots

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every Python package, direct or not, at the version and with the hashes of the lock files
# (requirements/*.lock, written by `make lock`); then the project itself, without its dependencies.
$(VENV)/.installed: pyproject.toml requirements/run.lock | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements/dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.lock
	touch $@

# Write the lock files again from pyproject.toml (after changing a dependency there), with pip-tools
# in a venv of its own so that it never mixes with the project's packages.
PIP_COMPILE := $(VENV)/lock-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
lock:
	test -x $(VENV)/lock-tools/bin/pip-compile || ($(PYTHON) -m venv $(VENV)/lock-tools && \
		$(VENV)/lock-tools/bin/python -m pip install --quiet pip-tools==7.6.2)
	$(PIP_COMPILE) -o requirements/run.lock pyproject.toml
	$(PIP_COMPILE) --extra test --extra scaleout --extra bench -o requirements/dev.lock pyproject.toml

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(VENV)/.installed node_modules/.package-lock.json
	PYBABEL=$(BIN)/pybabel scripts/translations.sh compile
	$(BIN)/accueil db upgrade

# The Debian packages the tests start for real (Chromium, PostgreSQL, Redis, nginx…): installed when missing.
system-packages:
	bash scripts/system-packages.sh

setup-test: system-packages setup $(VENV)/.installed-test

run: setup
	$(BIN)/accueil demo --if-empty --history 4
	@$(BIN)/accueil urls
	exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'

# Every test, then the app-level tests again on a real PostgreSQL where the engine can change what
# happens (HTTP and live updates). The domain tests and those marked both_engines (races in the
# browser among them) already ran on both engines in the first pass; the other browser tests only
# drive the same HTTP and socket paths through a page.
# TEST_WORKERS: pytest-xdist processes, the machine's cores by default (most tests wait on a server, a
# browser or a socket: two processes on two cores halve the time); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
test: setup-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS)
	ACCUEIL_TEST_ENGINE=postgresql $(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not both_engines" tests/web tests/sockets

# The bad-input properties of the test suite, run long with fresh random data (1,000 bodies a form and engine).
fuzz: setup-test
	ACCUEIL_FUZZ=long $(BIN)/python -m pytest tests/web/test_fuzz_forms.py tests/web/test_api_fuzz.py tests/web/test_bad_input.py

bench: system-packages setup $(VENV)/.installed-test
	$(BIN)/python bench/core_throughput.py
	$(BIN)/python bench/checkin_http.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/live_capacity.py
	$(BIN)/python bench/notify.py

# A PNG of every screen at its real sizes and in every language (screenshots/index.html shows them all).
screenshots: setup-test
	$(BIN)/python scripts/screenshots.py

translations: $(VENV)/.installed
	PYBABEL=$(BIN)/pybabel scripts/translations.sh update

clean:
	rm -rf $(VENV) node_modules
