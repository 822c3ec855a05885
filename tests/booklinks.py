"""Where the book uses each public name of cnnlib: the chapters' code cells, scanned (d2l's
backlinks). tests/test_booklinks.py checks that every public docstring's ``本書:`` line says so."""
import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import cnnlib

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
LINE = re.compile(r"^\s*本書: (.+)$", re.M)
NOWHERE = "章のコードからは直接使いません"


def chapter_number(path):
    return int(path.name[:2])


def _resolve(dotted):
    """The object a dotted cnnlib path names (a module or a module's attribute), or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p, None)
        return obj
    return None


def canonical(obj):
    """``module.Name`` of the public function or class ``obj`` (methods count as their class)."""
    if inspect.ismethod(obj) or inspect.isfunction(obj) and "." in obj.__qualname__:
        owner = obj.__qualname__.split(".")[0]
        return f"{obj.__module__}.{owner}"
    if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", "").startswith("cnnlib"):
        return f"{obj.__module__}.{obj.__qualname__}"
    return None


def uses(path):
    """Canonical names of the cnnlib functions and classes a chapter's code cells refer to."""
    found, aliases = set(), {}
    code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "code")
    tree = ast.parse(re.sub(r"^\s*[%!].*$", "", code, flags=re.M))      # IPython magics out
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnlib"):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("cnnlib"):
                    aliases[a.asname or a.name.split(".")[0]] = a.asname and a.name or "cnnlib"
    for node in ast.walk(tree):
        chain = []
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in aliases:
            dotted = ".".join([aliases[node.id], *reversed(chain)])
            while dotted:
                name = canonical(_resolve(dotted))
                if name:
                    found.add(name)
                    break
                dotted = dotted.rpartition(".")[0] if "." in dotted else ""
    return found


def book_uses():
    """{canonical name: set of chapter numbers}."""
    out = {}
    for path in CHAPTERS:
        for name in uses(path):
            out.setdefault(name, set()).add(chapter_number(path))
    return out


def public_definitions():
    """{canonical name: object} for every public module-level function and class of cnnlib."""
    out = {}
    for m in pkgutil.walk_packages(cnnlib.__path__, "cnnlib."):
        mod = importlib.import_module(m.name)
        for n, obj in vars(mod).items():
            if (not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                    and obj.__module__ == m.name):
                out[f"{m.name}.{n}"] = obj
    return out


def book_line(chapters):
    """The ``本書:`` line for a set of chapter numbers."""
    if not chapters:
        return f"本書: {NOWHERE}"
    return "本書: " + "、".join(f"第{c}章" for c in sorted(chapters))
