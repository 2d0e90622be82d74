# The two commands of the README: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_CDK_DISABLE_VERSION_CHECK := 1
# On a terminal, `cdk deploy` asks to approve security changes and `cdk destroy` to confirm. Without one (CI, a
# pipe) nobody can answer, so make answers for you: approve, confirm. Set DEPLOY_FLAGS or DESTROY_FLAGS to choose.
NO_TERMINAL = $(shell [ -t 0 ] || echo yes)
DEPLOY_FLAGS ?= $(if $(NO_TERMINAL),--require-approval never)
DESTROY_FLAGS ?= $(if $(NO_TERMINAL),--force)

.PHONY: setup demo test lint typecheck unit infra synth deploy destroy clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --editable .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/orders local run samples/orders.jsonl --report reports/local-run.json

test: setup lint typecheck
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit

infra: setup
	$(BIN)/pytest tests/infra

synth: setup
	npx --no-install cdk synth --quiet

deploy: setup
	npx --no-install cdk deploy $(DEPLOY_FLAGS)

destroy: setup
	npx --no-install cdk destroy $(DESTROY_FLAGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
