# Two commands matter: `make run` (the whole stack locally) and `make test` (every test).
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
CONTRACT_TOOLS := tests/contracts/node_modules/.package-lock.json

# The browser tests (tests/browser) drive a headless Chromium: Debian's `chromium` package,
# installed on first use. CHROMIUM_PATH=/path/to/chrome uses another Chromium or Chrome.
CHROMIUM_PATH ?= $(shell command -v chromium 2>/dev/null)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test bench clean help chromium docs

help:
	@echo "make run    start MongoDB (embedded), moto (SQS+KMS) and the local API Gateway"
	@echo "make test   run every test (installs Debian's chromium for the browser tests)"
	@echo "make bench  run the benchmarks and write bench/results"
	@echo "make deploy STAGE=prod     deploy to AWS (docs/deploy.md); also: mongo-uri, push-apps, package, destroy"

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)
	$(PY) -m devstack

test: $(INSTALLED) chromium $(CONTRACT_TOOLS)
	CHROMIUM_PATH="$(CHROMIUM_PATH)" $(PY) -m pytest $(PYTEST_ARGS)

# The AsyncAPI parser the tests validate /asyncapi.json with (tests/contracts/package.json,
# pinned by its lock file): Node.js from Debian when missing, then `npm ci`.
$(CONTRACT_TOOLS): tests/contracts/package.json tests/contracts/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	npm ci --prefix tests/contracts --no-audit --no-fund --silent

# docs/errors.md from the error catalog (a test fails when it is not current).
docs: $(INSTALLED)
	$(PY) -m docs.render_errors

# Idempotent. If it cannot install, the browser tests fail saying so (they never skip).
chromium:
	@if [ -n "$(CHROMIUM_PATH)" ] && [ -x "$(CHROMIUM_PATH)" ]; then :; else \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
	  || echo "Could not install chromium: the browser tests will fail (or set CHROMIUM_PATH)." >&2; fi

# BENCH_ARGS=--quick for a short run; docs/benchmarks.md.
$(VENV)/.bench-installed: $(INSTALLED) requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache tests/contracts/node_modules

# Deploying to your AWS account (docs/deploy.md). Each needs STAGE (prod or staging) and AWS
# credentials; `deploy` runs: the stack in infra/stack.yaml, the secrets, `chalice deploy`,
# then the settings Chalice leaves undone (python -m infra --help).
.PHONY: deploy mongo-uri push-apps package destroy stage-given
deploy: stage-given $(INSTALLED)
	$(PY) -m infra deploy $(STAGE) $(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL)) $(if $(MAIL_FROM),--mail-from $(MAIL_FROM))

mongo-uri: stage-given $(INSTALLED)
	$(PY) -m infra mongo-uri $(STAGE)

push-apps: stage-given $(INSTALLED)
	$(PY) -m infra push-apps $(STAGE) $(if $(APNS_SANDBOX),--sandbox)

package: stage-given $(INSTALLED)
	$(PY) -m infra package $(STAGE) build/$(STAGE)-cloudformation

destroy: stage-given $(INSTALLED)
	$(PY) -m infra destroy $(STAGE)

stage-given:
	@case "$(STAGE)" in prod|staging) ;; *) echo "Set STAGE=prod or STAGE=staging." >&2; exit 2 ;; esac
