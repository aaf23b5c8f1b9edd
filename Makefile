# Laotie: `make demo` runs the demo marketplace, `make test` runs the whole suite.
# Both install what is missing first (Python packages into .venv, Debian packages via apt-get).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEB_PKGS := chromium fonts-wqy-microhei ffmpeg nginx-light libnginx-mod-rtmp redis-server
PYTEST_ARGS ?= -n 2

HLS_JS  := src/laotie/web/static/vendor/hls.min.js
HLS_JS_VERSION := 1.7.4

.PHONY: setup system-deps web-deps demo demo-deps serve test test-fast lint fmt bench bench-deps bench-flash clean migration

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests and screenshots need; installed only when one is missing.
system-deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# hls.js from the npm registry, so that Chromium and Firefox play a live room's HLS (Safari and
# phones play it natively). Not vendored in git: fetched once, pinned.
$(HLS_JS):
	mkdir -p var/npm $(dir $(HLS_JS))
	cd var/npm && npm pack --silent hls.js@$(HLS_JS_VERSION) >/dev/null
	tar -xzf var/npm/hls.js-$(HLS_JS_VERSION).tgz -C var/npm package/dist/hls.min.js
	cp var/npm/package/dist/hls.min.js $(HLS_JS)

web-deps: $(HLS_JS)

# What the demo needs from Debian: ffmpeg (short videos, the live rooms' test video), a CJK font (readable
# Chinese in generated pictures and video), nginx with the RTMP module (live video as HLS).
DEMO_DEB_PKGS := ffmpeg fonts-wqy-microhei nginx-light libnginx-mod-rtmp
PORT ?= 8000

demo-deps:
	@$(MAKE) --no-print-directory system-deps DEB_PKGS="$(DEMO_DEB_PKGS)"

# make demo PORT=8010: serve on another port (the media server finds free ports of its own)
demo: setup web-deps demo-deps
	$(BIN)/laotie demo --port $(PORT)

serve: setup web-deps
	$(BIN)/laotie serve

test: setup system-deps
	$(BIN)/pytest $(PYTEST_ARGS) --cov=laotie --cov-report= --durations=25

# The fast lane while you work: unit tests and the integration tests on SQLite only (no PostgreSQL, no
# browsers, no fuzzing). `make test` (and CI) still runs everything on both databases.
test-fast: setup
	LAOTIE_TEST_BACKENDS=sqlite $(BIN)/pytest $(PYTEST_ARGS) -q tests/unit tests/integration \
	  --ignore=tests/integration/test_api_fuzz.py -k "not postgres"

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Every benchmark in bench/ at a size that fits ten minutes on 2 cores, one table of ratios (each figure
# against the same run's no-op ceiling), written to bench/results/summary.json; non-zero exit when a
# benchmark failed or its books were not exact. make bench BENCH_ARGS="--only flash_sale,catalog"
BENCH_ARGS ?=
bench: setup bench-deps
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# The benchmarks' load generator (Debian's wrk, a C program): not needed by the tests.
bench-deps:
	@dpkg -s wrk >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

# The live flash sale (docs/benchmarks.md): 5,000 buyers for 1,000 units, on both databases.
bench-flash: setup bench-deps
	$(BIN)/python bench/flash_sale.py --db sqlite --buyers 5000 --stock 1000 --json
	$(BIN)/python bench/flash_sale.py --db postgres --buyers 5000 --stock 1000 --json

# Regenerate a migration from the models: make migration m="add orders"
migration: setup
	$(BIN)/python -c "import sys; from laotie.migrations import revision; revision('sqlite:///var/migration-scratch.db', sys.argv[1])" "$(m)"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
