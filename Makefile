# Two commands take a fresh clone to the product running on its embedded defaults
# (`make sandbox`: no token, a browser page) and a passing test suite (`make test`); `make run`
# is the production bot with a token. All create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run sandbox browser test lint bench clean

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

test: $(BIN)/sigap
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(BIN)/sigap
	$(BIN)/python bench/updates.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
