# Dozor: `make run` starts the whole system on embedded defaults; `make test` runs the suite on real parts.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?=
# Test files run on several xdist workers (whole files stay on one worker: module-scoped worlds are shared).
# Most of the suite waits on real servers and real-time video, so workers outnumber the 2 cores.
TEST_WORKERS ?= 4
XDIST := -n $(TEST_WORKERS) --dist loadfile
# Some machines set PYTHONDONTWRITEBYTECODE: then every worker, portal and box process of a run compiles the whole
# tree (and pytest re-rewrites every test module) from source. Tests and tools here may cache bytecode.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast bench lint venv system-deps clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || (bash scripts/system-deps.sh venv && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

system-deps:
	bash scripts/system-deps.sh test

run: venv
	$(VENV)/bin/dozor demo

# mypy finds cloud_sync (folder cloud-sync/) through a link under build/ named as the package is imported.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	mkdir -p build/mypy-path && ln -sfn ../../cloud-sync build/mypy-path/cloud_sync
	$(VENV)/bin/mypy -p cloud_sync -p edge -p portal

test: venv system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST) --ignore=tests/bench $(PYTEST_ARGS)

# The edit loop: no apt, no browser, no slow end-to-end (tests marked `slow` or `browser` are left out).
test-fast: venv
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST) --ignore=tests/bench -m "not slow and not browser" $(PYTEST_ARGS)

# Benchmarks print one JSON document each (figures against a baseline measured in the same run).
bench: venv system-deps
	$(PY) -m pytest -q -p no:cacheprovider -s -o python_files='bench_*.py' tests/bench $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
