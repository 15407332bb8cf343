# One entry point. `make book` and `make test` work from a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Kernels are looked up in the venv first, so notebooks always run with the course's packages.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter

.PHONY: setup data browser hub-deps hub book test check lint benchmark benchmark-methods calibrate clean

setup: $(STAMP)  ## create .venv and install the pinned course environment and the dev tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (scclust-course)"
	touch $@

data: setup  ## simulate and prepare the course dataset once (cached; see SCCLUST_CACHE_DIR)
	$(BIN)/python -m course_lib.datasets

# Jupyter Book's execution cache is keyed on the chapters' code only: when course_lib changes,
# the cached executions are dropped so no figure or number from older library code is shown.
BOOK_CACHE_STAMP := _build/.course_lib-stamp
$(BOOK_CACHE_STAMP): $(shell find course_lib -name '*.py')
	rm -rf _build/.jupyter_cache _build/jupyter_execute
	mkdir -p _build && touch $@

book: data $(BOOK_CACHE_STAMP)  ## execute every chapter and build the HTML book into _build/html (warnings are errors)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "Open _build/html/index.html"

# The browser test (tests/test_browser.py) drives an installed Chromium; as root on Debian or
# Ubuntu the chromium package is installed here, otherwise that test is skipped without one.
browser:  ## make sure a Chromium is installed for the browser test
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	  || command -v google-chrome >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && apt-get install -y chromium; \
	  else echo "No Chromium found: tests/test_browser.py will be skipped (install chromium)"; fi; }

# The workshop rehearsal (tests/test_workshop_rehearsal.py) runs a real JupyterHub, whose proxy
# is configurable-http-proxy from npm, installed into .hub/; as root on Debian or Ubuntu Node.js
# and npm are installed here, otherwise that test is skipped without them.
HUB_PROXY := .hub/node_modules/.bin/configurable-http-proxy
hub-deps:  ## install JupyterHub's proxy (npm configurable-http-proxy 5.3) into .hub/
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && apt-get install -y nodejs npm; \
	  else echo "No npm found: tests/test_workshop_rehearsal.py will be skipped (install nodejs and npm)"; fi; }
	@if command -v npm >/dev/null && ! [ -x $(HUB_PROXY) ]; then \
	  npm install --no-audit --no-fund --prefix .hub configurable-http-proxy@5.3.0; fi

hub: data hub-deps  ## rehearse a workshop on a local JupyterHub: two participants, a chapter, exercise 1 graded (~2 min)
	$(BIN)/pytest --numprocesses=0 -s tests/test_workshop_rehearsal.py

test: data browser hub-deps  ## run the whole test suite: unit tests, notebooks (nbval), book build, browser, grading, hub
	$(BIN)/pytest

check: data  ## the inner loop: unit tests and doctests, no kernels, book or Dask (about 3 minutes)
	$(BIN)/pytest -m "not slow" tests course_lib

lint: setup
	$(BIN)/ruff check course_lib tests

benchmark: data  ## print dataset build/load, per-chapter time and peak memory, cold/warm book build, grading times
	$(BIN)/python tests/benchmarks/benchmark_chapters.py --book
	$(BIN)/python tests/benchmarks/benchmark_grading.py

# Rewrites the appendix's stored figures: then run `make calibrate` for cost_of_methods and update
# tests/key_figures/cost_of_methods.yml (its values are exact).
benchmark-methods: data  ## time and peak memory of each clustering method, 1k-100k cells (~5 min; book/data/method_costs.json)
	$(BIN)/python tests/benchmarks/benchmark_methods.py

calibrate: setup  ## measure the chapters' key figures over 3 dataset seeds x 1 and 2 threads (~30 min)
	$(BIN)/python -m tests.key_figures.calibrate

clean:
	rm -rf _build
