# Two commands take a fresh clone to the product running on its embedded defaults
# (`make sandbox`: no token, a browser page) and a passing test suite (`make test`); `make run`
# is the production bot with a token. All create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run sandbox browser test chaos lint bench bench-aiogram clean

$(BIN)/sigap: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

run: $(BIN)/sigap
	$(BIN)/sigap run

# The bot, the Bot API emulator and a Telegram-like page on http://127.0.0.1:8080 in one
# process; e.g. `make sandbox SANDBOX_ARGS="--reset --port 8090"`.
SANDBOX_ARGS ?=
sandbox: $(BIN)/sigap
	$(BIN)/sigap sandbox $(SANDBOX_ARGS)

# Debian's chromium (and an emoji font) for the sandbox's browser test. Playwright drives this
# binary; it never downloads browsers of its own.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Each is installed when missing: a machine with chromium but no emoji font still gets the font.
BROWSER_PACKAGES := chromium fonts-noto-color-emoji
browser:
	@missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "installed: $(BROWSER_PACKAGES)"; else \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; fi

# Lint and layout (ruff), then types (mypy, configured in pyproject.toml), then the suite.
# The project compiled once first: the suite starts the `sigap` command in a few hundred
# processes, and where PYTHONDONTWRITEBYTECODE is set (CI images) each compiled every module
# it imports anew (about a second of CPU per process). The suite runs on up to four cores
# (pytest-xdist; one core: `.venv/bin/pytest` alone).
test: $(BIN)/sigap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m compileall -q bot domain emulator handlers models sandbox scheduler services texts
	$(BIN)/pytest -n auto --maxprocesses 4

# The long forms of the reliability suite (docs/architecture.md#reliability): 10,000 fuzzed
# examples drawn afresh, the access matrix with every id, the kill after an unconfirmed save on
# PostgreSQL too, the faults test under twelve seeds, and 100 random kills of real `sigap run`
# processes (25 per database and mode, seeds printed; SIGAP_CHAOS_SEED replays one). `make test`
# runs the quick forms. One driver run: `python -m tests.e2e.chaos --help`.
chaos: $(BIN)/sigap
	SIGAP_CHAOS=1 $(BIN)/pytest -p no:cacheprovider --timeout 3600 \
		tests/e2e/test_fuzz.py tests/e2e/test_access_matrix.py tests/e2e/test_crash_recovery.py \
		tests/emulator/test_emulator_faults_bot.py tests/e2e/test_chaos_kills.py

bench: $(BIN)/sigap
	$(BIN)/python bench/updates.py

# aiogram 3, the second baseline of bench/paths.py, in a virtual environment of its own: it pins
# an older pydantic than Sigap's.
bench-aiogram: .venv-aiogram/bin/python
.venv-aiogram/bin/python:
	$(PYTHON) -m venv .venv-aiogram
	.venv-aiogram/bin/pip install --quiet "aiogram>=3,<4"

clean:
	rm -rf $(VENV) .venv-aiogram .pytest_cache .ruff_cache .mypy_cache
