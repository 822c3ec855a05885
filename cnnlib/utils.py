"""Seeds and device selection shared by every chapter."""
import os
import random

import numpy as np
import torch


def set_seed(seed=0):
    """Seed Python, NumPy and torch so that two runs print the same numbers."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def get_device(prefer=None):
    """The best available device: cuda, then mps, then cpu (or ``prefer`` if given)."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def num_threads():
    """Threads torch uses on this machine (CNNLIB_THREADS overrides)."""
    return int(os.environ.get("CNNLIB_THREADS", torch.get_num_threads()))
