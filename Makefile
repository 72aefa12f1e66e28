# The two commands: `make demo` and `make test`.  Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLIENTS := $(VENV)/.clients-installed
# The synthetic reference programme's secrets are encrypted to this public demo key.
export SOPS_AGE_KEY_FILE ?= $(CURDIR)/keys/demo.agekey

.PHONY: demo test ci venv setup tools validators lab-tools report-tools netbox-tools netbox lint docs clean

# python3 and its venv module from Debian where missing, then an empty virtual environment
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { \
		echo "installing python3 (Debian)"; apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "installing python3-venv (Debian)"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# the automation tools the NetBox tests load the published NetBox with (Ansible, Nornir, netmiko)
$(CLIENTS): $(STAMP)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,clients]'
	@touch $@

venv: $(BIN)/python
setup: $(STAMP)

# Debian packages schoolnet runs, as tools (scripts/setup-tools.sh: one apt run, starts no service now or at boot)
tools:
	@scripts/setup-tools.sh validators lab report netbox

# the programs `schoolnet check` runs (dnsmasq, unbound, nft, ...)
validators:
	@scripts/setup-tools.sh validators

# what `schoolnet lab` needs: debootstrap, systemd-nspawn, socat, nginx, busybox
lab-tools:
	@scripts/setup-tools.sh lab

# what `schoolnet report` and `handover` need: headless Chromium, a font, pdftotext
report-tools:
	@scripts/setup-tools.sh report

# what `schoolnet netbox up` needs: PostgreSQL 15, Redis, nginx, debootstrap
netbox-tools:
	@scripts/setup-tools.sh netbox

# a local NetBox 4.7 on http://127.0.0.1:8470 (root; the first time on a machine takes minutes)
netbox: setup netbox-tools
	$(BIN)/schoolnet netbox up

# the demo sets up the rest itself: NetBox's tools while pip fills the environment, then NetBox's first (slow)
# start in the background, then the other tools
demo: venv
	@scripts/demo.sh

# three workers on 2 cores: the lab and NetBox tests mostly wait; a test file runs whole in one worker
# (tests/conftest.py), and the slowest tests are listed at the end of every run (so in every CI log)
test: setup $(CLIENTS) tools
	$(BIN)/pytest -q -n 3 --durations=25

# the gate a programme's CI runs: validate, render, check the inventory, one summary
ci: setup validators
	$(BIN)/schoolnet ci

lint: setup
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy src

docs: setup
	$(BIN)/python scripts/gen_rules_doc.py > docs/rules.md
	$(BIN)/schoolnet schema --out schema

clean:
	rm -rf build site handover .pytest_cache .mypy_cache .ruff_cache
