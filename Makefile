# Two commands for a new user: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := conference
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast test-postgres fuzz install lint lock translations update-translations extract-messages bench clean chromium documents orthanc test-tools

# Root installs Debian packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Installing python3-venv (Debian ships venv separately)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
		$(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip

# The versions in requirements.lock (every package, pinned), then the project itself without resolving again: CI
# and a hospital install the same versions.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# After changing dependencies in pyproject.toml: pin every version again (uv's resolver, from PyPI).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test -o requirements.lock --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28

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
orthanc:
	@test -x /usr/sbin/Orthanc -a -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so || { echo "Installing Debian's orthanc and orthanc-dicomweb for the PACS tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq orthanc orthanc-dicomweb; }

# Links in emails and calendar invites point at the address `make run` serves (unless set by the caller).
run: export CONFERENCE_BASE_URL ?= http://$(HOST):$(PORT)
# The demo's letters are PDFs (LibreOffice), so the seed needs `documents` as the running app does.
run: translations documents
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Serving on http://$(HOST):$(PORT) with the scheduler beside it. Ctrl-C stops both."
	$(BIN)/python -m conference.devserver --host $(HOST) --port $(PORT)

test: translations chromium documents orthanc test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the tests marked slow (browsers, subprocesses, servers): a quick check while working.
test-fast: translations
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# ruff: lint (pyflakes, pycodestyle, import order) and the formatting check; CI fails on either.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The same suite against PostgreSQL (CI runs this after `make test`).
test-postgres: translations chromium documents orthanc test-tools
	CONFERENCE_TEST_DATABASE_URL=$${CONFERENCE_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# The long fuzz: every form of the demo with FUZZ_EXAMPLES generated posts each, and every GET route with every
# strange path segment and query string (the suite runs 12 posts per form and a sample of the URLs).
FUZZ_EXAMPLES ?= 200
fuzz: translations
	CONFERENCE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -s -p no:cacheprovider \
		tests/functional/foundation/test_fuzz_forms.py tests/functional/foundation/test_url_probes.py

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
