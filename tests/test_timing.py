"""cnnlib.tools.timing: the single-thread context restores thread counts (no timing asserted)."""
import pytest
import torch
from threadpoolctl import threadpool_info

from cnnlib.tools import timing


def blas_threads():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_single_thread_limits_and_restores():
    before_torch, before_blas = torch.get_num_threads(), blas_threads()
    with timing.single_thread():
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in blas_threads())
    assert torch.get_num_threads() == before_torch and blas_threads() == before_blas


def test_single_thread_restores_after_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with timing.single_thread():
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_best_time_calls_fn_repeat_times_and_validates():
    calls = []
    t = timing.best_time(lambda: calls.append(1), repeat=4)
    assert len(calls) == 4 and t >= 0
    for bad, err in ((0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError)):
        with pytest.raises(err, match="repeat must be"):
            timing.best_time(lambda: None, repeat=bad)
