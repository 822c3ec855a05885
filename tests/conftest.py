"""Shared fixtures, and the suite's summary lines."""
import sys

import pytest
import torch


@pytest.fixture
def one_thread():
    """Tiny tensors: one torch thread avoids waiting on a second, busy core."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def pytest_terminal_summary(terminalreporter):
    """How many bad-input cases (tests/badinput.py) ran, by module; how long each chapter's Run All
    took in JupyterLab (tests/test_jupyterlab.py)."""
    counts, failed = {}, 0
    for key in ("passed", "failed"):
        for rep in terminalreporter.stats.get(key, []):
            if getattr(rep, "when", "call") != "call":
                continue
            module = dict(rep.user_properties).get("bad_input_module")
            if module:
                counts[module] = counts.get(module, 0) + 1
                failed += key == "failed"
    if counts:
        by_module = ", ".join(f"{m.removeprefix('cnnlib.')} {n}" for m, n in sorted(counts.items()))
        terminalreporter.write_line(f"bad-input cases tried: {sum(counts.values())} "
                                    f"({failed} failed) by module: {by_module}")
    lab = sys.modules.get("test_jupyterlab")
    if lab is not None and lab.TIMES:
        times = ", ".join(f"{k} {v:.0f} s" for k, v in lab.TIMES.items())
        terminalreporter.write_line(f"JupyterLab Run All: {times}; {sum(lab.TIMES.values()):.0f} s in all")
