"""The numbers the prose shows, from one source for the HTML book and the running notebook.

A chapter keeps every number its Markdown shows on one object, ``g = Glued()``::

    g.l5_y00 = int(Y5[0, 0])                       # stored as the text the page shows
    g.vgg_ratio = format(ratio, ".2f")             # formatting happens here, not in the prose
    g[f"acc_k{k}"] = format(acc, ".1%")            # names made in a loop

and its Markdown says ``{eval}`g.l5_y00```. Each value becomes :class:`Text`, a ``str`` whose
``repr`` is itself, so it is shown without quotes by both readers of ``{eval}``:

- **JupyterLab** (``jupyterlab-myst``) evaluates ``g.l5_y00`` in the kernel when the Markdown cell
  runs (Run All), and shows the result's ``text/plain``;
- **the HTML book**: each assignment is also glued with myst-nb (``glue(name, text, display=False)``),
  and the book's Sphinx extension ``_ext/eval_glue.py`` resolves ``{eval}`g.NAME``` to that glued
  text. myst-nb's own ``{eval}`` needs inline execution, which this book does not use.

Where neither renders MyST (Colab), ``g`` on its own line shows every number by name.
Used in every chapter (1-8).
"""
import keyword
import re

__all__ = ["Text", "Glued"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Text(str):
    """A ``str`` shown as itself (no quotes) by ``repr``, IPython and ``{eval}``.

    本書: 章のコードからは直接使いません
    """

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


class Glued:
    """The numbers a chapter's prose shows: ``g.name = value`` keeps ``Text(str(value))``.

    ``value`` must already be what the page shows (format it with ``format(x, ".2f")`` first);
    ``bool`` is refused because a sentence never shows ``True``. Names must be Python identifiers
    so that ``{eval}`g.name``` can read them. Setting a name again replaces it (a reader reruns a
    cell).

    本書: 第1章、第2章、第3章、第4章、第5章、第6章、第7章、第8章
    """

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __setattr__(self, name, value):
        self[name] = value

    def __setitem__(self, name, value):
        if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
            raise ValueError(f"name must be a Python identifier (so that {{eval}}`g.name` can "
                             f"read it), got {name!r}")
        if isinstance(value, bool) or value is None:
            raise TypeError(f"g.{name}: a number or text the page shows is allowed, got {value!r}")
        text = Text(value)
        self._values[name] = text
        _glue(name, text)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "(none yet)"
            raise AttributeError(f"g.{name} has not been set (run the cells above first); "
                                 f"set so far: {known}") from None

    __getitem__ = __getattr__

    def __dir__(self):
        return sorted(self._values)

    def __repr__(self):
        return "\n".join(f"g.{k} = {v}" for k, v in self._values.items()) or "Glued() (empty)"


def _glue(name, text):
    """Glue ``text`` for the HTML build (myst-nb); a kernel without myst-nb only keeps it."""
    try:
        from myst_nb import glue
    except ImportError:   # e.g. Colab: there is no book build to glue for
        return
    glue(name, text, display=False)
