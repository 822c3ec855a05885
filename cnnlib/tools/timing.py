"""Wall-clock timing for the speed comparisons in the chapters (never used in unit tests)."""
import contextlib
import time

import torch
from threadpoolctl import threadpool_limits

from ..checks import check_callable, check_int


def best_time(fn, repeat=5):
    """Shortest wall-clock time in seconds of ``repeat`` calls of ``fn()``."""
    check_callable(fn, "fn", "a function of no arguments")
    repeat = check_int(repeat, "repeat", 1)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


@contextlib.contextmanager
def single_thread():
    """Run NumPy's BLAS/OpenMP pools and torch on one thread inside the block, then restore.

    On a machine shared with other jobs, multi-threaded BLAS can be 100x slower than one
    thread for small products (threads wait for busy cores), which makes ratios meaningless.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)
