"""The committed chapter notebooks themselves: valid nbformat 4.5, every cell with its own id,
and no outputs (the build executes them)."""
import ast
import io
import json
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")     # nbformat 4.5's pattern for cell ids


def test_there_are_chapters():
    assert len(CHAPTERS) >= 8


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_has_a_unique_valid_id(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5), "cell ids need nbformat 4.5"
    missing = [i for i, c in enumerate(nb["cells"]) if "id" not in c]
    assert not missing, f"{path.name}: cells without an id (by position): {missing}"
    ids = [c["id"] for c in nb["cells"]]
    assert all(CELL_ID.match(i) for i in ids), [i for i in ids if not CELL_ID.match(i)]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_validates_and_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [c.id for c in code if c.outputs or c.execution_count], \
        f"{path.name}: commit notebooks without outputs or execution counts"


EVAL = re.compile(r"\{eval\}`([^`]*)`")
SET_NAME = re.compile(r"^\s*g\.([A-Za-z_]\w*)\s*=", re.M)
SET_KEY = re.compile(r"^\s*g\[f\"([^\"]+)\"\]\s*=", re.M)


def eval_order_problems(cells):
    """Each {eval} of the prose must read g.NAME set by a code cell above it (JupyterLab evaluates
    a Markdown cell when Run All reaches it; the HTML book reads the glued value anywhere)."""
    names, patterns, problems = set(), [], []
    for i, cell in enumerate(cells):
        src = "".join(cell["source"])
        if cell["cell_type"] == "code":
            names |= set(SET_NAME.findall(src))
            patterns += [re.compile(".+?".join(map(re.escape, re.split(r"\{[^}]*\}", k))) + r"\Z")
                         for k in SET_KEY.findall(src)]
            continue
        for expr in EVAL.findall(src):
            name = expr[2:] if expr.startswith("g.") else None
            if name is None or not re.fullmatch(r"[A-Za-z_]\w*", name):
                problems.append(f"cell {i}: {{eval}}`{expr}` is not g.NAME")
            elif name not in names and not any(p.match(name) for p in patterns):
                problems.append(f"cell {i}: g.{name} is not set in a code cell above")
    return problems


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_prose_numbers_come_from_g_set_above(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "".join("".join(c["source"]) for c in cells)
    assert "{glue" not in text and "myst_nb import glue" not in text, \
        f"{path.name}: the prose reads numbers with {{eval}}`g.NAME` (cnnlib.prose), not glue"
    assert not eval_order_problems(cells), eval_order_problems(cells)


def test_the_order_check_can_fail():
    md = lambda s: {"cell_type": "markdown", "source": [s]}  # noqa: E731
    code = lambda s: {"cell_type": "code", "source": [s]}  # noqa: E731
    assert eval_order_problems([code("g.a = 1\nfor k in (1, 2):\n    g[f\"b_{k}\"] = k"),
                                md("{eval}`g.a` {eval}`g.b_2`")]) == []
    assert len(eval_order_problems([md("{eval}`g.a`"), code("g.a = 1")])) == 1
    assert len(eval_order_problems([code("a = 1"), md("{eval}`a + 1`")])) == 1



def _functions(text, names):
    """{name: (ast.dump of the function without its docstring, its comments)} for names in text."""
    lines, out = text.splitlines(), {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                body = body[1:]
            code = ast.dump(ast.Module(body=[*node.decorator_list, *body], type_ignores=[]))
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            src = "\n".join(lines[start - 1:node.end_lineno]) + "\n"
            comments = [t.string for t in tokenize.generate_tokens(io.StringIO(src).readline)
                        if t.type == tokenize.COMMENT]
            out[node.name] = (code, comments)
    return out


def test_chapter_3_writes_out_the_books_training_loop_exactly():
    """Chapter 3 shows train and accuracy; chapters 4-6 import them from cnnlib.nn.loop: the same
    code and comments (docstrings aside: their 本書 line belongs to the library)."""
    import cnnlib.nn.loop as loop
    path = next(p for p in CHAPTERS if p.name.startswith("03_"))
    cells = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code" and re.search(r"^def train\(", "".join(c["source"]), re.M)]
    assert len(cells) == 1, "chapter 3 must define train (and accuracy) in exactly one code cell"
    names = ("train", "accuracy")
    page = _functions(cells[0], names)
    assert set(page) == set(names), f"the cell defines {sorted(page)}, not both of {names}"
    assert page == _functions(Path(loop.__file__).read_text(encoding="utf-8"), names), \
        "chapter 3's train/accuracy differ from cnnlib.nn.loop's (code or comments)"


def test_the_loop_comparison_can_fail():
    f = lambda s: _functions(s, ("train",))  # noqa: E731
    base = f("def train(x):\n    \'\'\'doc\'\'\'\n    return x + 1  # add\n")
    assert base == f("def train(x):\n    \'\'\'other\'\'\'\n    return x + 1  # add\n")
    assert base != f("def train(x):\n    return x - 1  # add\n")
    assert base != f("def train(x):\n    return x + 1  # plus\n")
    assert base != f("@torch.no_grad()\ndef train(x):\n    return x + 1  # add\n")
