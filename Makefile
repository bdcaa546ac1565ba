# Two entry points: `make up` starts the whole stack on embedded defaults, `make test` runs
# every check. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test lint typecheck fonts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# PDF reports draw Arabic, Hebrew, CJK and emoji with fonts from Debian's packages.
fonts:
	scripts/install-fonts

up: $(VENV)/.installed fonts
	$(BIN)/reports up

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: lint typecheck fonts
	$(BIN)/pytest

clean:
	rm -rf .reports
