"""Reproducibility: the skip rules of tools/repro_check.py, and one chapter executed twice.

The book build executes every chapter once (CI has one build). The integration test executes
the cheapest chapter again (runtimes from _build/execution.json, written by _ext/build_mode.py)
and compares its text outputs with the build's executed copy in _build/jupyter_execute.
Comparing two whole builds is done by hand: see tools/repro_check.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(os.environ.get("BOOK_DIR", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import repro_check  # noqa: E402

BUDGET_S = float(os.environ.get("REPRO_BUDGET_S", "120"))


def nb_with(*outputs):
    """A one-cell notebook with the given outputs."""
    return new_notebook(cells=[new_code_cell("x", outputs=list(outputs))])


def stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def test_identical_outputs_compare_equal():
    a = nb_with(stream("loss 0.123\n"), new_output("execute_result", data={"text/plain": "3"}))
    assert repro_check.compare(a, a, "nb") == []


def test_changed_number_is_reported():
    problems = repro_check.compare(nb_with(stream("acc 0.981\n")), nb_with(stream("acc 0.982\n")), "nb")
    assert len(problems) == 1 and "code cell 0" in problems[0] and "0.982" in problems[0]


def test_changed_glue_value_is_reported():
    glue = lambda v: new_output("display_data", data={"text/plain": v},  # noqa: E731
                                metadata={"scrapbook": {"name": "acc"}})
    assert repro_check.compare(nb_with(glue("0.98")), nb_with(glue("0.97")), "nb")


def test_timing_lines_with_marker_are_skipped():
    a = nb_with(stream("epoch 1 loss 0.5\n⏱ 1.23 s\n"))
    b = nb_with(stream("epoch 1 loss 0.5\n⏱ 9.87 s\n"))
    assert repro_check.compare(a, b, "nb") == []


def test_timing_without_marker_is_a_difference():
    assert repro_check.compare(nb_with(stream("took 1.2 s\n")), nb_with(stream("took 1.3 s\n")), "nb")


def test_progress_bars_and_widgets_are_skipped():
    bar = " 40%|████      | 4/10 [00:01<00:02, 3.1it/s]\r100%|██████████| 10/10 [00:03<00:00, 3.2it/s]\n"
    w = lambda mid: new_output("display_data", data={  # noqa: E731
        "application/vnd.jupyter.widget-view+json": {"model_id": mid}, "text/plain": f"HBox({mid})"})
    a = nb_with(stream(bar, "stderr"), w("aaaa"), stream("done\n"))
    b = nb_with(stream(bar.replace("3.2it", "2.9it"), "stderr"), w("bbbb"), stream("done\n"))
    assert repro_check.compare(a, b, "nb") == []


def test_memory_addresses_are_normalised():
    a = nb_with(new_output("execute_result", data={"text/plain": "<obj at 0x7f3a12345678>"}))
    b = nb_with(new_output("execute_result", data={"text/plain": "<obj at 0x7f3b87654321>"}))
    assert repro_check.compare(a, b, "nb") == []


def test_randomly_split_streams_compare_equal():
    whole = nb_with(stream("a 1\nb 2\nc 3\n"))
    split = nb_with(stream("a 1\n"), stream("b 2\nc 3\n"))
    assert repro_check.compare(whole, split, "nb") == []


def test_stream_cut_mid_line_compares_equal():
    """print(..., end="") then print(): the kernel may flush between them, or not."""
    whole = nb_with(stream("GAP (1, 10)、 エラー: x\n"))
    cut = nb_with(stream("GAP (1, 10)、 "), stream("エラー: x\n"))
    assert repro_check.compare(whole, cut, "nb") == []


def test_cell_count_mismatch_is_reported():
    two = new_notebook(cells=[new_code_cell("x"), new_code_cell("y")])
    assert repro_check.compare(nb_with(), two, "nb")


def cheapest_chapter():
    """(docname, runtime) of the fastest executed notebook of the last build."""
    report = ROOT / "_build" / "execution.json"
    if not report.is_file() or not (ROOT / "_build" / "jupyter_execute").is_dir():
        pytest.fail("no executed notebooks in _build: run `make book` first (make test does it)")
    runs = {d: r["runtime"] for d, r in json.loads(report.read_text()).items()
            if r.get("runtime") is not None and (ROOT / f"{d}.ipynb").is_file()}
    if not runs:
        pytest.fail(f"{report} lists no executed notebook")
    return min(runs.items(), key=lambda kv: kv[1])


def test_cheapest_chapter_reexecutes_identically(monkeypatch):
    """Execute one chapter again and compare its text outputs with the build's."""
    docname, runtime = cheapest_chapter()
    if runtime > BUDGET_S:
        pytest.skip(f"cheapest chapter {docname} took {runtime:.0f} s > {BUDGET_S:.0f} s budget")
    monkeypatch.chdir(ROOT)
    problems = repro_check.check_execute(Path(f"{docname}.ipynb"),
                                         ROOT / "_build" / "jupyter_execute", ROOT)
    assert not problems, "\n".join(problems)
