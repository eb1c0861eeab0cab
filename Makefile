# The course in a few commands. Everything runs inside .venv/, made from
# pyproject.toml with the exact versions of constraints.txt.
#
#   make book      build the executed book into _build/html/
#   make test      the whole test suite (library, notebooks, book, autograder)
#   make release   regenerate exercises/release/ from exercises/source/
#   make bench     print our convolutions' speed against torch's

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to alembic, jupyter-book to jupyter: put the venv first on PATH.
export PATH := $(BIN):$(PATH)
# Notebook kernels must use matplotlib's inline backend, or the book has no figures:
# never pass a non-interactive MPLBACKEND (e.g. Agg from a CI environment) down to them.
# The tests choose Agg for themselves (tests/conftest.py).
unexport MPLBACKEND
PYTEST_ARGS ?=

.PHONY: venv test test-fast book release bench strip clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Library tests only: quick feedback while editing course_lib.
test-fast: venv
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

book: venv
	$(BIN)/jupyter-book build . --all -W --keep-going
	@echo "Open _build/html/index.html"

release: venv
	cd exercises && for a in $$(ls source); do \
	  $(BIN)/nbgrader generate_assignment "$$a" --force --log-level=WARN || exit 1; \
	done

bench: venv
	$(BIN)/python benchmarks/conv_speed.py

# Remove outputs and execution counts from every committed notebook.
strip: venv
	$(BIN)/python tools/strip_outputs.py $$(git ls-files '*.ipynb')

clean:
	rm -rf _build exercises/gradebook.db exercises/submitted exercises/autograded exercises/feedback
