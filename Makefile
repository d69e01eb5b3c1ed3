# MOS — two commands: `make run` (app + demo workspace) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test test-setup migrate demo serve worker beat smoke browser messages clean-db bench

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c requirements.lock -e '.[test]'
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) manage.py migrate --noinput -v 0

## First command: install, migrate, load the demo workspace, compute its metrics, serve.
run: migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py collectstatic --noinput -v 0
	@echo "MOS is starting on http://$(HOST):$(PORT)/"
	$(PY) manage.py runserver $(HOST):$(PORT)

## Second command: install and run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
test: setup
	$(PY) scripts/ensure_browser.py
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# The full stack (DATABASE_URL and REDIS_URL set): a real Celery worker and beat.
worker: migrate
	$(VENV)/bin/celery -A mos worker -l info --concurrency=$${CONCURRENCY:-2}

beat: migrate
	$(VENV)/bin/celery -A mos beat -l info --schedule var/celerybeat-schedule

serve: migrate
	$(PY) manage.py collectstatic --noinput -v 0
	$(VENV)/bin/gunicorn mos.wsgi -b $(HOST):$(PORT) -w $${WEB_CONCURRENCY:-3}

# Proves the embedded default boots: SQLite + eager tasks, migrate, demo data, a smoke request.
smoke: setup
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=$$(mktemp -d)/smoke.sqlite3 $(PY) scripts/smoke.py

messages: setup
	$(PY) manage.py makemessages -l ar --ignore=.venv --ignore=var --ignore=benchmarks
	$(PY) manage.py makemessages -d djangojs -l ar --ignore=.venv --ignore=var || true
	$(PY) manage.py compilemessages --ignore=.venv

clean-db:
	rm -f var/mos.sqlite3 var/mos.sqlite3-*
