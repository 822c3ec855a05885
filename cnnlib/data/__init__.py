"""Datasets: where they live, and one clear error when they are missing.

Readers get MNIST and CIFAR-10 through torchvision's download. Builds and tests here
point ``CNNLIB_DATA`` at the offline copies and set ``CNNLIB_OFFLINE=1``, which forbids
any download.
"""
import os
from pathlib import Path


class DatasetMissingError(FileNotFoundError):
    """A dataset is not on disk and may not (or cannot) be downloaded."""


class DatasetCorruptError(ValueError):
    """A dataset is on disk but broken: truncated or unreadable files, wrong headers, missing or
    extra classes, counts that do not match. The message names the file and what to do."""


def data_root(root=None):
    """The dataset folder: ``root``, else ``$CNNLIB_DATA``, else ``~/.cache/cnnlib/data``."""
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path) or None; got {root!r}")
    name = "root" if root else "CNNLIB_DATA"
    root = root or os.environ.get("CNNLIB_DATA") or Path.home() / ".cache" / "cnnlib" / "data"
    path = Path(root).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} must be the folder that holds the datasets; {path} is a file")
    return path


def offline():
    """True when downloads are forbidden (``CNNLIB_OFFLINE=1``, as in tests and CI builds)."""
    return os.environ.get("CNNLIB_OFFLINE", "0").lower() not in ("", "0", "false", "no")


def cache_dir():
    """Folder for derived files (tensor caches, checkpoints): ``$CNNLIB_CACHE`` or ~/.cache/cnnlib."""
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
