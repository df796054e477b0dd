# Set-up is part of every target: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint nengo-suite bench lab docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,nengo-suite,demo,widgets,docs,lint]"
	touch $(STAMP)

## demo: run the whole tutorial (cells 1-19, training included), save plots and numbers in build/demo
demo: $(STAMP)
	$(PY) scripts/run_tutorial.py --out build/demo

## test: the test suite (what CI runs): Python, JS unit tests and real-browser tests
test: $(STAMP)
	bash scripts/install-test-tools.sh
	PY=$(PY) bash scripts/run_tests.sh

## test-slow: the test suite including tests marked slow
test-slow: $(STAMP)
	bash scripts/install-test-tools.sh
	PY=$(PY) bash scripts/run_tests.sh --slow

## lint: ruff (rules in pyproject.toml), ruff's formatting, mypy on the core package
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## nengo-suite: nengo's own test suite (slow tests included) run against our simulator
nengo-suite: $(STAMP)
	mkdir -p build
	NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS=1 $(PY) -m pytest --pyargs nengo -c nengo-suite.ini -q -ra --slow $(ARGS) \
	  | tee build/nengo-suite.log

## docs: the API reference and user guide (Sphinx), warnings as errors, in build/docs
docs: $(STAMP)
	rm -rf build/docs build/docs-doctrees
	$(PY) -m sphinx -W --keep-going -q -b html -d build/docs-doctrees docs build/docs
	@echo "docs: build/docs/index.html"

## lab: open the example notebooks in JupyterLab
lab: $(STAMP)
	$(PY) -m jupyterlab --notebook-dir=example_notebooks

## bench: side-by-side timings against nengo.Simulator
bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build
