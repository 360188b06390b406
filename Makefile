# The two commands of the README: `make run` and `make test`. Each builds its own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run demo test lint typecheck unit bench clean fonts

# --no-compile: Python compiles what it imports, when it first imports it; compiling every installed file up front
# (pyspark's thousands among them) took half of the install (53 s against 24 s, measured on a CI machine).
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile --upgrade pip
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
	touch $@

## run: set up and run the system: web UI and API on http://127.0.0.1:8000 with a demo district (SQLite)
run: $(BIN)/.installed fonts
	$(BIN)/yibao demo

## fonts: the CJK font PDF notices are printed in (Debian's fonts-wqy-microhei), where it is missing and apt is usable
FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@test -f $(FONT) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y --no-install-recommends fonts-wqy-microhei >/dev/null 2>&1 \
	       || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends fonts-wqy-microhei >/dev/null 2>&1; }; }; } \
	  || echo "注意：没有中文字体，PDF 通知单不可用（apt-get install fonts-wqy-microhei，或设置 YIBAO_CJK_FONT）"

## test: set up and run every check CI runs: lint, types, tests
# The type check (one core, half a minute from a clean checkout) runs beside the tests' first minute instead of
# before them; its report follows theirs, and either failing fails the whole.
test: $(BIN)/.installed lint
	@$(BIN)/mypy > $(VENV)/typecheck.log 2>&1 & types=$$!; \
	$(BIN)/pytest -n auto --dist loadfile; tests=$$?; \
	wait $$types; typed=$$?; echo "mypy:"; cat $(VENV)/typecheck.log; \
	test $$tests -eq 0 && test $$typed -eq 0

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# Every test, in one process per core (pytest-xdist); each process migrates its own template databases once.
unit: $(BIN)/.installed
	$(BIN)/pytest -n auto --dist loadfile

## bench: the performance goals of the issues, each against a baseline measured in the same run
bench: $(BIN)/.installed
	$(BIN)/python bench/bench_assess.py
	$(BIN)/python bench/bench_counter_http.py
	$(BIN)/python bench/bench_roster_import.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_reconcile.py
	$(BIN)/python bench/bench_crosscheck.py
	$(BIN)/python bench/bench_progress.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
