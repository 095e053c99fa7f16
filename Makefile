# The entry point for people: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: each gets its own test database; a file's tests stay together so
# that its module fixtures (the demo, a browser) are built once.
TEST_WORKERS ?= 2
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The PostgreSQL major version already on the machine, else Debian 12's.
PG_MAJOR ?= $(or $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1),15)
SYSTEM_PACKAGES := gdal-bin gettext postgresql postgresql-$(PG_MAJOR)-postgis-3 \
	redis-server chromium python3-venv
PO_FILES := $(wildcard config/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
# Assigning first makes a failure to start the services stop the recipe.
SERVICES := services="$$($(PY) -m config.local_services up)"; eval "$$services"

.PHONY: help setup system-packages run worker test lint format messages bench clean-local

help:
	@echo "make run    - install, start the platform with demo data at http://$(HOST):$(PORT)/"
	@echo "make test   - install, lint and run the whole test suite"
	@echo "make worker - run a Celery worker in the foreground"
	@echo "make messages - extract translatable strings into the .po files"
	@echo "make bench  - run every benchmark on the synthetic national data set"
	@echo "make perf-pages - Largest Contentful Paint of public pages on a throttled phone"
	@echo "make perf-survey - a 2,000-building survey round's download and opening on a throttled phone"
	@echo "make loadtest - load-test the production setup (after make bench)"

setup: system-packages $(VENV)/.installed $(MO_FILES)

# Installs only what is missing, so a second run costs a few dpkg queries.
system-packages:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

%.mo: %.po
	msgfmt --check -o $@ $<

run: setup
	@$(SERVICES); \
	$(MANAGE) preflight; \
	$(MANAGE) migrate --noinput; \
	$(MANAGE) collectstatic --noinput --verbosity 0; \
	$(MANAGE) load_demo; \
	if [ -f var/worker.pid ]; then old=$$(cat var/worker.pid); kill "$$old" 2>/dev/null || true; \
	  for _ in $$(seq 50); do kill -0 "$$old" 2>/dev/null || break; sleep 0.2; done; fi; \
	$(VENV)/bin/celery -A config worker --beat --loglevel=INFO --concurrency=2 \
	  --schedule=var/celerybeat-schedule \
	  --logfile=var/worker.log --pidfile=var/worker.pid & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo; echo "Village renewal platform: http://$(HOST):$(PORT)/ (Ctrl-C stops it)"; \
	echo "Celery worker log: var/worker.log"; echo; \
	$(MANAGE) runserver --noreload "$(HOST):$(PORT)"

worker: setup
	@$(SERVICES); $(VENV)/bin/celery -A config worker \
	  --beat --schedule=var/celerybeat-schedule --loglevel=INFO

test: setup lint
	@$(SERVICES); \
	$(MANAGE) preflight; \
	$(MANAGE) makemigrations --check --dry-run; \
	$(MANAGE) collectstatic --noinput --verbosity 0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(VENV)/.installed
	$(MANAGE) makemessages --locale ko --locale en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	msgen --no-wrap config/locale/en/LC_MESSAGES/django.po -o config/locale/en/LC_MESSAGES/django.po

clean-local:
	$(PY) -m config.local_services down

# Every benchmark on the synthetic national data set, kept in its own database
# (renewal_bench, on the server the platform uses) and built once; options through
# BENCH_ARGS, e.g. BENCH_ARGS="--repeat 50 --skip-national". docs/performance.md.
bench: setup
	@$(SERVICES); $(MANAGE) bench_all $(BENCH_ARGS)

# The load-test scenario (docs/loadtest/) against gunicorn, a Celery worker, PostGIS
# and Redis on the bench database; run `make bench` once first to build the data.
USERS ?= 50
DURATION ?= 60
.PHONY: loadtest
LOADTEST_VENV := var/loadtest-venv
loadtest: setup $(LOADTEST_VENV)/.installed
	@$(SERVICES); USERS=$(USERS) DURATION=$(DURATION) LOCUST=$(LOADTEST_VENV)/bin/locust \
	  docs/loadtest/run.sh

$(LOADTEST_VENV)/.installed: docs/loadtest/requirements.txt
	test -x $(LOADTEST_VENV)/bin/python || $(PYTHON) -m venv $(LOADTEST_VENV)
	$(LOADTEST_VENV)/bin/python -m pip install --quiet -r docs/loadtest/requirements.txt
	touch $@

# Largest Contentful Paint of the home, a city and a project page in Chromium on a
# throttled phone (Fast 3G, CPU x4), against gunicorn with production settings on
# the demo data; PERF_ARGS="--url http://127.0.0.1:8000" measures a running
# `make run` instead. docs/performance.md.
.PHONY: perf-pages
perf-pages: setup
	@$(SERVICES); \
	$(MANAGE) migrate --noinput --verbosity 0; \
	$(MANAGE) load_demo; \
	$(PY) -m renewal.benchmarks.pages $(PERF_ARGS)

# The field survey page with a round of 2,000 buildings, on the same throttled phone:
# the package's size, the first open, the download and the open with the round on the
# phone (bench_survey removes its round again). docs/performance.md.
.PHONY: perf-survey
perf-survey: setup
	@$(SERVICES); \
	$(MANAGE) migrate --noinput --verbosity 0; \
	$(MANAGE) load_demo; \
	$(MANAGE) bench_survey $(PERF_ARGS)
