# CreativeIQ: the entry points a person uses. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
LAKE ?= lake
BIN := target/release/creativeiq
DEBUG_BIN := target/debug/creativeiq

.PHONY: help demo test lint build build-release bench-import clean-lake setup-python

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

demo: build ## Run the pipeline as far as it exists on the sample data in ./lake
	@echo "== importing the seed-format sample exports into $(LAKE)/"
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/instagram_posts.json --platform instagram
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/linkedin_posts.ndjson --platform linkedin
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/annotations.json tests/data/seed/ab_tests.json
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/facebook_page_posts.csv --mapping schemas/mappings/facebook_page_insights.toml
	@echo "== engagement by platform"
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT platform, count(*) AS posts, sum(likes + comments + shares + coalesce(saves, 0)) AS interactions, sum(impressions) AS impressions FROM raw.posts GROUP BY platform ORDER BY platform"
	@echo "== A/B tests as imported"
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT test_id, variant, impressions, conversion_rate, click_through_rate FROM raw.ab_tests ORDER BY test_id, variant"

test: setup-python lint ## Run every test (the README's test command)
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server RUST_BACKTRACE=0 $(CARGO) test

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

build: ## Debug build of the binary
	$(CARGO) build

build-release: ## Release build of the binary (for benchmarks)
	$(CARGO) build --release

setup-python: $(VENV)/.installed ## Python tools the tests and benchmarks use (moto, pyarrow)

$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet 'moto[server]' pyarrow
	touch $@

bench-import: build-release setup-python ## Import 1,000,000 NDJSON posts, beside pyarrow
	CREATIVEIQ=$(BIN) $(PY) tests/bench/import_bench.py

clean-lake: ## Empty the local lake
	find $(LAKE) -mindepth 1 ! -name README.md -delete
