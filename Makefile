# Developer entry points. The full gate (system packages, install, lint, types, layer contracts, every test) is the
# README's test command, which .ci/run runs verbatim; these targets are its pieces. See CONTRIBUTING.md.
PYTHON ?= python

.PHONY: check test snapshots e2e bench

## check: lint, format, types (strict for imstui, relaxed for tests) and the layer contracts; no tests
check:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy --strict imstui
	$(PYTHON) -m mypy tests
	lint-imports --no-cache --no-logo

## test: the whole test suite (end-to-end tests included; they skip, saying why, without tmux or gnome-keyring)
test:
	$(PYTHON) -m pytest

## snapshots: regenerate the console's SVG snapshots after an intended change, then review the diff before committing
snapshots:
	$(PYTHON) -m pytest tests/ui/test_snapshots.py --snapshot-update

## e2e: only the end-to-end tests (real subprocesses, a real terminal in tmux)
e2e:
	$(PYTHON) -m pytest -m e2e

## bench: every benchmark script (they print figures and assert nothing; run on a quiet machine: several minutes)
bench:
	@set -e; for script in benchmarks/*.py; do echo "== $$script"; $(PYTHON) $$script; done
