# The two commands: `make run` and `make test` (and `make lint`, the lint and type gate). Both set everything up on a
# fresh machine that has Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-reliability lint install install-test migrate seed clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chitieu needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
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

run: seed
	@echo "Reads need no key. To write (the demo's admin key, printed once):  KEY=\$$($(BIN)/chitieu keys create --name demo --quiet)"
	@echo "then send it as:  curl -H \"Authorization: Bearer \$$KEY\" ...   (README: 'A walk through with curl')"
	$(BIN)/uvicorn app.main:create_app --factory --no-server-header --host $(HOST) --port $(PORT)

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
	rm -rf $(VENV) .pytest_cache .hypothesis chitieu.db chitieu.db-wal chitieu.db-shm

# The benchmark (issue 6): the API against a floor, on SQLite and PostgreSQL; see docs/PERFORMANCE.md.
# Takes 20 to 30 minutes; `make bench BENCH_ARGS="--quick"` is a smoke run of a few minutes.
# Options: --db sqlite|postgresql|both, --rounds N, --duration SECONDS, --postgres-url URL (or BENCH_POSTGRES_URL).
BENCH_ARGS ?=
.PHONY: bench bench-parser bench-reports bench-national
bench: install-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/parser.py
	$(BIN)/python bench/reports.py

# The parser alone (issue 11, a minute or two): throughput on resolution text, worst adversarial
# inputs, and reads under 15 concurrent adversarial parses on a real server. See bench/parser.py.
# Options: --rounds N, --no-api, --size CHARACTERS.
PARSER_BENCH_ARGS ?=
bench-parser: install-test
	$(BIN)/python -u bench/parser.py $(PARSER_BENCH_ARGS)

# Reports (issue 15): a 1,000-target plan's report in each format and the charts, on one core, with peak memory.
bench-reports: install-test
	$(BIN)/python bench/reports.py

# National scale on PostgreSQL (issue 17; not part of `make bench`): 10,009 organisations in four levels,
# 63 plans, 1,000 targets, 10M figures by COPY. NATIONAL_ARGS="--figures 1000000" for a smaller run.
NATIONAL_ARGS ?=
bench-national: install-test
	$(BIN)/python -u bench/national.py $(NATIONAL_ARGS)
