"""Printing the library's own source in the chapters (show_source cells)."""
import inspect
import re
import textwrap

__all__ = ["show_source", "source_text"]


def show_source(obj):
    """Display the source code of a cnnlib function or class, highlighted, in a notebook.

    本書: 第1章、第4章、第5章、第6章、第7章
    """
    from IPython.display import Code, display
    if not (inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isclass(obj)
            or inspect.ismodule(obj)):
        raise TypeError(f"obj must be a function, method, class or module written in Python; "
                        f"got {type(obj).__name__}")
    display(Code(inspect.getsource(obj), language="python"))


def source_text(fn):
    """Source of a function, dedented, with the padding before end-of-line comments shortened.

    本書: 第3章
    """
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isclass(fn)):
        raise TypeError(f"fn must be a function, method or class defined in Python; got "
                        f"{type(fn).__name__}")
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    return "\n".join(re.sub(r"(\S)\s{2,}#", r"\1  #", line) for line in lines)


