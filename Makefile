# inboxd: `make run` starts the daemon on a demo inbox; `make test` runs the whole suite.
# Both set up what they need first (a virtualenv in .venv with the package installed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit bench clean help

help:
	@echo "make run    set up and start inboxd on a demo inbox under ./var (Ctrl-C stops)"
	@echo "make test   set up and run lint, type checks and the whole test suite"
	@echo "make bench  throughput benchmark (needs ../shared/corpus)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@mkdir -p var/inbox
	@echo ""
	@echo "inboxd demo: drop folders of documents into  $(CURDIR)/var/inbox/"
	@echo "             results appear in               $(CURDIR)/var/done/ and var/failed/"
	@echo "             list jobs with                  $(BIN)/inboxd --config config/demo.toml jobs"
	@echo ""
	$(BIN)/inboxd --config config/demo.toml run --demo-sample

lint: $(STAMP)
	$(BIN)/ruff check inboxd tests benchmarks
	$(BIN)/ruff format --check inboxd tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info
