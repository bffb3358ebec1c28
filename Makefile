# Two commands on a fresh machine (Python 3.11 and make):
#   make demo   set up, migrate, seed the demo and serve it at http://127.0.0.1:8000 (Daphne)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup migrate seed serve bench bench-small bench-http bench-mail bench-escalations bench-live check lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Links in emails name the address served here unless SITE_URL says otherwise.
serve: setup
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) -m daphne -b $(HOST) -p $(PORT) helpdesk.asgi:application

demo: seed
	@echo "Serving the demo at http://$(HOST):$(PORT)/  (sign in as agent / demo)"
	$(MAKE) --no-print-directory serve

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks need PostgreSQL: DATABASE_URL=postgres://... make bench
bench: setup
	$(PY) -m tests.benchmarks.run_inbox $(BENCH_ARGS)

bench-small: setup
	$(PY) -m tests.benchmarks.run_inbox --small $(BENCH_ARGS)

check: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Style and likely bugs (ruff) and the apps' import boundaries (import-linter, pyproject.toml).
lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache

# HTTP benchmark: real servers as the README starts them (needs wrk and nginx; see docs/benchmarks.md)
#   DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-http
bench-http: setup
	$(PY) -m tests.benchmarks.run_http $(BENCH_ARGS)

# The andon cord: board, escalation page and release gate at 10,000 and 100,000 escalations (1,000,000 links),
# in-process and over HTTP, on the tickets `make bench` loaded (docs/benchmarks.md, "Escalations")
#   DATABASE_URL=postgres://.../helpdesk_bench REDIS_URL=redis://... make bench-escalations
bench-escalations: setup
	$(PY) -m tests.benchmarks.run_escalations $(BENCH_ARGS)

# Live chat: 1,000 sessions (4,000 sockets) over two Daphne processes and Redis, against a bare Channels broadcast
#   DATABASE_URL=postgres://.../helpdesk_live_bench REDIS_URL=redis://... make bench-live
bench-live: setup
	$(PY) -m tests.benchmarks.run_live $(BENCH_ARGS)

# Email throughput: mail_in (with attachments, threading) and the outbox against a local SMTP server
#   DATABASE_URL=postgres://.../helpdesk_mail_bench make bench-mail
bench-mail: setup
	$(PY) -m tests.benchmarks.run_mail $(BENCH_ARGS)
