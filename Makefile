# synthmed: two commands.
#   make book   executes every notebook (profile $(PROFILE)) and builds the book into _build/html
#   make test   ruff check (pyproject's [tool.ruff]), every notebook executed once (smoke profile, by the runner: any notebook that raises fails the
#               target; a notebook whose inputs did not change since is kept, not executed again), a smoke build
#               of the book (warnings as errors), nbval re-executing the executed notebooks
#               against an empty cache and comparing every output (tests/nbval_sanitize.cfg says what volatile
#               text is ignored), unit tests and a browser check. nbval starts from an empty cache but with the
#               runner's stored verdicts: a page adjusts its paper's primary claims over the family its sibling
#               notebooks stored (synthmed.claims.in_family), and must show the same adjusted p as the runner's copy.
#               The parts run as make -j2 schedules them (see test: below)
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

.PHONY: env book test test-runner test-browser test-readme test-units test-units-1 test-units-2 clean-cache clean

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c constraints.txt -e ".[dev,cluster]"
	touch $@

book: env
	$(PY) -m synthmed.runner --profile $(PROFILE) $(if $(FORCE),--force) $(if $(YES),--yes) \
		$(if $(REFERENCE),--reference)

# make test is a graph of jobs that make -j2 schedules on two cores, each job starting when a core is free and
# its prerequisites are done, in the order the test target names them (the long ones first): the smoke runner
# (test-runner) and the unit tests in two parts from the start; after the runner, nbval in three parts (each
# against its own empty cache), the README's papermill examples (on the runner's cache) and the browser check.
# An nbval part holds whole chapters, since a chapter's notebooks share cached steps (the GAN pages share a zoo).
NBVAL_PARTS := tsynd gan other
NBVAL_CHAPTERS_gan := gan
NBVAL_CHAPTERS_tsynd := data tsynd
NBVAL_CHAPTERS_other := imbalance reports
UNITS_FIRST := tests/test_[a-f]*.py
UNITS_APART := --ignore tests/test_book_browser.py --ignore tests/test_readme_examples.py
# TQDM_DISABLE: fewer progress bars in the executed notebooks of `make test` (a bar that passes `disable=` itself
# still draws). nbval does not compare stderr (tests/plugins/nbval_stderr.py): a bar is printed only by a step that
# computes, so the runner's copy (whose cache may already hold a step: a warm `make test`) and nbval's re-execution
# (an empty cache) differed by whole stderr outputs, which no sanitiser can equalise.
SMOKE := SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/smoke OMP_NUM_THREADS=1 TQDM_DISABLE=1
PYTEST := $(PY) -m pytest -p no:xdist -q

test: env
	$(VENV)/bin/ruff check .
	bash scripts/setup_browser.sh
	$(MAKE) --no-print-directory -j2 test-runner test-units-1 test-units-2 test-readme \
		$(addprefix test-nbval-,$(NBVAL_PARTS)) test-browser

# Every notebook executed once by the runner: any notebook that raises fails the target.
test-runner: env
	$(SMOKE) $(PY) -m synthmed.runner --profile smoke

# The smoke execution and nbval's re-execution run with one thread each: their outputs must agree exactly, and
# floating-point sums differ between one and two threads. Each part starts from an empty cache holding only the
# runner's stored verdicts.
test-nbval-%: test-runner
	rm -rf .synthmed-cache/nbval-$* && mkdir -p .synthmed-cache/nbval-$* && \
		cp -r .synthmed-cache/smoke/verdicts .synthmed-cache/nbval-$*/verdicts && \
		SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/nbval-$* OMP_NUM_THREADS=1 TQDM_DISABLE=1 \
		PYTHONPATH=$(CURDIR)/tests/plugins $(PYTEST) -p nbval_stderr --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		$$($(PY) -m synthmed.runner --list --chapters $(NBVAL_CHAPTERS_$*))

# The browser check reads the book the smoke runner built.
test-browser: test-runner
	$(SMOKE) SYNTHMED_PROFILE=smoke $(PYTEST) tests/test_book_browser.py

# The README's papermill examples, on the smoke runner's cache (an example the smoke book already ran loads).
test-readme: test-runner
	$(SMOKE) SYNTHMED_PROFILE=smoke $(PYTEST) tests/test_readme_examples.py

# The unit tests, in two parts beside the other jobs. They share the smoke cache (writes are atomic).
test-units: test-units-1 test-units-2
test-units-1: env
	$(SMOKE) SYNTHMED_PROFILE=smoke $(PYTEST) \
		$(filter-out tests/test_book_browser.py tests/test_readme_examples.py,$(wildcard $(UNITS_FIRST)))
test-units-2: env
	$(SMOKE) SYNTHMED_PROFILE=smoke $(PYTEST) $(UNITS_APART) --ignore-glob '$(CURDIR)/$(UNITS_FIRST)' tests

clean-cache:
	rm -rf .synthmed-cache "$${SYNTHMED_CACHE_DIR:-$$HOME/.cache/synthmed}"

clean:
	rm -rf _build book/executed
