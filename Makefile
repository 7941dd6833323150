# Backlight: one entry point for developers and CI. GNU make.
#
# With no environment set everything runs embedded: SQLite under var/, Celery tasks in-process.
# DATABASE_URL and REDIS_URL switch to PostgreSQL and a Redis broker (see config/settings/base.py).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Python 3.11 makes the virtualenv; pyproject.toml refuses any other version.
PYTHON_BOOTSTRAP ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CELERY := $(VENV)/bin/celery
RUFF := $(VENV)/bin/ruff
# Written after a successful install; pip runs again only when one of its prerequisites changes.
INSTALL_STAMP := $(VENV)/.install-stamp
CONSTRAINTS := requirements/constraints.txt

# Extra pytest arguments, e.g. `make test PYTEST_ARGS="--create-db -x"`.
PYTEST_ARGS ?=
CHROMIUM := /usr/bin/chromium
CELERY_QUEUES := default,ingest,nlp,ml
DEMO_ADDR := 127.0.0.1:8000
DEMO_PASSWORD := backlight-demo
# Analysis steps `make demo` runs after seeding, as manage.py commands (one per word, run in
# order): the insights pipeline (redact, embed, sentiment, themes, ranking), then the churn model
# (train on the history, score the active accounts, re-rank the pain points with their risk), then
# the metric snapshots the home page and reports read (beat computes them on a real deployment).
ANALYZE_COMMANDS := analyze_feedback train_churn compute_metrics

.PHONY: help install lock migrate demo analyze test chromium lint format bench worker beat \
	clean distclean

help:
	@echo "make install   create .venv and install Backlight (only when dependencies changed)"
	@echo "make demo      install, migrate, seed demo data, analyze, serve on http://$(DEMO_ADDR)/"
	@echo "make test      install, ensure chromium, run pytest (PYTEST_ARGS=... to add arguments)"
	@echo "make lint      ruff check + ruff format --check      make format   ruff format + fix"
	@echo "make migrate   apply migrations                     make bench    run bench/*.py"
	@echo "make worker    Celery worker on REDIS_URL           make beat     Celery beat on REDIS_URL"
	@echo "make lock      re-resolve dependencies into $(CONSTRAINTS)"
	@echo "make clean     remove caches and collected static   make distclean  also .venv and var/"

# --- install ---------------------------------------------------------------------------------

install: $(INSTALL_STAMP)

$(INSTALL_STAMP): pyproject.toml $(CONSTRAINTS)
	@if [ ! -x "$(PY)" ]; then \
		echo "Creating $(VENV) with $(PYTHON_BOOTSTRAP)"; \
		$(PYTHON_BOOTSTRAP) -m venv $(VENV); \
	fi
	$(PY) -m pip install --disable-pip-version-check -q -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@

# A fresh resolve in a throw-away virtualenv, so nothing installed by hand leaks into the lock.
lock:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON_BOOTSTRAP) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --disable-pip-version-check -q -e '.[dev,bench]'; \
	{ head -n 1 $(CONSTRAINTS); \
	  "$$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check --exclude-editable; \
	} > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" $(CONSTRAINTS); \
	echo "Wrote $(CONSTRAINTS); run 'make install' to apply it."

# --- run -------------------------------------------------------------------------------------

var:
	@mkdir -p var

migrate: install | var
	$(PY) manage.py migrate --noinput

analyze: install
	@for command in $(ANALYZE_COMMANDS); do \
		echo "Analysis: manage.py $$command"; \
		$(PY) manage.py $$command; \
	done

# No collectstatic: runserver with DEBUG serves static files from the finders.
demo: install migrate
	$(PY) manage.py seed_demo
	@$(MAKE) --no-print-directory analyze
	@echo
	@echo "Backlight demo: http://$(DEMO_ADDR)/"
	@echo "Logins (password $(DEMO_PASSWORD)): admin, pm, engineer, exec"
	@echo
	$(PY) manage.py runserver $(DEMO_ADDR)

# Celery against a real broker; the embedded default needs neither (tasks run in-process).
worker: install
	@[ -n "$${REDIS_URL:-}" ] || { echo "REDIS_URL is not set: tasks run in-process, no worker needed." >&2; exit 1; }
	$(CELERY) -A config.celery_app worker -Q $(CELERY_QUEUES) -l info

beat: install | var
	@[ -n "$${REDIS_URL:-}" ] || { echo "REDIS_URL is not set: beat needs a real broker." >&2; exit 1; }
	$(CELERY) -A config.celery_app beat -l info --schedule var/celerybeat-schedule

# --- test, lint, bench -----------------------------------------------------------------------

# Browser tests drive Debian's chromium. Root installs it; anyone else gets the e2e tests skipped
# (tests/e2e/conftest.py says why). In CI a failed install fails the run rather than skipping.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing chromium for the browser tests"; \
		if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; then \
			echo "chromium could not be installed: the e2e tests will be skipped." >&2; \
			[ -z "$${CI:-}" ] || exit 1; \
		fi; \
	else \
		echo "$(CHROMIUM) is missing and we are not root: the e2e tests will be skipped." >&2; \
	fi

# pytest's exit status 5 ("no tests collected") is a failure here, never a pass.
test: install chromium
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing." >&2; exit 1; fi; \
	exit $$status

lint: install
	$(RUFF) check .
	$(RUFF) format --check .

format: install
	$(RUFF) format .
	$(RUFF) check --fix .

bench: install
	$(PY) -m pip install --disable-pip-version-check -q -c $(CONSTRAINTS) -e '.[dev,bench]'
	@found=0; for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		found=1; echo "== $$script"; \
		$(PY) "$$script"; \
	done; \
	[ $$found = 1 ] || echo "No benchmarks in bench/ yet."

# --- clean -----------------------------------------------------------------------------------

clean:
	rm -rf var/static var/e2e .pytest_cache .ruff_cache build dist *.egg-info bench/out
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Also the virtualenv and var/ (the embedded database and uploaded media).
distclean: clean
	rm -rf $(VENV) var
