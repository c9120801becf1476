# synthmed: two commands.
#   make book   executes every notebook (profile $(PROFILE)) and builds the book into _build/html
#   make test   ruff check (pyproject's [tool.ruff]), every notebook executed once (smoke profile, by the runner: any notebook that raises fails the
#               target; a notebook whose inputs did not change since is kept, not executed again), a smoke build
#               of the book (warnings as errors), nbval re-executing the executed notebooks
#               against an empty cache and comparing every output (tests/nbval_sanitize.cfg says what volatile
#               text is ignored), unit tests and a browser check. nbval starts from an empty cache but with the
#               runner's stored verdicts: a page adjusts its paper's primary claims over the family its sibling
#               notebooks stored (synthmed.claims.in_family), and must show the same adjusted p as the runner's copy.
#               The unit tests run beside the notebooks (make -j2 test-notebooks test-units), the browser check last
#   make book REFERENCE=1   also stores the build's verdicts as the book's reference (results/reference/)
# Both create the virtual environment .venv first when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
# Data root: $SYNTHMED_DATA_ROOT if set, else ../shared/data when it exists (the project machines' layout).
SHARED_DATA := $(abspath ../shared/data)
SYNTHMED_DATA_ROOT ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
export SYNTHMED_DATA_ROOT
export PYTHONUNBUFFERED := 1

.PHONY: env book test test-notebooks test-units clean-cache clean

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c constraints.txt -e ".[dev,cluster]"
	touch $@

book: env
	$(PY) -m synthmed.runner --profile $(PROFILE) $(if $(FORCE),--force) $(if $(YES),--yes) \
		$(if $(REFERENCE),--reference)

# make test runs the notebooks (test-notebooks) and the unit tests (test-units) side by side: the smoke notebooks
# run one kernel of one thread at a time, so the unit tests take the other core; the browser check reads the book
# the smoke runner built, so it runs last.
test: env
	$(VENV)/bin/ruff check .
	bash scripts/setup_browser.sh
	$(MAKE) --no-print-directory -j2 test-notebooks test-units
	SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/smoke SYNTHMED_PROFILE=smoke OMP_NUM_THREADS=1 \
		$(PY) -m pytest -p no:xdist -q tests/test_book_browser.py

# The smoke execution and nbval's re-execution run with one thread each: their outputs must agree exactly, and
# floating-point sums differ between one and two threads.
test-notebooks: env
	SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/smoke OMP_NUM_THREADS=1 $(PY) -m synthmed.runner --profile smoke
	rm -rf .synthmed-cache/nbval && mkdir -p .synthmed-cache/nbval && \
		cp -r .synthmed-cache/smoke/verdicts .synthmed-cache/nbval/verdicts && \
		SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/nbval OMP_NUM_THREADS=1 \
		$(PY) -m pytest -p no:xdist --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		$$($(PY) -m synthmed.runner --list)

# The unit tests, one process beside the notebooks. They share the smoke cache (writes are atomic): the README's
# papermill examples then load what the smoke runner has computed by the time they run instead of computing it again.
test-units: env
	SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/smoke SYNTHMED_PROFILE=smoke OMP_NUM_THREADS=1 \
		$(PY) -m pytest -p no:xdist -q --ignore tests/test_book_browser.py tests

clean-cache:
	rm -rf .synthmed-cache "$${SYNTHMED_CACHE_DIR:-$$HOME/.cache/synthmed}"

clean:
	rm -rf _build book/executed
