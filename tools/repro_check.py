"""Compare the text outputs of executed notebooks from two runs; exit 1 if they differ.

Usage:
  python tools/repro_check.py RUN_A RUN_B
      RUN_A, RUN_B: two folders of executed notebooks (e.g. copies of _build/jupyter_execute
      from two clean builds) or two .ipynb files. Notebooks are paired by relative path.
  python tools/repro_check.py --execute chapters/01_convolution.ipynb [--against DIR]
      Execute the notebook again (nbclient, in its own folder, as the book build does) and
      compare with its executed copy in DIR (default _build/jupyter_execute).

What is compared, cell by cell: every code cell's text output as the page shows it, in order -
stdout/stderr streams, the text/plain (and text/markdown, text/latex) of results and displays,
including myst-nb glue values (the numbers the prose shows), and errors (name and message).

Streams: the kernel splits a cell's printed text into stream outputs at random points (whenever
its IO thread flushes), so the streams of one name are joined exactly and then merged the way the
page shows them (_ext/stream_merge.py + myst-nb's nb_merge_streams); the notebooks saved in
_build/jupyter_execute keep the raw pieces.

What is skipped, by rule:
  - any line containing the marker "⏱": the book prints wall-clock times and speed ratios only
    on such lines (GUIDE convention), so they are the one thing allowed to vary;
  - progress-bar text: lines that look like tqdm bars ("37%|███▋ | 37/100 [00:01<00:02, ...]"),
    and everything before the last carriage return of a line (a bar redrawing itself);
  - widget outputs: an output carrying application/vnd.jupyter.widget-view+json is skipped
    whole (its model ids are random per run; the tqdm.auto bars in notebooks are widgets too);
  - memory addresses "0x7f3a..." in reprs are replaced by "0x…".
Images are not compared (they are rendered from the same numbers; a changed number already
shows in text). Everything else must be identical.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import re
import sys
from pathlib import Path

import nbformat
from myst_nb.core.utils import coalesce_streams

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from stream_merge import merge_streams_exactly  # noqa: E402

MARKER = "⏱"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TEXT_MIMES = ("text/plain", "text/markdown", "text/latex")
TQDM_RE = re.compile(r"\d+%\|.*\|\s*\d+/\d+|\[\d\d:\d\d<|\d+(\.\d+)?(it/s|s/it)\]")
ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{6,}")


def keep_line(line: str) -> bool:
    """Whether a line takes part in the comparison (see the module docstring)."""
    return MARKER not in line and not TQDM_RE.search(line)


def clean_text(text: str) -> list[str]:
    """Split output text into compared lines, applying the skip rules."""
    lines = []
    for line in text.split("\n"):
        line = ADDRESS_RE.sub("0x…", line.rsplit("\r", 1)[-1].rstrip())
        if keep_line(line):
            lines.append(line)
    return lines


def output_lines(output: dict) -> list[str]:
    """Compared lines of one output (stream, result/display, or error)."""
    kind = output["output_type"]
    if kind == "stream":
        return [f"[{output['name']}] {ln}" for ln in clean_text(output["text"])]
    if kind == "error":
        return [f"[error] {output['ename']}: {ln}" for ln in clean_text(output["evalue"])]
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        return []
    lines = []
    for mime in TEXT_MIMES:
        if mime in data:
            text = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
            lines += [f"[{mime}] {ln}" for ln in clean_text(text)]
    return lines


def page_outputs(outputs: list) -> list:
    """A cell's outputs with its streams merged, as the page shows them."""
    return coalesce_streams(merge_streams_exactly(copy.deepcopy(list(outputs))))


def cell_texts(nb) -> list[list[str]]:
    """Compared lines of every code cell, in order."""
    return [[ln for out in page_outputs(cell.get("outputs", [])) for ln in output_lines(out)]
            for cell in nb.cells if cell.cell_type == "code"]


def compare(nb_a, nb_b, name: str) -> list[str]:
    """Human-readable differences between two executed notebooks ([] if none)."""
    a, b = cell_texts(nb_a), cell_texts(nb_b)
    if len(a) != len(b):
        return [f"{name}: {len(a)} vs {len(b)} code cells"]
    problems = []
    for i, (la, lb) in enumerate(zip(a, b)):
        if la != lb:
            diff = list(difflib.unified_diff(la, lb, "run A", "run B", lineterm="", n=1))
            problems.append(f"{name}: code cell {i} differs:\n  " + "\n  ".join(diff[:20]))
    return problems


def pair_notebooks(a: Path, b: Path) -> list[tuple[Path, Path, str]]:
    """Pair notebooks of two runs by relative path (files or folders)."""
    if a.is_file() and b.is_file():
        return [(a, b, a.name)]
    rel_a = {p.relative_to(a) for p in a.rglob("*.ipynb")}
    rel_b = {p.relative_to(b) for p in b.rglob("*.ipynb")}
    if rel_a != rel_b:
        raise SystemExit(f"notebooks differ between runs: only A {sorted(map(str, rel_a - rel_b))}"
                         f", only B {sorted(map(str, rel_b - rel_a))}")
    return [(a / r, b / r, str(r)) for r in sorted(rel_a)]


def execute(path: Path, timeout: int = 1800):
    """Execute a notebook in its own folder, as myst-nb does in the book build."""
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def check_execute(notebook: Path, against: Path, root: Path) -> list[str]:
    """Re-execute one source notebook and compare with its executed copy from the build."""
    rel = notebook.resolve().relative_to(root.resolve())
    built = against / rel
    if not built.is_file():
        raise SystemExit(f"{built} not found: build the book first (make book)")
    return compare(nbformat.read(built, as_version=4), execute(notebook), str(rel))


def main(argv=None) -> int:
    """Command line entry point; prints the result and returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*", type=Path, help="RUN_A RUN_B (folders or notebooks)")
    ap.add_argument("--execute", type=Path, help="source notebook to execute again")
    ap.add_argument("--against", type=Path, default=Path("_build/jupyter_execute"))
    args = ap.parse_args(argv)
    if args.execute:
        problems = check_execute(args.execute, args.against, Path(os.getcwd()))
        checked = 1
    elif len(args.runs) == 2:
        pairs = pair_notebooks(*args.runs)
        problems = [p for a, b, name in pairs
                    for p in compare(nbformat.read(a, 4), nbformat.read(b, 4), name)]
        checked = len(pairs)
    else:
        ap.error("give RUN_A RUN_B, or --execute NOTEBOOK")
    print("\n".join(problems) if problems else
          f"repro_check: {checked} notebook(s), identical text outputs (⏱ lines, progress "
          "bars and widget state skipped)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
