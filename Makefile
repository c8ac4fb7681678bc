# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
TODAY ?=

.PHONY: demo test venv dev sysdeps lint bench clean workbook dist

$(BIN)/duban: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

venv: $(BIN)/duban

$(VENV)/.dev: $(BIN)/duban
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

dev: $(VENV)/.dev

# System packages the tests drive for real: LibreOffice (opens our files; python3-uno lets the
# system Python press the button in it), poppler (PDF -> PNG), Chromium (loads the dashboard),
# Chinese fonts. Installed only when missing, so a rerun is fast.
sysdeps:
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v chromium >/dev/null \
		|| ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || ! /usr/bin/python3 -c "import uno" 2>/dev/null; then \
		echo "安装测试所需系统软件包（LibreOffice 及其 Python 接口、poppler、Chromium、中文字体）…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			libreoffice-calc libreoffice-writer python3-uno poppler-utils chromium fonts-noto-cjk >/dev/null; \
	fi

demo: venv
	$(BIN)/duban demo $(DEMO_DIR) --force $(if $(TODAY),--today $(TODAY))

# Lint first: a type error or an unformatted file fails the suite before the long tests run.
test: dev sysdeps lint
	$(BIN)/python -m pytest -q

# The blank ledger for offices, built from code into workbook/ (not committed).
workbook: venv
	$(BIN)/duban init workbook --xlsm --force
	$(BIN)/duban init workbook --force

# The offline install bundle for 政务内网 PCs: dist/duban-<version>-offline/ and its .zip (wheels
# for Windows x64 and Linux x86_64/aarch64, CPython 3.11/3.12; downloads cached in
# ~/.cache/duban/offline-wheels). `make dist REFRESH=1` asks the index for newer releases.
dist: dev
	$(BIN)/python scripts/build_offline.py --dest dist $(if $(REFRESH),--refresh)

# Types are checked too; scripts/ as on Windows, where offline/tools/install_helper.py runs.
lint: dev
	$(BIN)/ruff check automation tests bench scripts
	$(BIN)/ruff format --check automation tests bench scripts
	$(BIN)/mypy
	$(BIN)/mypy --platform win32 scripts

bench: dev
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist *.egg-info .pytest_cache
