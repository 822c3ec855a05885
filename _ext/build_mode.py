"""Let the environment pick myst-nb's execution mode, so `make book-fast` can use the cache.

_config.yml says ``execute_notebooks: force`` (always correct; CI and `make book`). With
``BOOK_EXECUTE=cache`` in the environment (`make book-fast`) the build reuses the outputs stored
in ``_build/.jupyter_cache``. jupyter-cache keys a notebook by its code cells only, so the Makefile
empties that cache whenever the hash of cnnlib's sources (or requirements.txt) changes.

After a build it also writes ``_build/execution.json``: per notebook, how it was executed
(``method``: execute or cache), whether it succeeded and its ``runtime`` in seconds (read by
tests/test_repro.py to pick a cheap chapter, and handy when checking the chapter budgets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)
MODES = ("force", "cache", "auto", "off")


def apply_mode(app: Sphinx, config) -> None:
    """Override nb_execution_mode with $BOOK_EXECUTE when it is set."""
    mode = os.environ.get("BOOK_EXECUTE", "").strip()
    if not mode:
        return
    if mode not in MODES:
        raise ConfigError(f"BOOK_EXECUTE={mode!r} is not an execution mode; use one of {MODES}")
    logger.info("build_mode: nb_execution_mode=%s (from BOOK_EXECUTE)", mode)
    config.nb_execution_mode = mode


def write_execution_report(app: Sphinx, exception) -> None:
    """Write myst-nb's execution data of every notebook to _build/execution.json."""
    if exception is not None or app.builder.format != "html":
        return
    nb_metadata = getattr(app.env, "nb_metadata", {})
    report = {doc: {k: data["exec_data"].get(k) for k in ("method", "succeeded", "runtime")}
              for doc, data in sorted(nb_metadata.items()) if data.get("exec_data")}
    path = Path(app.outdir).parent / "execution.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict:
    """Register the config hook and the execution report."""
    app.connect("config-inited", apply_mode, priority=900)
    app.connect("build-finished", write_execution_report)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
