# Two commands matter: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test test-fast fuzz browser wrk postgresql redis \
	db lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

db: install
	$(FLASK) db upgrade

# The site under gunicorn, as in production (gunicorn.conf.py), and the outbox worker
# beside it; Ctrl-C stops both.
run: db
	$(FLASK) seed-demo
	@echo "Site: http://$(HOST):$(PORT)/  Admin: http://$(HOST):$(PORT)/admin/ (make an account with: $(FLASK) create-admin you@example.org)"
	@$(FLASK) outbox work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) wsgi:app

# Debian packages, installed when `test` (a shell command) fails: $(call debian,test,packages)
define debian
	@$(1) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; }
endef

# Debian's Chromium, for the browser tests; Playwright drives it, never a browser it downloads.
browser:
	$(call debian,command -v chromium,chromium)

# wrk makes the benchmark's load from a process of its own.
wrk:
	$(call debian,command -v wrk,wrk)

# The suite's second pass starts its own PostgreSQL server, and the multi-process tests a
# redis-server; both on loopback, for the run only (tests/support/services.py).
postgresql:
	$(call debian,ls /usr/lib/postgresql/*/bin/pg_ctl,postgresql)

redis:
	$(call debian,command -v redis-server,redis-server)

# The whole suite twice: on SQLite files, then on PostgreSQL. Both passes run, so a
# failure in the first does not hide one in the second. Each pass shares the test files
# between TEST_WORKERS processes (pytest-xdist), a file's tests staying in one process so
# that its fixtures are made once; each process starts its own servers.
TEST_WORKERS ?= 2
test: install browser wrk redis postgresql
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile || status=1; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --database=postgresql || status=1; \
	exit $$status

test-fast: install
	$(BIN)/pytest -m "not browser"

# Fresh random examples for the property tests, run ROUNDS times; the suite repeats its own.
ROUNDS ?= 5
fuzz: install
	for round in $$(seq $(ROUNDS)); do \
	  HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -m "not browser" -k "fuzz or property" || exit 1; \
	done

# Throughput and latency in interleaved rounds, the open-loop surge, page weight, admin
# timings and an update to 10,000 subscribers; writes bench/results.json, in 15 to 20
# minutes. See docs/performance.md. BENCH_ARGS=--tiny checks it runs, in about three.
bench: install browser wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check app tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
