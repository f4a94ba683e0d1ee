# Arcadia's entry points. Every target installs what it needs first, so a
# fresh clone needs nothing but Python 3.11 (and, for tests, the local
# PostgreSQL and Redis).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The test suite runs on the real PostgreSQL and Redis (pytest-django creates
# and drops its own test_<name> database).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arcadia
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Two pytest-xdist processes: most tests wait on workers, simulators and
# browsers, so two run in about the time of one. Each has its own test
# database (test_arcadia_gw0, _gw1) and Redis database (15, 14).
TEST_PROCESSES ?= 2

.PHONY: install test test-fast test-setup lint demo up bench bench-reconcile chaos dashboard-screenshot clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

# The main job on embedded defaults, no services needed: a fresh SQLite file,
# the in-process worker and the simulator in a thread. Provisions one
# deployment, rolls back a second that fails at DNS, prints the simulator.
demo: $(STAMP)
	rm -f demo.sqlite3 demo.sqlite3-*
	env -u CELERY_BROKER_URL DATABASE_URL=sqlite:///demo.sqlite3 LOG_LEVEL=WARNING \
		ARCADIA_DROPLET_POLL_INTERVAL=0.3 $(BIN)/python manage.py demo

# Starts PostgreSQL, Redis and RabbitMQ when they are down and installs
# Chromium when it is missing (or says what to do where it cannot).
test-setup:
	scripts/test_setup.sh

test: $(STAMP) test-setup
	DATABASE_URL=$(TEST_DATABASE_URL) ARCADIA_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest --create-db -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# The tests that run no worker, browser, Flower or outage (the marker
# ``integration`` is set from the fixtures a test uses: tests/conftest.py).
# About a minute; the full suite is what CI and the README run.
test-fast: $(STAMP) test-setup
	DATABASE_URL=$(TEST_DATABASE_URL) ARCADIA_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest --create-db -n $(TEST_PROCESSES) -m "not integration" $(PYTEST_ARGS)

# The whole stack on this machine (local PostgreSQL and Redis), under honcho:
# web, worker, beat, flower and the simulator; prints URLs and a demo token.
up: $(STAMP)
	VENV=$(VENV) scripts/up.sh

# Figures, not tests: a real prefork worker, Redis, PostgreSQL and the
# simulator on loopback. BENCH_ARGS / CHAOS_ARGS pass options (see --help).
# They POST hundreds of deployments for one tenant: its live-deployment
# quota (25 by default) must not be what they measure.
# Nor the API's throttles of one user's writes and reads: they POST ~1,000
# deployments in seconds and read statuses in loops (log-in and anonymous
# limits stay on: they never log in through a form).
BENCH_ENV := ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS=1000000 ARCADIA_THROTTLE_WRITES= ARCADIA_THROTTLE_READS=
bench: $(STAMP)
	$(BENCH_ENV) $(BIN)/python -m bench.run $(BENCH_ARGS)

# One reconcile pass over 1,000 droplets and records (RECONCILE_ARGS: -n N).
bench-reconcile: $(STAMP)
	$(BENCH_ENV) $(BIN)/python -m bench.reconcile $(RECONCILE_ARGS)

chaos: $(STAMP)
	$(BENCH_ENV) $(BIN)/python -m bench.chaos $(CHAOS_ARGS)

# docs/prometheus-dashboard-queries.png, anew, from a live stack on loopback
# (its own database arcadia_screenshot; Debian's prometheus and chromium).
dashboard-screenshot: $(STAMP)
	$(BIN)/python scripts/dashboard_screenshot.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache
