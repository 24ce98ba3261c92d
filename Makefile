# The two commands of the README. Both create .venv when it is missing.
PY := .venv/bin/python
export INHOUSE_DATA_DIR ?= $(abspath ../shared/datasets)

.PHONY: demo test lint install clean

.venv/installed: pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: .venv/installed

demo: .venv/installed
	.venv/bin/inhouse demo

test: .venv/installed
	$(PY) -m pytest -q -n 2  # two workers: the suite is CPU-bound and CI has 2 cores
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks
	.venv/bin/mypy src
	.venv/bin/lint-imports

lint: .venv/installed
	.venv/bin/ruff check --fix src tests benchmarks
	.venv/bin/ruff format src tests benchmarks

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
