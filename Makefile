# Quick start:  make run   (server on http://127.0.0.1:8000, SQLite, in-process broker)
#               make test  (the test suite, minutes; make test-slow: the long runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow fuzz lint format check clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/roomservice serve $(ARGS)

test: $(STAMP)
	$(BIN)/pytest -m "not slow" $(ARGS)

# The long runs: real servers killed and restarted, thousand-ticket races, whole bot matches, browser
# network cuts, the benchmark smoke runs.
test-slow: $(STAMP)
	$(BIN)/pytest -m slow $(ARGS)

# The long run of tests/web/test_fuzz.py (make test runs a few examples per endpoint).
FUZZ_EXAMPLES ?= 1000
fuzz: $(STAMP)
	ROOMSERVICE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/web/test_fuzz.py -q -p no:cacheprovider $(ARGS)
	ROOMSERVICE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ROOMSERVICE_FUZZ_DATABASE=postgresql \
		$(BIN)/pytest tests/web/test_fuzz.py -q -p no:cacheprovider $(ARGS)

# make bench ARGS=fanout   (or idle, http, all; add --smoke for a seconds-long run)
bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/mypy -p bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

check: lint test

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
