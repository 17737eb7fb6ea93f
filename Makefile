# The two commands: `make run` and `make test` (and `make lint`, the lint and type gate). Both set everything up on a
# fresh machine that has Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# A developer's checkout installs editable; the Dockerfile installs with EDITABLE= (a copy, read-only to its user).
EDITABLE ?= -e

.PHONY: run test test-reliability lint install install-test migrate seed clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chitieu needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(EDITABLE) .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/chitieu migrate

seed: migrate
	$(BIN)/chitieu seed

# `chitieu serve` says which database it serves (DATABASE_URL, from the environment or .env, as the
# `chitieu` commands read it) and where the documentation is. The webhook worker (`chitieu worker`) runs
# beside the server and stops with it (the trap kills it by its pid). WEBHOOKS_ALLOW_PRIVATE=true lets
# local development subscribe receivers on this machine.
run: seed
	@echo "Reads need no key. To write (the demo's admin key, printed once):  KEY=\$$($(BIN)/chitieu keys create --name demo --quiet)"
	@echo "then send it as:  curl -H \"Authorization: Bearer \$$KEY\" ...   (README: 'A walk through with curl')"
	@export WEBHOOKS_ALLOW_PRIVATE=$${WEBHOOKS_ALLOW_PRIVATE:-true}; \
	$(BIN)/chitieu worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/chitieu serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

# The lint and type gate (issue 13): ruff's lint and format check, mypy (files from pyproject.toml),
# and import-linter's layer contracts ([tool.importlinter] in pyproject.toml). .ci/run runs it before the tests.
lint: install-test
	$(BIN)/ruff check app
	$(BIN)/ruff format --check app
	$(BIN)/mypy
	$(BIN)/lint-imports

# Real servers under load: concurrency (2 workers, 8 clients), SIGKILL under writes. .ci/run runs it too.
test-reliability: install-test
	$(BIN)/python -m pytest -m reliability tests/reliability

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis chitieu.db chitieu.db-wal chitieu.db-shm chitieu.egg-info build

# The benchmark (issue 6): the API against a floor, on SQLite and PostgreSQL; see docs/PERFORMANCE.md.
# Takes about 10 minutes: bench/run.py about 6 (its last full run, docs/PERFORMANCE.md), then
# bench/reports.py about 1 and bench/parser.py about 3 (timed on 2026-12-06, 2 shared cores: 61 s, 167 s).
# The README says the same. `make bench BENCH_ARGS="--quick"` makes bench/run.py a smoke run of about 3 minutes.
# Options: --db sqlite|postgresql|both, --rounds N, --duration SECONDS, --postgres-url URL (or BENCH_POSTGRES_URL).
BENCH_ARGS ?=
.PHONY: bench bench-parser bench-reports bench-webhooks bench-workflow bench-national
bench: install-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/parser.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python -u bench/workflow.py

# The parser alone (issue 11, a minute or two): throughput on resolution text, worst adversarial
# inputs, and reads under 15 concurrent adversarial parses on a real server. See bench/parser.py.
# Options: --rounds N, --no-api, --size CHARACTERS.
PARSER_BENCH_ARGS ?=
bench-parser: install-test
	$(BIN)/python -u bench/parser.py $(PARSER_BENCH_ARGS)

# Reports (issue 15): a 1,000-target plan's report in each format and the charts, on one core, with peak memory.
bench-reports: install-test
	$(BIN)/python bench/reports.py

# Webhooks (issue 14): delivery throughput of one worker against a local receiver on SQLite (goal >= 200/s),
# the median of 3 rounds; half a minute. Options: --rounds N, --events N.
WEBHOOKS_BENCH_ARGS ?=
bench-webhooks: install-test
	$(BIN)/python bench/webhooks.py $(WEBHOOKS_BENCH_ARGS)

# The reporting workflow's cost on POST a figure (issue 14, a minute): approval on, the outbox, and the
# target.status_changed check, as ratios to a plain POST in the same run. See bench/workflow.py.
WORKFLOW_BENCH_ARGS ?=
bench-workflow: install-test
	$(BIN)/python -u bench/workflow.py $(WORKFLOW_BENCH_ARGS)

# National scale on PostgreSQL (issue 17; not part of `make bench`): 10,009 organisations in four levels,
# 63 plans, 1,000 targets, 10M figures by COPY (about 7 minutes in all). NATIONAL_ARGS="--figures 1000000" for a
# smaller run; NATIONAL_ARGS="--reuse" runs the requests again on the database the last run left.
NATIONAL_ARGS ?=
bench-national: install-test
	$(BIN)/python -u bench/national.py $(NATIONAL_ARGS)
