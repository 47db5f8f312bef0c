# tracker — developer and CI entry points. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app tracker

# Stamps: a lock is installed again only when it is newer than its stamp, and the editable
# install is redone only when the package metadata changes. The runtime lock is all `make run` and
# production install; the tests and linters add the development lock on top of it.
PIP_READY := $(VENV)/.pip
RUNTIME := $(VENV)/.runtime
DEVELOPMENT := $(VENV)/.development
EDITABLE := $(VENV)/.editable
# The compiled catalogs (.mo), built from the committed .po files; never committed themselves.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard tracker/translations/*/LC_MESSAGES/messages.po))

# The port `make run` serves on.
PORT ?= 5000
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

# --- environment ---------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The installer and build backend first, from their own hash-pinned lock: a Python's bundled pip
# can be too old to resolve the other locks (it mishandles a dependency asked for with extras,
# e.g. coverage[toml]), and the editable install builds with these setuptools and wheel.
$(PIP_READY): requirements-pip.lock | $(BIN)/python
	$(BIN)/pip install --require-hashes --no-deps -r requirements-pip.lock
	touch $@

# Only exact, hash-pinned versions from the locks; never re-resolves (that is `make lock`).
$(RUNTIME): requirements.lock $(PIP_READY)
	$(BIN)/pip install --require-hashes -r requirements.lock
	touch $@

$(DEVELOPMENT): requirements.lock requirements-dev.lock $(RUNTIME)
	$(BIN)/pip install --require-hashes -r requirements.lock -r requirements-dev.lock
	touch $@

# The app itself, without build isolation: the build runs with the pinned setuptools and wheel.
$(EDITABLE): pyproject.toml setup.py $(RUNTIME)
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $@

# One compiled catalog per language, rebuilt when its .po changes.
tracker/translations/%/LC_MESSAGES/messages.mo: tracker/translations/%/LC_MESSAGES/messages.po $(RUNTIME)
	$(BIN)/pybabel compile --statistics -i $< -o $@

## runtime: what the app needs to run, and nothing else
runtime: $(EDITABLE) translations

## venv: the runtime plus the development tools (tests, linters, supply-chain commands)
venv: $(EDITABLE) $(DEVELOPMENT) translations

## translations: compile the catalogs (tracker/translations/*/LC_MESSAGES/messages.mo)
translations: $(CATALOGS)

## messages: extract the strings marked for translation and merge them into every catalog
messages: $(RUNTIME)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations \
		--width 100 --ignore-obsolete --no-fuzzy-matching

## install: the runtime, plus instance/ with a migrated SQLite database and a setup link
install: runtime
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) setup-link

# --- running -------------------------------------------------------------------------------

# The outbox worker runs beside the development server, in the same process tree: emails appear
# under instance/mail/ (or go to TRACKER_SMTP_URL) seconds after the change that causes them.
# Ctrl-C stops both; the worker also stops by itself if this shell goes away.
run: export TRACKER_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(FLASK) outbox work --exit-with-parent & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Needs TRACKER_SECRET_KEY (and normally TRACKER_DATABASE_URL) and a migrated database;
# settings in gunicorn.conf.py.
serve: runtime
	TRACKER_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# --- tests ---------------------------------------------------------------------------------

# The two databases' suites run side by side (they share no database, port or temporary
# folder); each one's output is printed whole when it ends.
test: venv
	$(MAKE) --jobs=2 --output-sync=target test-sqlite test-postgres

test-sqlite: venv
	@echo "== tests on SQLite =="
	$(call run_pytest,env -u TRACKER_TEST_DATABASE_URL,)

# Browser tests run once, on SQLite.
test-postgres: venv
	@echo "== tests on PostgreSQL =="
	$(call run_pytest,TRACKER_TEST_DATABASE_URL='$(TRACKER_TEST_DATABASE_URL)',-m "not browser")

screenshots: venv
	$(BIN)/pytest tests/browser -m browser -k screenshots $(PYTEST_ARGS)

# Extra arguments for `make bench`: `--full` for the issues' sizes (slow), `--only entries
# timetagger` for some of them; each figure's own command is in the table it prints.
BENCH_ARGS ?=

## bench: every benchmark's headline figures in one table (quick sizes; see BENCH_ARGS)
bench: venv
	$(BIN)/python bench/table.py $(BENCH_ARGS)

# --- code quality --------------------------------------------------------------------------

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# --- supply chain --------------------------------------------------------------------------

# Re-resolve the inputs into exact versions with hashes: the installer's lock, the runtime lock,
# then the development lock constrained by both. Review the diff before committing.
PIP_COMPILE = $(BIN)/pip-compile --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: venv
	$(PIP_COMPILE) --output-file=requirements-pip.lock requirements-pip.in
	$(PIP_COMPILE) --output-file=requirements.lock requirements.in
	$(PIP_COMPILE) --output-file=requirements-dev.lock requirements-dev.in

# --strict: a package the service cannot look up fails the audit instead of being skipped.
audit: venv
	@log=$$(mktemp); rc=0; \
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		-r requirements.lock -r requirements-dev.lock $(AUDIT_ARGS) 2>&1 | tee "$$log" || rc=$$?; \
	if [ $$rc -ne 0 ] && grep -qE 'could not be audited|ConnectionError|NameResolution|Max retries|timed out' "$$log"; then \
		echo >&2; \
		echo "make audit: FAILED - pip-audit could not look the locked packages up in its" >&2; \
		echo "vulnerability service (not reachable from here, or it answered that it does not know" >&2; \
		echo "them), so the locks were NOT audited. Run it where the service is reachable." >&2; \
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
