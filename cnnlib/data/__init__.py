"""Datasets: where they live, and one clear error when they are missing.

Readers get MNIST and CIFAR-10 through torchvision's download. Builds and tests here
point ``CNNLIB_DATA`` at the offline copies and set ``CNNLIB_OFFLINE=1``, which forbids
any download.
"""
import os
from pathlib import Path

import numpy as np

from ..checks import check_int


class DatasetMissingError(FileNotFoundError):
    """A dataset is not on disk and may not (or cannot) be downloaded."""


def data_root(root=None):
    """The dataset folder: ``root``, else ``$CNNLIB_DATA``, else ``~/.cache/cnnlib/data``."""
    root = root or os.environ.get("CNNLIB_DATA") or Path.home() / ".cache" / "cnnlib" / "data"
    return Path(root).expanduser()


def offline():
    """True when downloads are forbidden (``CNNLIB_OFFLINE=1``, as in tests and CI builds)."""
    return os.environ.get("CNNLIB_OFFLINE", "0").lower() not in ("", "0", "false", "no")


def cache_dir():
    """Folder for derived files (tensor caches, checkpoints): ``$CNNLIB_CACHE`` or ~/.cache/cnnlib."""
    path = Path(os.environ.get("CNNLIB_CACHE") or Path.home() / ".cache" / "cnnlib").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def balanced_indices(labels, n, seed=0):
    """Indices of a seeded, class-balanced draw of ``n`` items from ``labels``.

    The items are shuffled with ``seed`` and then taken one class after the other (the first item
    of every class, then the second of every class, ...), so any first ``k * K`` indices hold
    ``k`` items of each of the K classes (while every class has that many). Used for every sample
    the book shows a reader, e.g. one digit of each class.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array; got shape {y.shape}")
    n = check_int(n, "n", 1, len(y))
    order = np.random.default_rng(seed).permutation(len(y))
    rank = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        members = order[y[order] == c]
        rank[members] = np.arange(len(members))
    return order[np.lexsort((y[order], rank[order]))][:n]
