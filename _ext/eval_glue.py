"""``{eval}`g.NAME``` in the HTML book: the text the chapter glued under NAME.

The chapters keep the numbers their prose shows on ``g = cnnlib.prose.Glued()``; each
``g.NAME = value`` stores the text and glues it with myst-nb. The Markdown reads them with MyST's
``{eval}`` role, which ``jupyterlab-myst`` evaluates in the kernel when a reader runs the notebook.
myst-nb evaluates ``{eval}`` only in its inline execution mode, which this book does not use
(the build executes whole notebooks, ``execute_notebooks: force``, or reuses jupyter-cache), so
this extension replaces the role: ``g.NAME`` is looked up in the page's glue data and pasted as
the same ``<span class="pasted-text">`` that ``{glue:text}`` makes. Anything other than
``g.NAME`` is an error (a warning, and ``-W`` fails the build), as is a name never glued: the
page cannot show a number that the notebook did not compute.
"""

from __future__ import annotations

import re

from docutils import nodes
from myst_nb.core.variables import RetrievalError
from myst_nb.ext.glue.utils import retrieve_glue_data
from myst_nb.ext.utils import RoleBase
from sphinx.application import Sphinx

_EXPR = re.compile(r"g\.([A-Za-z_][A-Za-z0-9_]*)\Z")


class EvalGlued(RoleBase):
    """``{eval}`g.NAME```: the text/plain glued under NAME in this notebook."""

    def run(self):
        match = _EXPR.match(self.text.strip())
        if not match:
            return self._problem(f"{{eval}}`{self.text}`: this book's pages can show only "
                                 "g.NAME (a number the chapter set with g.NAME = ...)")
        try:
            data = retrieve_glue_data(self.document, match.group(1)).data
        except RetrievalError as exc:
            return self._problem(f"{{eval}}`{self.text}`: {exc} (is g.{match.group(1)} set "
                                 "in a code cell of this chapter?)")
        text = data.get("text/plain")
        if text is None:
            return self._problem(f"{{eval}}`{self.text}`: the glued value has no text/plain")
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        return [node], []

    def _problem(self, message):
        return [], [self.document.reporter.warning(message, line=self.line)]


def register(app: Sphinx, config) -> None:
    """Replace myst-nb's ``eval`` role (registered in its own setup) with :class:`EvalGlued`."""
    app.add_role("eval", EvalGlued(), override=True)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", register, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
