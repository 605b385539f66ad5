# Everything runs from .venv, built from the hash-pinned lock files in requirements/, and
# node_modules/, the browser libraries for interactive outputs, from package-lock.json.
PYTHON ?= python3.11
NPM ?= npm
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test re-execute serve deploy lint lock clean

build: $(VENV)/.site-installed node_modules/.installed
	$(BIN)/nikola build

test: $(VENV)/.test-installed node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest

# Run every post marked `.. execute: true` again, ignoring the cache of earlier results.
re-execute: $(VENV)/.site-installed node_modules/.installed
	NOTEBOOK_REEXECUTE=1 $(BIN)/nikola build

serve: $(VENV)/.site-installed node_modules/.installed
	$(BIN)/nikola auto

deploy: build
	$(BIN)/nikola deploy

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.site-installed: requirements/site.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/site.lock
	touch $@

$(VENV)/.test-installed: requirements/test.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/test.lock
	touch $@ $(VENV)/.site-installed

# Plotly, Vega-Lite and ipywidgets' JavaScript, exactly as package-lock.json pins it (with
# integrity hashes); no install scripts run.
node_modules/.installed: package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Re-pin after editing requirements/*.in or package.json, with the uv that test.lock pins
# (installed into .venv). A lock file whose content does not change keeps its timestamp, so
# the next `make` does not reinstall from it.
LOCKS := requirements/site.lock requirements/test.lock package-lock.json
lock: $(VENV)/.test-installed
	for file in $(LOCKS); do cp -p $$file $$file.before; done
	cd requirements && ../$(BIN)/uv pip compile --python-version 3.11 --generate-hashes -q site.in -o site.lock
	cd requirements && ../$(BIN)/uv pip compile --python-version 3.11 --generate-hashes -q test.in -o test.lock
	$(NPM) install --package-lock-only --ignore-scripts --no-audit --no-fund
	for file in $(LOCKS); do \
		if cmp -s $$file $$file.before; then mv $$file.before $$file; else rm $$file.before; echo "re-pinned $$file"; fi; \
	done

clean:
	rm -rf output cache .doit.db* __pycache__
