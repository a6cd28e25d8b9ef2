# LLM Serving Field Guide. Every target installs what it needs first.
#   make serve   build the site and serve it at http://127.0.0.1:8000
#   make test    the whole test suite (CPython, Pyodide on Node, Chromium)
#   make test-fast  the inner loop: CPython unit and property tests, doctests, golden files (no site build, browser, Pyodide or slow-marked runs)
#   make build   build the site into site/ (mkdocs build --strict)
#   make bench   measure boot, run and simulator speed; writes bench/results.md
#   make pdf     the whole guide as one offline PDF in dist/ (headless Chromium)
#   make dist    SITE_URL=<public URL>: the site, precompressed, and the PDF as one archive in dist/
#   make preview serve dist/site as a static host would (with the CSP header) at http://127.0.0.1:8000

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export NO_MKDOCS_2_WARNING := 1

.PHONY: help deps serve build test test-fast pdf bench dist preview clean chromium

help:
	@sed -n 's/^#   //p' Makefile

# Python: a virtual environment with every package pinned (constraints.txt),
# and servecalc installed from snippets/ in editable mode (no build isolation,
# so no network beyond PyPI itself).
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@echo "==> Python environment ($(VENV))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Browser assets: Pyodide, CodeMirror, esbuild, fonts, MathJax, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	@echo "==> Browser assets (npm ci)"
	npm ci --no-audit --no-fund
	touch $@

# Pure-Python wheels for charts in the browser (pygal and its imports), hash-checked.
build/pywheels/.installed: requirements-pyodide.txt $(VENV)/.installed
	@echo "==> Wheels for the browser (build/pywheels)"
	rm -rf build/pywheels
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --require-hashes -r requirements-pyodide.txt -d build/pywheels
	touch $@

deps: $(VENV)/.installed node_modules/.installed build/pywheels/.installed

# Debian's Chromium for the browser tests (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null || { echo "==> Installing Debian chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

build: deps
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)/} $(PY) -m mkdocs build --strict

serve: deps
	SITE_URL=http://127.0.0.1:$(PORT)/ $(PY) -m mkdocs serve --strict --dev-addr 127.0.0.1:$(PORT)

# Two pytest-xdist workers, one per core (WORKERS=N for another count, WORKERS=0
# for one process). In make test the tests that need the built site or a browser
# form two groups, one per worker, that share one site build (tests/conftest.py):
# one worker builds the site and runs its tests, the other builds and prints the
# PDF beside that build, then runs the hostile-input browser tests; the CPU-only
# tests fill in after.
WORKERS ?= 2

test: deps chromium
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup

# Tests that need neither the built site, nor a browser, nor Pyodide, nor minutes
# of simulation or fuzzing (markers in pyproject.toml; tests/conftest.py marks every
# test that uses the built site; `slow` ones run in make test). The formula tests
# typeset with MathJax on Node, so the npm assets are installed first.
test-fast: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest -q -n $(WORKERS) --dist loadgroup -m "not browser and not pyodide and not site and not slow"

# The print site (mkdocs.pdf.yml) into build/pdf-site, printed to
# dist/llm-serving-field-guide.pdf with Paged.js; a step of its own, so a PDF
# problem never breaks the site build.
pdf: deps chromium
	$(PY) tools/pdf.py

# The publishable site: built for SITE_URL (the address readers will use; the
# only setting), precompressed, with the PDF in its root, as one archive.
dist: deps chromium
	@test -n "$(SITE_URL)" || { echo "make dist needs SITE_URL, e.g. make dist SITE_URL=https://example.org/llm-serving-field-guide/"; exit 2; }
	rm -rf dist/site
	SITE_URL=$(SITE_URL) $(PY) -m mkdocs build --strict --site-dir dist/site
	$(PY) tools/pdf.py -o dist/llm-serving-field-guide.pdf
	$(PY) -m fieldguide.build.dist --site dist/site --pdf dist/llm-serving-field-guide.pdf \
	  --archive dist/llm-serving-field-guide.tar.gz

preview:
	@test -f dist/site/index.html || { echo "run make dist first"; exit 2; }
	$(PY) -m fieldguide.build.preview dist/site --port $(PORT)

# Measurements, not tests: medians of several runs on this machine, reported on
# the "How it performs" page (docs/performance.md).
bench: deps chromium
	mkdir -p build/bench
	@test -f bench/results.md || echo 'Not measured yet: run `make bench`.' > bench/results.md
	@echo "==> Simulator: CPython and Pyodide on Node"
	node bench/bench_simulator_pyodide.mjs --json > build/bench/simulator-pyodide.json
	@echo "==> Fleet plan: CPython"
	$(PY) bench/bench_plan.py --json > build/bench/plan.json
	@echo "==> Live cells in headless Chromium"
	$(PY) -m bench.bench_browser --runs 3 --json build/bench/browser.json
	@echo "==> Every page's weight in its first 5 s"
	$(PY) -m bench.page_weight --json build/bench/weights.json
	$(PY) bench/report.py

clean:
	rm -rf site build dist .cache
