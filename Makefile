# Two commands take a fresh clone to a running bot (`make run`) and a passing test suite
# (`make test`). Both create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/sigap: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

run: $(BIN)/sigap
	$(BIN)/sigap run

test: $(BIN)/sigap
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(BIN)/sigap
	$(BIN)/python bench/updates.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
