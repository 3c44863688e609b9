# Two commands for a new user: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := conference
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres install translations update-translations extract-messages bench clean chromium documents test-tools

# Root installs Debian packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Installing python3-venv (Debian ships venv separately)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
		$(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Catalogs: extract every message from code and templates, merge into the sv and en catalogs, compile.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o conference/translations/messages.pot --no-location --omit-header .
	@test -s conference/translations/messages.pot || (echo "extraction found no messages; catalogs left alone" && false)
	$(BIN)/pybabel update -i conference/translations/messages.pot -d conference/translations --no-fuzzy-matching --ignore-obsolete

# `make test` and `make run` only compile the committed catalogs, so they never change tracked files.
translations: install
	$(BIN)/pybabel compile --statistics -d conference/translations

# After changing messages: extract, merge, translate the new Swedish entries, then compile.
update-translations: extract-messages translations

# Tools the tests run, from the npm registry (pinned by the committed lock file): the OpenID Connect provider of
# the sign-on tests, the Nu HTML Checker (vnu-jar, run with Java) and axe-core.
tests/node/node_modules/.installed: tests/node/package.json tests/node/package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's nodejs and npm for the test tools"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@command -v java >/dev/null || { echo "Installing Debian's Java runtime for the HTML checker"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $@

test-tools: tests/node/node_modules/.installed

chromium:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# PDF minutes (and letters) are rendered from the .docx by LibreOffice (soffice); the tests read PDFs back with
# pdftotext (poppler-utils).
documents:
	@{ test -x /usr/bin/soffice && command -v pdftotext >/dev/null; } || { \
		echo "Installing Debian's LibreOffice Writer (PDF documents) and poppler-utils (pdftotext, for the tests)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends libreoffice-writer-nogui poppler-utils; }

# Links in emails and calendar invites point at the address `make run` serves (unless set by the caller).
run: export CONFERENCE_BASE_URL ?= http://$(HOST):$(PORT)
run: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Serving on http://$(HOST):$(PORT) with the scheduler beside it. Ctrl-C stops both."
	$(BIN)/python -m conference.devserver --host $(HOST) --port $(PORT)

test: translations chromium documents test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL (CI runs this after `make test`).
test-postgres: translations chromium documents test-tools
	CONFERENCE_TEST_DATABASE_URL=$${CONFERENCE_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk for bench/pages.py"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/minutes.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache conference/translations/*/LC_MESSAGES/*.mo
