"""Make ``nb_merge_streams`` deterministic: join a cell's stream pieces exactly before myst-nb does.

The kernel sends printed text in pieces, cut wherever its IO thread happened to flush. myst-nb's
``coalesce_streams`` (used for ``nb_merge_streams: true``) strips each piece and adds a newline
between pieces, so ``print("a, ", end=""); print("b")`` shows as one line in one build and as two
lines in the next. Joining the pieces exactly first (as the notebook front ends do) leaves
myst-nb only the final strip, whatever the cut points. The outputs are copied, so the executed
notebook saved in ``_build/jupyter_execute`` keeps the kernel's raw pieces.
"""

from __future__ import annotations

import copy

from sphinx.application import Sphinx


def merge_streams_exactly(outputs: list) -> list:
    """Copy of outputs with every stream of one name joined, in order, into its first piece."""
    merged, first = [], {}
    for out in outputs:
        if out.get("output_type") == "stream":
            name = out["name"]
            if name in first:
                first[name]["text"] += out["text"]
                continue
            out = copy.deepcopy(out)
            first[name] = out
        merged.append(out)
    return merged


def install(app: Sphinx) -> None:
    """Wrap the coalesce function myst-nb's renderer calls."""
    from myst_nb.core import render

    original = render.coalesce_streams
    if getattr(original, "_exact_first", False):
        return

    def coalesce_exactly(outputs):
        return original(merge_streams_exactly(outputs))

    coalesce_exactly._exact_first = True
    render.coalesce_streams = coalesce_exactly


def setup(app: Sphinx) -> dict:
    """Register the wrapper once the builder (and myst-nb) is ready."""
    app.connect("builder-inited", install)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
