"""MNIST through torchvision's layout (``<root>/MNIST/raw``), as arrays for NumPy and torch.

Readers get the files from torchvision's download on first use. With ``CNNLIB_OFFLINE=1``
(tests, builds) or ``download=False`` nothing is downloaded: the files must already be in
``<root>/MNIST/raw``, otherwise one :class:`DatasetMissingError` says where we looked.
"""
import numpy as np
import torch

from . import DatasetMissingError, data_root, offline

__all__ = ["MNIST_FILES", "load_mnist", "mnist_raw_dir", "to_torch"]

SPLITS = ("train", "test")
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def mnist_raw_dir(root=None):
    """The folder torchvision reads MNIST from: ``<root>/MNIST/raw``."""
    return data_root(root) / "MNIST" / "raw"


def _missing(split, root):
    """Names of the raw files of ``split`` that are not on disk."""
    raw = mnist_raw_dir(root)
    return [name for name in MNIST_FILES[split] if not (raw / name).is_file()]


def _missing_error(split, root, missing, cause=""):
    raw = mnist_raw_dir(root)
    return DatasetMissingError(
        f"MNIST ({split}) is not on disk: looked in {raw} for {', '.join(missing)}. "
        f"{cause}To get it, run once with network access and downloads allowed (unset "
        f"CNNLIB_OFFLINE, e.g. load_mnist(download=True)), or copy the four uncompressed IDX "
        f"files (train-/t10k-images-idx3-ubyte, train-/t10k-labels-idx1-ubyte) into {raw}, "
        f"or point CNNLIB_DATA (or root=) at a folder that holds MNIST/raw.")


def _dataset(split, root, download):
    """torchvision's MNIST for ``split``; downloads only when allowed, else one clear error."""
    from torchvision.datasets import MNIST

    missing = _missing(split, root)
    if missing and not download:
        reason = ("Downloads are off (CNNLIB_OFFLINE=1). " if offline()
                  else "Downloads are off (download=False). ")
        raise _missing_error(split, root, missing, reason)
    try:
        return MNIST(str(data_root(root)), train=split == "train", download=bool(missing))
    except (RuntimeError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _missing_error(split, root, missing, f"The download failed ({first}). ") from None


def load_mnist(split="train", root=None, download=None, limit=None):
    """MNIST images float32 (N, 1, 28, 28) in [0, 1] and labels int64 (N,), as NumPy arrays.

    ``root`` defaults to :func:`cnnlib.data.data_root`; ``download=None`` means "download
    unless CNNLIB_OFFLINE=1"; ``limit`` keeps the first ``limit`` images (file order).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive int or None; got {limit!r}")
    if download is None:
        download = not offline()
    elif download and offline():
        raise ValueError("download=True contradicts CNNLIB_OFFLINE=1; unset CNNLIB_OFFLINE to "
                         "allow downloads, or pass download=None/False")
    ds = _dataset(split, root, download)
    images, labels = ds.data[:limit], ds.targets[:limit]
    X = images.numpy().astype(np.float32)[:, None] / np.float32(255)
    return X, labels.numpy().astype(np.int64)


def to_torch(X, y, device=None):
    """The arrays of :func:`load_mnist` as torch tensors (shared memory on the CPU)."""
    X, y = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(y))
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y
