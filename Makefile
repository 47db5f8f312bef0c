# tracker — developer and CI entry points. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app tracker

# Stamps: the lock is installed again only when requirements.lock is newer than the stamp, and the
# editable install is redone only when the package metadata changes.
INSTALLED := $(VENV)/.installed
EDITABLE := $(VENV)/.editable

# Extra arguments for every pytest run, e.g. `make test PYTEST_ARGS="-x -k freeze"`.
PYTEST_ARGS ?=
# The PostgreSQL server the second test run uses; the tests create and drop their own databases.
TRACKER_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# Extra arguments for pip-compile, e.g. `make lock LOCK_ARGS=--upgrade-package=flask`.
LOCK_ARGS ?=
# Extra arguments for pip-audit, e.g. `make audit AUDIT_ARGS="--vulnerability-service osv"`.
AUDIT_ARGS ?=

# run_pytest(ENV-PREFIX, ARGS): pytest, where exit status 5 (no tests collected) counts as success.
run_pytest = rc=0; $(1) $(BIN)/pytest $(2) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; \
	exit $$rc

.PHONY: help venv install run serve test test-sqlite test-postgres lint format lock audit sbom \
	bench screenshots clean distclean

help:
	@echo "make run          install, prepare instance/ and serve http://127.0.0.1:5000"
	@echo "make test         run the tests on SQLite, then on PostgreSQL"
	@echo "make lint         ruff check, ruff format --check, mypy"
	@echo "make format       ruff format and ruff check --fix"
	@echo "make lock         re-lock requirements.in into requirements.lock (deliberate step)"
	@echo "make audit        pip-audit the lock against known vulnerabilities (needs the network)"
	@echo "make sbom         write a CycloneDX SBOM of the lock to sbom.json"
	@echo "make bench        run every bench/*.py"
	@echo "make screenshots  take the portal screenshots with the browser tests"
	@echo "make serve        production-like: gunicorn with TRACKER_ENV=production"
	@echo "make clean        remove build output and caches (keeps .venv and instance/)"

# --- environment ---------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Only exact, hash-pinned versions from the lock; never re-resolves (that is `make lock`).
$(INSTALLED): requirements.lock | $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements.lock
	touch $@

$(EDITABLE): pyproject.toml setup.py $(INSTALLED)
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $@

## venv: packages only (what the tests and tools need)
venv: $(EDITABLE)

## install: packages, plus instance/ with a migrated SQLite database and a setup link
install: venv
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) setup-link

# --- running -------------------------------------------------------------------------------

run: install
	$(FLASK) run --host 127.0.0.1 --port 5000

# Needs TRACKER_SECRET_KEY (and normally TRACKER_DATABASE_URL) and a migrated database;
# settings in gunicorn.conf.py.
serve: venv
	TRACKER_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# --- tests ---------------------------------------------------------------------------------

test: venv
	$(MAKE) test-sqlite test-postgres

test-sqlite: venv
	@echo "== tests on SQLite =="
	$(call run_pytest,env -u TRACKER_TEST_DATABASE_URL,)

# Browser tests run once, on SQLite.
test-postgres: venv
	@echo "== tests on PostgreSQL =="
	$(call run_pytest,TRACKER_TEST_DATABASE_URL='$(TRACKER_TEST_DATABASE_URL)',-m "not browser")

screenshots: venv
	$(BIN)/pytest tests/browser -m browser -k screenshots $(PYTEST_ARGS)

bench: venv
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script =="; \
		$(BIN)/python "$$script"; \
	done

# --- code quality --------------------------------------------------------------------------

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# --- supply chain --------------------------------------------------------------------------

# Re-resolve requirements.in into exact versions with hashes. Review the diff before committing.
lock: venv
	$(BIN)/pip-compile --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links \
		--output-file=requirements.lock $(LOCK_ARGS) requirements.in

# --strict: a package the service cannot look up fails the audit instead of being skipped.
audit: venv
	@log=$$(mktemp); rc=0; \
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		-r requirements.lock $(AUDIT_ARGS) 2>&1 | tee "$$log" || rc=$$?; \
	if [ $$rc -ne 0 ] && grep -qE 'could not be audited|ConnectionError|NameResolution|Max retries|timed out' "$$log"; then \
		echo >&2; \
		echo "make audit: FAILED - pip-audit could not look the locked packages up in its" >&2; \
		echo "vulnerability service (not reachable from here, or it answered that it does not know" >&2; \
		echo "them), so requirements.lock was NOT audited. Run it where the service is reachable." >&2; \
	fi; \
	rm -f "$$log"; exit $$rc

sbom: venv
	$(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible \
		--output-format JSON -o sbom.json requirements.lock
	@echo "wrote sbom.json (CycloneDX JSON)"

# --- housekeeping --------------------------------------------------------------------------

# Never touches instance/: it holds the database and the secret key.
clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov \
		sbom.json screenshots bench/results
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
