# Two commands for a fresh machine:
#   make book   install everything and build the HTML book into _build/html
#   make test   install everything (plus Chromium for the browser tests), build the book, run pytest
# Local fast path while writing: make book-fast (execution cache; see below).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JB_FLAGS := -W -n --keep-going

# The offline dataset copies, when they sit beside the repository (builds and tests here).
# Readers without them get torchvision's downloads instead.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/MNIST),)
export CNNLIB_DATA ?= $(SHARED_DATA)
export CNNLIB_OFFLINE ?= 1
endif
# Derived files (decoded dataset tensors, the CIFAR-10 checkpoint) stay inside the build,
# so `make clean` really starts over and a stale checkpoint never leaks into a new build.
export CNNLIB_CACHE ?= $(CURDIR)/_build/cache
# Nothing the build or the tests read comes from the user's home directory: matplotlib's font cache,
# IPython's profile, Jupyter's config, data (kernelspecs) and runtime files, and the XDG caches live
# under _build/home, so `make clean && make test` starts like a new machine, and a kernelspec or a
# font cache that one machine happens to have can neither break nor rescue the build.
BUILD_HOME := $(CURDIR)/_build/home
export MPLCONFIGDIR := $(BUILD_HOME)/matplotlib
export IPYTHONDIR := $(BUILD_HOME)/ipython
export JUPYTER_CONFIG_DIR := $(BUILD_HOME)/jupyter/config
export JUPYTER_DATA_DIR := $(BUILD_HOME)/jupyter/data
export JUPYTER_RUNTIME_DIR := $(BUILD_HOME)/jupyter/runtime
export XDG_CACHE_HOME := $(BUILD_HOME)/cache
export XDG_CONFIG_HOME := $(BUILD_HOME)/config
HOME_DIRS := $(MPLCONFIGDIR) $(IPYTHONDIR) $(JUPYTER_CONFIG_DIR) $(JUPYTER_DATA_DIR) \
             $(JUPYTER_RUNTIME_DIR) $(XDG_CACHE_HOME) $(XDG_CONFIG_HOME)

.PHONY: install home book book-fast test browser clean

LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
install: $(VENV)/.installed $(LAB_OVERRIDES) node_modules/.package-lock.json home

# The folders above must exist (IPython otherwise warns and falls back to a temporary folder).
home:
	@mkdir -p $(HOME_DIRS)

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

# JupyterLab settings for the project's JupyterLab (labsettings/overrides.json, JupyterLab's documented
# place for defaults): every notebook cell is rendered, not only those on screen ("windowingMode":
# "none"), because jupyterlab-myst evaluates a Markdown cell's {eval} numbers only if the cell was
# rendered when Run All reached it; and no news or update checks (the reader may be offline).
$(LAB_OVERRIDES): labsettings/overrides.json postBuild $(VENV)/.installed
	PATH="$(abspath $(VENV))/bin:$$PATH" ./postBuild

# Front-end files the book serves itself (MathJax, require.js, the ipywidgets HTML manager), at the
# exact versions of package-lock.json; _ext/vendor_assets.py copies them into the HTML output.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Always correct: --all re-reads every page and execute_notebooks: force re-runs every notebook.
book: install
	$(VENV)/bin/jupyter-book build . --all $(JB_FLAGS)

# Fast local rebuild: only changed pages are re-read, and a notebook whose code cells are unchanged
# takes its outputs from _build/.jupyter_cache. jupyter-cache hashes only the notebook, so the
# cache (and Sphinx's page cache) is emptied whenever cnnlib's sources (the widgets' page-side js/ too)
# or requirements.txt change.
LIB_HASH = $(shell cat requirements.txt $$(find cnnlib -type f \( -name '*.py' -o -path '*/js/*' \) | LC_ALL=C sort) | sha256sum | cut -c1-16)
book-fast: install
	@mkdir -p _build
	@if [ "$$(cat _build/.lib-hash 2>/dev/null)" != "$(LIB_HASH)" ]; then \
	  echo "book-fast: cnnlib or requirements changed: emptying the execution cache"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees; fi
	BOOK_EXECUTE=cache $(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	echo "$(LIB_HASH)" > _build/.lib-hash

# Debian's Chromium (never a downloaded browser build) and a Japanese font for the page text.
browser:
	command -v chromium >/dev/null && fc-list :lang=ja | grep -q . && fc-list | grep -qi emoji || \
	  { apt-get update -q && apt-get install -y -q chromium fonts-ipaexfont-gothic fonts-noto-color-emoji; }

test: install browser book
	$(PY) -m pytest

clean:
	rm -rf _build
