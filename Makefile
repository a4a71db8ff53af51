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
	@echo "make deploy STAGE=prod     deploy to AWS (docs/deploy.md); also: mongo-uri, package, destroy"

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)
	$(PY) -m devstack

test: $(INSTALLED)
	$(PY) -m pytest $(PYTEST_ARGS)

# BENCH_ARGS=--quick for a short run; docs/benchmarks.md.
$(VENV)/.bench-installed: $(INSTALLED) requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache

# Deploying to your AWS account (docs/deploy.md). Each needs STAGE (prod or staging) and AWS
# credentials; `deploy` runs: the stack in infra/stack.yaml, the secrets, `chalice deploy`,
# then the settings Chalice leaves undone (python -m infra --help).
.PHONY: deploy mongo-uri package destroy stage-given
deploy: stage-given $(INSTALLED)
	$(PY) -m infra deploy $(STAGE) $(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL))

mongo-uri: stage-given $(INSTALLED)
	$(PY) -m infra mongo-uri $(STAGE)

package: stage-given $(INSTALLED)
	$(PY) -m infra package $(STAGE) build/$(STAGE)-cloudformation

destroy: stage-given $(INSTALLED)
	$(PY) -m infra destroy $(STAGE)

stage-given:
	@case "$(STAGE)" in prod|staging) ;; *) echo "Set STAGE=prod or STAGE=staging." >&2; exit 2 ;; esac
