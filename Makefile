# The two commands a newcomer needs are `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTHON ?= python3
LOCALES := ko fi de zh_Hant pl

.PHONY: run test lint bench loadtest worker beat messages install system-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py translations compile
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Help desk:  http://127.0.0.1:8000/"
	@echo "  Sign in with any of these (password: demo-helpdesk):"
	@echo "    admin    super admin, sees all tickets"
	@echo "    jonas    agent (de), all tickets          aino    agent (fi), team tickets"
	@echo "    kasia    agent (pl), owned tickets only   minjun  agent (ko), team tickets"
	@echo "    weiling  agent (zh-Hant), all tickets     sam     collaborator, team tickets"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

system-deps:
	@scripts/system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py translations check
	$(PY) manage.py translations compile
	$(PY) manage.py check
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Seed a large dataset with COPY and report p50/p95 server time and queries, in a
# database of its own:  make bench TICKETS=1000000
TICKETS ?= 100000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk_bench
# Measured as production runs: DEBUG off, cached templates, hashed static files.
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false SECURE=false \
	ALLOWED_HOSTS=localhost SECRET_KEY=bench-only-not-secret-$(shell hostname)-0123456789abcdef0123456789
bench: $(STAMP)
	psql "$(BENCH_DATABASE_URL)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres helpdesk_bench
	$(PY) manage.py translations compile
	$(BENCH_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(BENCH_ENV) $(PY) manage.py migrate --no-input
	$(BENCH_ENV) $(PY) manage.py bench --tickets $(TICKETS) $(if $(ONLY),--only $(ONLY))
	$(BENCH_ENV) $(PY) manage.py bench_http
	$(BENCH_ENV) $(PY) manage.py bench_ingest --messages 2000 --clients 2
	$(BENCH_ENV) $(PY) manage.py bench_ingest --messages 1000 --clients 2 --rules 50 --large-posts 0

# 40 agents and 20 inbound messages/s on 2 web and 2 worker processes for 5
# minutes, then checks nothing was lost, doubled or failed (issue 22). Drops and
# recreates its own database each run.
LOADTEST_DB ?= helpdesk_load
LOAD_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(LOADTEST_DB) DEBUG=false \
	SECURE=false ALLOWED_HOSTS=localhost SECRET_KEY=load-only-not-secret-$(shell hostname)-0123456789abcdef012345
loadtest: $(STAMP)
	$(PY) -m pip install --quiet ".[load]"
	psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $(LOADTEST_DB)" postgres
	createdb -h 127.0.0.1 -U postgres $(LOADTEST_DB)
	$(PY) manage.py translations compile
	$(LOAD_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(LOAD_ENV) $(PY) manage.py migrate --no-input -v0
	$(LOAD_ENV) $(PY) manage.py seed_demo
	$(LOAD_ENV) $(PY) manage.py loadtest $(LOADTEST_ARGS)

worker: $(STAMP)
	$(VENV)/bin/celery -A helpdesk worker --loglevel=info

beat: $(STAMP)
	$(VENV)/bin/celery -A helpdesk beat --loglevel=info

# Refresh the .po files from the code (needs GNU gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages --no-location --no-obsolete $(addprefix --locale=,$(LOCALES))

# The peer product of issue 22, django-helpdesk 2.6.1, in .peer/ (venv, its own
# database helpdesk_peer), seeded like our bench dataset: make peer PEER_TICKETS=100000
# Then scripts/peer/compare.py measures both sides (scripts/peer/README.md).
PEER_TICKETS ?= 100000
.PHONY: peer
peer:
	scripts/peer/setup.sh
	nice -n 19 .peer/venv/bin/python scripts/peer/manage.py peer_seed --tickets $(PEER_TICKETS)
