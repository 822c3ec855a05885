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
    """A dataset is not on disk and may not (or cannot) be downloaded.

    本書: 章のコードからは直接使いません
    """


class DatasetCorruptError(ValueError):
    """A dataset is on disk but broken: truncated or unreadable files, wrong headers, missing or
    extra classes, counts that do not match. The message names the file and what to do.

    本書: 章のコードからは直接使いません
    """


def data_root(root=None):
    """The dataset folder: ``root``, else ``$CNNLIB_DATA``, else ``~/.cache/cnnlib/data``.

    本書: 章のコードからは直接使いません
    """
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path) or None; got {root!r}")
    name = "root" if root else "CNNLIB_DATA"
    root = root or os.environ.get("CNNLIB_DATA") or Path.home() / ".cache" / "cnnlib" / "data"
    path = Path(root).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} must be the folder that holds the datasets; {path} is a file")
    return path


def offline():
    """True when downloads are forbidden (``CNNLIB_OFFLINE=1``, as in tests and CI builds).

    本書: 章のコードからは直接使いません
    """
    return os.environ.get("CNNLIB_OFFLINE", "0").lower() not in ("", "0", "false", "no")


def cache_dir():
    """Folder for derived files (tensor caches, checkpoints): ``$CNNLIB_CACHE`` or ~/.cache/cnnlib.

    本書: 章のコードからは直接使いません
    """
    path = Path(os.environ.get("CNNLIB_CACHE") or Path.home() / ".cache" / "cnnlib").expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"the environment variable CNNLIB_CACHE must name a folder for cnnlib's "
                         f"caches; {path} is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the cache folder {path} (set CNNLIB_CACHE to a writable "
                         f"folder): {err.strerror or err}") from None
    return path


def balanced_indices(labels, n, seed=0):
    """Indices of a seeded, class-balanced draw of ``n`` items from ``labels``.

    The items are shuffled with ``seed`` and then taken one class after the other (the first item
    of every class, then the second of every class, ...), so any first ``k * K`` indices hold
    ``k`` items of each of the K classes (while every class has that many). Used for every sample
    the book shows a reader, e.g. one digit of each class.

    本書: 第2章、第3章
    """
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array; got shape {y.shape}")
    if y.dtype.kind not in "biuUO":
        raise TypeError(f"labels must hold class labels (ints or names); got dtype {y.dtype}")
    n, seed = check_int(n, "n", 1, len(y)), check_int(seed, "seed", 0)
    order = np.random.default_rng(seed).permutation(len(y))
    rank = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        members = order[y[order] == c]
        rank[members] = np.arange(len(members))
    return order[np.lexsort((y[order], rank[order]))][:n]
