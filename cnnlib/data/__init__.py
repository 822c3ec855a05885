"""Datasets: where they live, and one clear error when they are missing.

Readers get MNIST and CIFAR-10 through torchvision's download. Builds and tests here
point ``CNNLIB_DATA`` at the offline copies and set ``CNNLIB_OFFLINE=1``, which forbids
any download.
"""
import os
from pathlib import Path


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
