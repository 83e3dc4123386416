# Greenlight: the two commands are `make run` and `make test`; everything else here serves them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.txt requirements/base.txt | cksum | cut -d' ' -f1)
PORT ?= 8000

.PHONY: run test install lint audit schema requirements bench clean

## run: set up (venv, requirements, migrations, demo data when empty) and serve the portal with a worker
# the worker and the in-process emulators reach the portal where it runs (make run PORT=8123 too)
run: export PORTAL_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "Greenlight is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

## test: set up and run lint, migration check, security scans and the whole pytest suite (browser tests too)
test: install
	scripts/test

install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

## lint: ruff (lint + format) only
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## audit: bandit, and pip-audit of the pinned production requirements against a source that proves it answers
## (a canary with known advisories); prints NOT CHECKED when none does. AUDIT_REQUIRE_CHECK=1 makes that fail (exit 3)
audit: install
	$(BIN)/bandit -q -r apps portal -c pyproject.toml --severity-level high
	scripts/audit-dependencies

## schema: regenerate the committed OpenAPI document after an API change
schema: install
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py spectacular --file docs/api/openapi.json --format openapi-json --validate --fail-on-warn

## requirements: re-pin requirements/*.txt from requirements/*.in
requirements: install
	cd requirements && for f in base prod dev; do ../$(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --strip-extras $$f.in -o $$f.txt; done

## bench: run the benchmarks in bench/ (see bench/README.md)
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
