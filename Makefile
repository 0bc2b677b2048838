# sessrec: two commands.
#   make book   build the book into _build/html (creates .venv on first use)
#   make test   lint, unit tests, and every notebook executed in quick mode
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: book test lint unit notebooks sync check-site readme-screenshot clean help
.DEFAULT_GOAL := help

help:
	@echo "make book   build the book into _build/html"
	@echo "make test   ruff, unit tests, notebooks (SESSREC_QUICK=1)"
	@echo "make check-site   after make book: every page in headless Chromium (as CI does)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The book and the tests train GRU4Rec, so both install the neural extra (PyTorch). On Linux
# pip's default torch is the CUDA build (several GB); for the CPU build, which is all sessrec
# needs, pass its index: make test PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
# (CI pins the CPU wheel its machine holds through PIP_CONSTRAINT, see .ci/run).
PIP_ARGS ?=

$(VENV)/.book-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet $(PIP_ARGS) -e '.[book,tune,neural]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet $(PIP_ARGS) -e '.[dev,book,tune,neural]'
	touch $@ $(VENV)/.book-installed

# The chapters' figures are the kernel's inline matplotlib output: a non-interactive
# MPLBACKEND (e.g. Agg) in the environment would suppress them, and their captions and labels
# with them, so `make book` runs jupyter-book without it.
# The execution cache keys on code cells only; when the data the chapters run on changes
# (SESSREC_DATA, SESSREC_DATASET, SESSREC_QUICK), drop it so pages never show stale numbers.
BOOK_ENV := data=$(SESSREC_DATA) dataset=$(SESSREC_DATASET) quick=$(SESSREC_QUICK)
# A page shows what the chapter computes, not the machinery: no progress bars (TQDM_DISABLE), and
# not tqdm's "IProgress not found" warning, which tqdm.auto emits in a kernel without ipywidgets.
BOOK_QUIET := TQDM_DISABLE=1 PYTHONWARNINGS="ignore:IProgress not found"

book: $(VENV)/.book-installed
	@mkdir -p _build
	@if [ "$$(cat _build/.book-env 2>/dev/null)" != "$(BOOK_ENV)" ]; then \
	  rm -rf _build/.jupyter_cache; echo "$(BOOK_ENV)" > _build/.book-env; fi
	env -u MPLBACKEND $(BOOK_QUIET) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book: $(CURDIR)/_build/html/index.html"

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(VENV)/.test-installed
	$(BIN)/pytest -n 2 --dist loadgroup -m "not unstable" tests

notebooks: $(VENV)/.test-installed
	SESSREC_QUICK=1 $(BIN)/pytest -n 2 --nbmake notebooks -p no:cacheprovider

test: lint unit notebooks

# Re-create each .ipynb from its MyST .md source (outputs stripped), and the README's chapter
# list from _toc.yml.
sync: $(VENV)/.test-installed
	$(BIN)/jupytext --sync notebooks/*.md
	$(BIN)/python book/_ext/sessrec_book.py --readme

# The built website as a reader gets it (tests/test_site.py, tests/test_browser.py): every page
# in headless Chromium, served from 127.0.0.1 only, with a screenshot of each in
# _build/screenshots/. Needs `make book` first; fails (rather than skips) without a site or a
# browser. `make test` runs the same tests, skipped when there is no site yet.
check-site: $(VENV)/.test-installed
	SESSREC_REQUIRE_SITE=1 $(BIN)/pytest -n 2 -p no:cacheprovider tests/test_site.py tests/test_browser.py

# The README's picture of the book: one of the browser test's screenshots.
readme-screenshot: check-site
	cp _build/screenshots/notebooks-03_baselines.png book/_static/screenshot.png

clean:
	rm -rf _build .pytest_cache
