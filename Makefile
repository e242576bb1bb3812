# CreativeIQ: the entry points a person uses. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
LAKE ?= lake
BIN := target/release/creativeiq
DEBUG_BIN := target/debug/creativeiq

.PHONY: help demo test lint build build-release bench-import bench-collect clean-lake setup-python test-data

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

test: setup-python test-data lint ## Run every test (the README's test command)
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

# Real images for the feature tests, from the registries named in the
# images README: scikit-image's wheel (skimage/data) and Debian's
# sway-backgrounds.
DATA := .data
SKIMAGE_IMAGES := astronaut.png camera.png chelsea.png coffee.png color.png hubble_deep_field.jpg logo.png motorcycle_left.png page.png rocket.jpg text.png
SWAY_IMAGES := Sway_Wallpaper_Blue_1136x640.png Sway_Wallpaper_Blue_768x1024_Portrait.png

test-data: $(DATA)/images/.fetched ## Fetch the real test images (pip wheel, Debian package)

$(DATA)/images/.fetched: | setup-python
	mkdir -p $(DATA)/download $(DATA)/images
	$(PY) -m pip download --quiet --no-deps --dest $(DATA)/download scikit-image==0.26.0
	cd $(DATA)/download && $(CURDIR)/$(PY) -m zipfile -e scikit_image-0.26.0-*.whl skimage-wheel
	for f in $(SKIMAGE_IMAGES); do cp $(DATA)/download/skimage-wheel/skimage/data/$$f $(DATA)/images/; done
	cd $(DATA)/download && (apt-get download sway-backgrounds 2>/dev/null || (apt-get update -qq && apt-get download sway-backgrounds))
	dpkg -x $(DATA)/download/sway-backgrounds_*.deb $(DATA)/download/sway
	for f in $(SWAY_IMAGES); do cp $(DATA)/download/sway/usr/share/backgrounds/sway/$$f $(DATA)/images/; done
	touch $@

bench-import: build-release setup-python ## Import 1,000,000 NDJSON posts, beside pyarrow
	CREATIVEIQ=$(BIN) $(PY) tests/bench/import_bench.py

bench-collect: build-release setup-python ## Collect every platform from the local simulator, beside a Python asyncio (aiohttp) collector
	$(PY) -m pip install --quiet aiohttp pillow
	CREATIVEIQ=$(BIN) $(PY) tests/bench/collect_bench.py

clean-lake: ## Empty the local lake
	find $(LAKE) -mindepth 1 ! -name README.md -delete
