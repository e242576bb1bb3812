# CreativeIQ: the entry points a person uses. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
LAKE ?= lake
BIN := target/release/creativeiq
DEBUG_BIN := target/debug/creativeiq

.PHONY: help demo test lint build build-release bench-predict bench-import bench-synth bench-collect bench-sql bench-features bench-data contact-sheet clean-lake setup-python setup-chromium test-data report-check bench-train setup-notebooks notebooks notebooks-check notebooks-test train-quick train-full train-production train-synthetic retrain

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

SIM_POSTS ?= 240

demo: build ## The whole pipeline in ./lake: simulator, collect, features, validate, train, predict, quality and model reports
	@echo "== importing the seed-format sample exports into $(LAKE)/"
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/instagram_posts.json --platform instagram
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/linkedin_posts.ndjson --platform linkedin
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/annotations.json tests/data/seed/ab_tests.json
	-$(DEBUG_BIN) --lake $(LAKE) import tests/data/seed/facebook_page_posts.csv --mapping schemas/mappings/facebook_page_insights.toml
	@echo "== collecting every platform from the simulator on 127.0.0.1 ($(SIM_POSTS) synthetic posts)"
	scripts/with-sim.sh $(DEBUG_BIN) target/demo-sim.env --posts $(SIM_POSTS) -- \
	  $(DEBUG_BIN) --lake $(LAKE) collect --all --env-file target/demo-sim.env --since 2026-09-01 --until 2026-11-01 \
	  || [ $$? -le 1 ]
	@echo "== extracting the visual features of every new image (FEATURES.md)"
	-$(DEBUG_BIN) --lake $(LAKE) features
	@echo "== engagement by platform"
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT platform, count(*) AS posts, sum(interactions) AS interactions, round(avg(engagement_rate), 4) AS avg_engagement_rate FROM posts GROUP BY platform ORDER BY platform"
	@echo "== A/B tests recomputed (two-proportion z-test)"
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT test_id, variant, round(p_value, 4) AS p_value, round(ci_low, 4) AS ci_low, round(ci_high, 4) AS ci_high, winner, recorded_significance, significance_disagrees FROM ab_results ORDER BY test_id, variant LIMIT 8"
	@echo "== the designs' features, best-scoring posts first"
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT t.platform, t.post_id, round(t.performance_score, 1) AS score, round(f.contrast_rms, 3) AS contrast, round(f.colorfulness, 1) AS colorfulness, round(f.text_coverage, 3) AS text_coverage, round(f.rule_of_thirds, 3) AS thirds FROM training_posts AS t JOIN features.design AS f ON f.image_sha256 = t.image_sha256 ORDER BY t.performance_score DESC LIMIT 8"
	@echo "== validating the lake (sql/checks/; results in quality.check_results)"
	-$(DEBUG_BIN) --lake $(LAKE) validate
	@echo "== the quality report"
	$(DEBUG_BIN) --lake $(LAKE) report quality
	@echo "== training every model kind on the lake, general and per platform (a short search; make train-quick learns a bigger world)"
	$(DEBUG_BIN) --lake $(LAKE) train --holdout-weeks 2 --search-candidates 2 --search-seconds 20 --min-platform-rows 60
	@echo "== the champions"
	$(DEBUG_BIN) --lake $(LAKE) models
	@echo "== scoring two new synthetic designs with the champions"
	@rm -rf target/demo-designs
	$(DEBUG_BIN) --quiet synth --designs 2 --experiments 0 --seed 7 --out target/demo-designs > /dev/null
	$(DEBUG_BIN) --lake $(LAKE) predict $$(ls target/demo-designs/images/d000000.* | grep -v '\.json$$') --platform instagram --hour 18 --weekday 4
	$(DEBUG_BIN) --lake $(LAKE) predict $$(ls target/demo-designs/images/d000001.* | grep -v '\.json$$') --platform linkedin --hour 9 --weekday 1
	@echo "== scoring every valid post of the lake (predictions.posts)"
	$(DEBUG_BIN) --lake $(LAKE) predict --all
	$(DEBUG_BIN) --lake $(LAKE) sql "SELECT platform, post_id, round(score, 1) AS score, tier, top_up, top_down FROM predictions.posts ORDER BY score DESC LIMIT 5"
	@echo "== the model report"
	$(DEBUG_BIN) --lake $(LAKE) report model

test: setup-python setup-chromium test-data lint notebooks-test ## Run every test (the README's test command)
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server RUST_BACKTRACE=0 $(CARGO) test

# Training on a synthetic world: the simulator serves TRAIN_POSTS posts of a
# world whose truth goes to $(TRAIN_LAKE)-truth/ (for the ceiling); collect,
# extract features, validate, train, then print the holdout metrics and the
# champions. Debug build, like `make demo`; the lake starts empty.
TRAIN_START ?= 2026-05-01
TRAIN_DAYS ?= 180
TRAIN_UNTIL ?= 2026-11-01
TRAIN_ARGS ?=

train-quick: ## Synthetic world of a few thousand posts, release build: collect, features, validate, train, metrics and champions (target/lake-train-quick)
	@$(MAKE) --no-print-directory train-synthetic TRAIN_LAKE=target/lake-train-quick TRAIN_POSTS=2000 TRAIN_EXPERIMENTS=40 \
	  TRAIN_ARGS="--search-candidates 2 --search-seconds 30 $(TRAIN_ARGS)"

train-full: ## The same with tens of thousands of posts and the full search (target/lake-train-full)
	@$(MAKE) --no-print-directory train-synthetic TRAIN_LAKE=target/lake-train-full TRAIN_POSTS=60000 TRAIN_EXPERIMENTS=300

train-synthetic: build-release
	@test -n "$(TRAIN_LAKE)" || { echo "train-synthetic: use make train-quick or make train-full"; exit 2; }
	rm -rf $(TRAIN_LAKE) $(TRAIN_LAKE)-truth
	@echo "== collecting $(TRAIN_POSTS) synthetic posts from the simulator into $(TRAIN_LAKE)/"
	scripts/with-sim.sh $(BIN) $(TRAIN_LAKE).env --posts $(TRAIN_POSTS) --experiments $(TRAIN_EXPERIMENTS) \
	  --start $(TRAIN_START) --days $(TRAIN_DAYS) --truth-dir $(TRAIN_LAKE)-truth -- \
	  $(BIN) --lake $(TRAIN_LAKE) collect --all --env-file $(TRAIN_LAKE).env --since $(TRAIN_START) --until $(TRAIN_UNTIL) \
	  || [ $$? -le 1 ]
	@echo "== extracting the visual features"
	$(BIN) --lake $(TRAIN_LAKE) features || [ $$? -le 1 ]
	@echo "== validating the lake"
	-$(BIN) --lake $(TRAIN_LAKE) validate
	@echo "== training every model kind, general and per platform (ceiling from the world's truth)"
	$(BIN) --lake $(TRAIN_LAKE) train --truth $(TRAIN_LAKE)-truth $(TRAIN_ARGS)
	@echo "== holdout metrics of the run (metrics.model_metrics)"
	$(BIN) --lake $(TRAIN_LAKE) sql "SELECT scope, model_kind, rows, round(r2, 3) AS r2, round(rmse, 2) AS rmse, round(spearman, 3) AS spearman, round(pairwise_accuracy, 3) AS ab_accuracy, ab_pairs, round(ceiling_r2, 3) AS ceiling_r2, round(ceiling_ratio, 3) AS ceiling_ratio, champion FROM metrics.model_metrics WHERE split = 'holdout' AND r2 IS NOT NULL ORDER BY scope, r2 DESC"
	@echo "== champions"
	$(BIN) --lake $(TRAIN_LAKE) models
	@echo "== scoring every post with the champions (predictions.posts)"
	$(BIN) --lake $(TRAIN_LAKE) predict --all

RETRAIN_FROM ?= 2026-W37
RETRAIN_TO ?= 2026-W43

retrain: build ## Weekly champion/challenger retrain of $(LAKE), week by week ($(RETRAIN_FROM)..$(RETRAIN_TO)), then the monitor of the last week
	$(DEBUG_BIN) --lake $(LAKE) retrain --backfill --from $(RETRAIN_FROM) --to $(RETRAIN_TO) --search-candidates 2 --search-seconds 30 $(RETRAIN_ARGS)
	$(DEBUG_BIN) --lake $(LAKE) monitor

PRODUCTION_TOKENS := INSTAGRAM_ACCESS_TOKEN LINKEDIN_ACCESS_TOKEN FACEBOOK_ACCESS_TOKEN DRIBBBLE_ACCESS_TOKEN

train-production: build ## Collect from the real APIs with the tokens of .env, then validate, extract features and train, in $(LAKE)
	@missing=""; for t in $(PRODUCTION_TOKENS); do \
	  if [ -z "$${!t:-}" ] && ! grep -Eq "^(export )?$$t=.+" .env 2>/dev/null; then missing="$$missing $$t"; fi; \
	done; \
	if [ -n "$$missing" ]; then echo "train-production: missing in .env (or the environment):$$missing"; \
	  echo "see the seed guide's 'Required API Setup'; make train-quick trains on a synthetic world instead"; exit 2; fi
	$(DEBUG_BIN) --lake $(LAKE) collect --all --env-file .env || [ $$? -le 1 ]
	$(DEBUG_BIN) --lake $(LAKE) features || [ $$? -le 1 ]
	-$(DEBUG_BIN) --lake $(LAKE) validate
	$(DEBUG_BIN) --lake $(LAKE) train $(TRAIN_ARGS)
	$(DEBUG_BIN) --lake $(LAKE) models

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

build: ## Debug build of the binary
	$(CARGO) build

# The binary alone is linked position-dependent (the library and the
# dependencies stay PIC): a position-independent one spent 3 of its 4 ms
# of start-up applying 250,000 relocations, which every `creativeiq predict`
# of one design pays (`make bench-predict`).
build-release: ## Release build of the binary (for benchmarks)
	$(CARGO) rustc --release --bin creativeiq -- -C relocation-model=static

setup-python: $(VENV)/.installed ## Python tools the tests and benchmarks use (moto, pyarrow)

$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet 'moto[server]' pyarrow
	touch $@

# Debian's chromium renders the HTML reports in the tests (headless). The
# tests skip, loudly, only where it cannot be installed.
setup-chromium: ## Install Debian's chromium for the report tests, when missing
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "!!! chromium could not be installed (apt-get as root): the report rendering tests will be SKIPPED"

report-check: setup-chromium ## Render the quality and model reports in headless Chromium: no console error, charts drawn, screenshots kept in docs/
	CREATIVEIQ_UPDATE_DOCS=1 $(CARGO) test --test it -- quality::report report:: --nocapture

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

bench-synth: build-release setup-python ## Render 10,000 synthetic designs, beside Pillow drawing comparable ones
	CREATIVEIQ=$(BIN) $(PY) tests/bench/synth_bench.py

contact-sheet: build ## Write docs/contact-sheet.png: a grid of 36 synthetic designs
	$(DEBUG_BIN) synth --quiet --designs 36 --experiments 0 --out target/contact-sheet --contact-sheet docs/contact-sheet.png

bench-collect: build-release setup-python ## Collect every platform from the local simulator, beside a Python asyncio (aiohttp) collector
	$(PY) -m pip install --quiet aiohttp pillow
	CREATIVEIQ=$(BIN) $(PY) tests/bench/collect_bench.py

bench-sql: build-release setup-python ## Validation suite on 10,000,000 generated posts, beside DuckDB on the same Parquet
	$(PY) -m pip install --quiet duckdb numpy scipy
	CREATIVEIQ=$(BIN) $(PY) tests/bench/sql_bench.py

# Real images for the feature benchmark, from Debian packages (not
# installed, only unpacked): photos and designs, and PNG illustrations.
BENCH_DATA := $(DATA)/bench
PREDICT_LAKE ?= target/lake-train-quick

bench-data: $(BENCH_DATA)/.unpacked ## Fetch the benchmark images (mate-backgrounds, openclipart-png)

$(BENCH_DATA)/.unpacked:
	mkdir -p $(BENCH_DATA)/download
	cd $(BENCH_DATA)/download && (apt-get download mate-backgrounds openclipart-png 2>/dev/null || (apt-get update -qq && apt-get download mate-backgrounds openclipart-png))
	for d in $(BENCH_DATA)/download/*.deb; do dpkg -x $$d $(BENCH_DATA)/unpacked; done
	touch $@

$(VENV)/.bench-peer: $(VENV)/.installed
	$(PY) -m pip install --quiet numpy pillow scikit-image opencv-python-headless
	touch $@

bench-features: build-release bench-data $(VENV)/.bench-peer ## Feature extraction on real images, beside NumPy/scikit-image/OpenCV
	$(CARGO) build --release --example features_bench
	CREATIVEIQ=$(BIN) FEATURES_BENCH=target/release/examples/features_bench $(PY) tests/bench/features_bench.py

bench-predict: build-release bench-data $(VENV)/.bench-peer ## One design's creativeiq predict latency (1080x1080 JPEG), beside a Pillow/OpenCV/XGBoost peer
	$(CARGO) build --release --example features_bench
	$(PY) -m pip install --quiet xgboost-cpu
	test -f $(PREDICT_LAKE)/models/champions.json || $(MAKE) train-quick
	CREATIVEIQ=$(BIN) FEATURES_BENCH=target/release/examples/features_bench PREDICT_LAKE=$(PREDICT_LAKE) $(PY) tests/bench/predict_bench.py

bench-train: setup-python ## Boosted trees and a random forest on 100,000 x 30 rows, beside XGBoost and scikit-learn
	nice $(CARGO) build --release --example train_bench
	$(PY) -m pip install --quiet xgboost-cpu scikit-learn numpy
	TRAIN_BENCH=target/release/examples/train_bench $(PY) tests/bench/train_bench.py

clean-lake: ## Empty the local lake
	find $(LAKE) -mindepth 1 ! -name README.md -delete

# Jupyter notebooks over the lake with polars (notebooks/): `make notebooks`
# runs them on $(LAKE); `make notebooks-test` (for `make test`) builds a
# small lake with the debug binary and runs them on it and on an empty lake.
NB_LAKE := target/notebooks-lake
NB_SIM_POSTS ?= 120

setup-notebooks: $(VENV)/.notebooks ## What the notebooks need, in .venv (polars, nbclient, ipykernel, matplotlib)

$(VENV)/.notebooks: $(VENV)/.installed
	$(PY) -m pip install --quiet polars nbclient nbformat ipykernel matplotlib
	touch $@

notebooks: setup-notebooks ## Run every notebook top to bottom on LAKE (default ./lake); executed copies in target/notebooks
	$(PY) notebooks/run.py --lake $(LAKE) --out target/notebooks

notebooks-check: setup-notebooks ## Fail when a committed notebook carries outputs (strip: python notebooks/run.py --strip)
	$(PY) notebooks/run.py --check-stripped

notebooks-test: build setup-notebooks notebooks-check ## Build a small lake (simulator, collect, features, validate, train) and run the notebooks on it and on an empty lake
	rm -rf $(NB_LAKE) target/notebooks-empty-lake target/nb-sim.env
	mkdir -p $(NB_LAKE) target/notebooks-empty-lake
	scripts/with-sim.sh $(DEBUG_BIN) target/nb-sim.env --posts $(NB_SIM_POSTS) -- \
	  $(DEBUG_BIN) --quiet --lake $(NB_LAKE) collect --all --env-file target/nb-sim.env --since 2026-09-01 --until 2026-11-01 \
	  || [ $$? -le 1 ]
	-$(DEBUG_BIN) --quiet --lake $(NB_LAKE) features
	-$(DEBUG_BIN) --quiet --lake $(NB_LAKE) validate
	for run in nb-1 nb-2; do $(DEBUG_BIN) --quiet --lake $(NB_LAKE) train --kinds elastic_net,random_forest --search-candidates 1 --folds 3 --holdout-weeks 2 --run $$run --seed $${run#nb-} || exit 2; done
	$(PY) notebooks/run.py --lake target/notebooks-empty-lake --out target/notebooks-empty
	$(PY) notebooks/run.py --lake $(NB_LAKE) --out target/notebooks
