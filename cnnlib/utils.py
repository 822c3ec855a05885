"""Seeds and device selection shared by every chapter."""
import os
import random

import numpy as np
import torch

from .checks import check_int
from .torch_checks import check_device


def set_seed(seed=0):
    """Seed Python, NumPy and torch so that two runs print the same numbers.

    本書: 第1章、第2章、第3章、第4章、第5章、第6章、第7章、第8章
    """
    seed = check_int(seed, "seed", 0, 2**32 - 1)          # NumPy's legacy seed range
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def get_device(prefer=None):
    """The best available device: cuda, then mps, then cpu (or ``prefer`` if given).

    本書: 第3章、第4章、第7章、第8章
    """
    if prefer is not None:
        return check_device(prefer, "prefer")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def num_threads():
    """Threads torch uses on this machine (CNNLIB_THREADS overrides).

    本書: 章のコードからは直接使いません
    """
    return env_threads() or torch.get_num_threads()


def env_threads():
    """The thread count in ``$CNNLIB_THREADS`` (a positive int), or None when it is unset or empty.

    本書: 章のコードからは直接使いません
    """
    value = os.environ.get("CNNLIB_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"the environment variable CNNLIB_THREADS must be a positive int (a "
                         f"thread count) or unset; got {value!r}")
    return int(value)
