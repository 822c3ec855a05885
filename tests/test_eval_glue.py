"""_ext/eval_glue.py: {eval}`g.NAME` in the HTML book is the text the notebook glued under NAME,
and anything else fails the build (-W). A one-page Sphinx project with a saved, executed notebook."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[1] / "_ext"
CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["myst_nb", "eval_glue"]
nb_execution_mode = "off"
exclude_patterns = ["_build"]
"""


def glued(name, text):
    """The output myst-nb's glue(name, Text(text), display=False) leaves in a notebook."""
    return {"output_type": "display_data", "metadata": {"scrapbook": {"name": name, "mime_prefix":
            "application/papermill.record/"}}, "data": {"application/papermill.record/text/plain": text}}


def build(tmp_path, markdown):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# 題\n"},
                    {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": "g.acc = '98.8%'",
                     "outputs": [glued("acc", "98.8%")]},
                    {"cell_type": "markdown", "id": "m", "metadata": {}, "source": markdown}]}
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.ipynb").write_text(json.dumps(nb))
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path),
                          str(tmp_path / "_build")], capture_output=True, text=True)
    page = tmp_path / "_build" / "index.html"
    return run, page.read_text(encoding="utf-8") if run.returncode == 0 else ""


def test_g_name_is_the_glued_text(tmp_path):
    run, html = build(tmp_path, "正解率は {eval}`g.acc` です。")
    assert run.returncode == 0, run.stderr
    assert '<span class="pasted-text">98.8%</span>' in html


@pytest.mark.parametrize("markdown, message", [
    ("{eval}`g.missing`", "g.missing"),
    ("{eval}`acc`", "can show only g.NAME"),
    ("{eval}`g.acc + 1`", "can show only g.NAME"),
])
def test_anything_else_fails_the_build(tmp_path, markdown, message):
    run, _ = build(tmp_path, markdown)
    assert run.returncode != 0 and message in run.stderr, run.stderr
