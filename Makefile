# policy-qa: `make run` starts the service, `make test` runs lint and the whole test suite,
# `make test-fast` the tests not marked slow (no browser, no server) for the inner loop.
# Both create .venv and install everything on first use; later runs reuse it until
# pyproject.toml changes. Works unattended (CI=true, no stdin) as root on Debian.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch goes in first and pinned: on these machines pip takes the CPU wheel that lies
# on disk; left to sentence-transformers, pip would pull a multi-GB CUDA build.
TORCH_VERSION ?= 2.13.0

# root runs apt-get directly; anyone else goes through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: install run lint test test-fast chromium fonts postgresql clean

install: $(STAMP)

# Debian's python3 lacks ensurepip (and so venv) until python3-venv is installed.
$(STAMP): pyproject.toml
	if ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
		$(APT_GET) update && $(APT_GET) install -y python3-venv; \
	fi
	if [ ! -x $(BIN)/pip ]; then rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

HOST ?= 127.0.0.1
PORT ?= 8000

# Serves the API, the WeCom callbacks and the chat UI on one port; the index is built on
# the embedded default model first when it is missing.
run: install
	$(BIN)/policy-qa serve --host $(HOST) --port $(PORT)

# The UI tests drive the Debian chromium through Playwright; a CJK font makes their
# screenshots readable (without one Chinese renders as empty boxes).
chromium:
	if [ ! -x /usr/bin/chromium ] || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		$(APT_GET) update && $(APT_GET) install -y chromium fonts-wqy-microhei; \
	fi

# The intake tests render a scanned page with the same CJK font; the fast loop needs it, not chromium.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	if [ ! -f $(CJK_FONT) ]; then \
		$(APT_GET) update && $(APT_GET) install -y fonts-wqy-microhei; \
	fi

# The database tests start a throw-away PostgreSQL with Debian's initdb/pg_ctl (as `nobody` under root);
# only the binaries are needed, the packaged cluster is not used.
postgresql:
	if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(APT_GET) update && $(APT_GET) install -y postgresql; \
	fi

lint: install
	$(BIN)/ruff check .

test: install chromium postgresql lint
	$(BIN)/python -m pytest -q

# Still the real model and a real FAISS index (built once per session), without Chromium,
# live servers, CLI subprocesses or fuzzing: under 90 s on two cores.
# One OpenMP thread: on a shared two-core machine torch's second thread spins against the
# other processes; with another test run going, the 105 dev questions took 22.6 s to encode
# one by one on two threads and 2.0 s on one.
test-fast: export OMP_NUM_THREADS ?= 1
test-fast: install fonts
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
