# Two commands matter: `make run` (the whole stack locally) and `make test` (every test).
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test bench clean help

help:
	@echo "make run    start MongoDB (embedded), moto (SQS+KMS) and the local API Gateway"
	@echo "make test   run every test"
	@echo "make bench  run the benchmarks and write bench/results"

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)
	$(PY) -m devstack

test: $(INSTALLED)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache
