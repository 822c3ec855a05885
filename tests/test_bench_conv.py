"""Smoke test of ``python -m cnnlib.tools.bench conv`` on tiny arrays (no timing is asserted)."""
from cnnlib.tools import bench


def test_bench_conv_runs_and_marks_every_timing_line(capsys):
    bench.main(["conv", "--batch", "2", "--channels", "2", "--size", "4",
                         "--repeats", "1", "--threads", "1"])
    lines = capsys.readouterr().out.splitlines()
    timed = [line for line in lines if "ms" in line or "ratio" in line or "load" in line]
    assert len(timed) >= 8
    assert all(line.startswith(bench.MARK) for line in timed), timed
    assert any("conv forward+backward at 1 thread(s)" in line for line in lines)
