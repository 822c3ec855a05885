"""Wall-clock timing for the speed comparisons in the chapters (never used in unit tests).

本書: 第1章 (best_time, single_thread), 第3章 (single_thread), 第7章 (timed, torch_threads),
第8章 (timed, median_time, torch_threads).
"""
import contextlib
import statistics
import time

import torch
from threadpoolctl import threadpool_limits

from ..checks import check_callable, check_int


def best_time(fn, repeat=5):
    """Shortest wall-clock time in seconds of ``repeat`` calls of ``fn()``.

    本書: 第1章
    """
    check_callable(fn, "fn", "a function of no arguments")
    repeat = check_int(repeat, "repeat", 1)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def timed(fn):
    """``(fn(), seconds)``: the result of one call of ``fn()`` and its wall-clock time.

    本書: 第7章、第8章
    """
    check_callable(fn, "fn", "a function of no arguments")
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def median_time(fn, repeat=30, warmup=5):
    """Median wall-clock time in seconds of ``repeat`` calls of ``fn()``, after ``warmup`` calls.

    本書: 第8章
    """
    check_callable(fn, "fn", "a function of no arguments")
    repeat, warmup = check_int(repeat, "repeat", 1), check_int(warmup, "warmup", 0)
    for _ in range(warmup):
        fn()
    return float(statistics.median(timed(fn)[1] for _ in range(repeat)))


@contextlib.contextmanager
def torch_threads(n):
    """Run torch on ``n`` intra-op threads inside the block, then restore the previous count.

    本書: 第7章、第8章
    """
    n = check_int(n, "n", 1)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def single_thread():
    """Run NumPy's BLAS/OpenMP pools and torch on one thread inside the block, then restore.

    On a machine shared with other jobs, multi-threaded BLAS can be 100x slower than one
    thread for small products (threads wait for busy cores), which makes ratios meaningless.

    本書: 第1章、第3章
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)
