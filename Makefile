# Two commands for a fresh machine:
#   make book   install everything and build the HTML book into _build/html
#   make test   install everything (plus Chromium for the browser tests), build the book, run pytest
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
export MPLBACKEND ?= Agg

.PHONY: install book test browser clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

book: install
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)

browser:
	command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

test: install browser book
	$(PY) -m pytest

clean:
	rm -rf _build
