# Two commands matter: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test test-fast fuzz browser wrk db lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

db: install
	$(FLASK) db upgrade

# The site and the outbox worker side by side; Ctrl-C stops both.
run: db
	$(FLASK) seed-demo
	@echo "Site: http://$(HOST):$(PORT)/  Admin: http://$(HOST):$(PORT)/admin/ (make an account with: $(FLASK) create-admin you@example.org)"
	@$(FLASK) outbox work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# A Debian package, installed when its command is missing: $(call debian,command,package)
define debian
	@command -v $(1) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; }
endef

# Debian's Chromium, for the browser tests; Playwright drives it, never a browser it downloads.
browser:
	$(call debian,chromium,chromium)

# wrk makes the benchmark's load from a process of its own.
wrk:
	$(call debian,wrk,wrk)

test: install browser wrk
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser"

# Fresh random examples for the property tests, run ROUNDS times; the suite repeats its own.
ROUNDS ?= 5
fuzz: install
	for round in $$(seq $(ROUNDS)); do \
	  HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -m "not browser" -k "fuzz or property" || exit 1; \
	done

# Throughput, latency, page weight and admin timings; writes bench/results.json.
# See docs/performance.md. BENCH_ARGS=--tiny checks it runs in a minute.
bench: install browser wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check app tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
