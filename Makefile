# The two commands a new user runs: `make run` and `make test`. Everything they need is
# installed here: a virtualenv with the pinned Python requirements and the pinned npm
# front-end packages. Only Python 3.11, Node.js/npm and make must be on the machine.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite runs in parallel, one pytest-xdist worker per core (TEST_WORKERS=0: in one process);
# then the tests marked `serial` (bounds on how fast a real server answers) alone, in one process,
# so that no other test's load is measured in them.
TEST_WORKERS ?= auto

.PHONY: run test schemathesis test-browser install install-dev assets migrate seed lint typecheck security audit format check-deploy bench screenshots messages clean

run: install assets migrate seed ## Set up everything and serve the app with demo data
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev assets ## Install the test requirements and run the whole suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not schemathesis and not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS)

schemathesis: install-dev assets ## Schemathesis against the OpenAPI schema (PostgreSQL: set DATABASE_URL)
	$(BIN)/python -m pytest -m schemathesis -p no:cacheprovider $(PYTEST_ARGS)

test-browser: install-dev assets ## Only the browser tests (headless Chromium)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed
assets: node_modules/.installed

migrate: install assets
	DEBUG=1 $(BIN)/python manage.py migrate --no-input

seed: migrate
	DEBUG=1 $(BIN)/python manage.py seed_demo

lint: install-dev ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev ## mypy with the Django and DRF stubs (pyproject.toml [tool.mypy])
	DEBUG=1 $(BIN)/mypy

security: install-dev ## bandit (medium and high findings fail)
	$(BIN)/bandit -q -r core accounts config timetracking leave sprockets webhooks reports billing bench -ll -x '*/tests/*,*/migrations/*'

audit: install-dev ## pip-audit of every installed package (needs a vulnerability service: the index's JSON API or OSV)
	$(BIN)/pip-audit --local --strict --progress-spinner off --desc on

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install ## Django's deployment checklist with production-like settings
	DEBUG=0 SECRET_KEY=check-deploy-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
		ALLOWED_HOSTS=timetrack.example.com SECURE_HTTPS=1 \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install assets ## Benchmark on PostgreSQL + Redis with a million rows (README "Performance")
	@case "$${DATABASE_URL:-postgres://}" in postgres://*|postgresql://*) ;; \
		*) echo "make bench: the benchmark runs on PostgreSQL only; unset DATABASE_URL (default postgres://postgres@127.0.0.1:5432/timetrack_bench) or point it at PostgreSQL" >&2; exit 2;; esac
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "make bench: the load tool wrk is missing: apt-get install wrk" >&2; exit 2; }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m bench $(BENCH_ARGS)

screenshots: install-dev assets ## Every page at 1366x900 and 390x844 for the demo users, into screenshots/ (Chromium)
	$(BIN)/python tools/screenshots.py $(SCREENSHOTS_ARGS)

messages: install-dev ## Refresh the translation catalogs (locale/) from the sources and compile them (needs GNU gettext)
	DEBUG=1 $(BIN)/python manage.py makemessages -l de -l fr -l es --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
	DEBUG=1 $(BIN)/python manage.py makemessages -d djangojs -l de -l fr -l es --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache
