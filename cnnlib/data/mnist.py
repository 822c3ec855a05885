"""MNIST through torchvision's layout (``<root>/MNIST/raw``), as arrays for NumPy and torch.

Readers get the files from torchvision's download on first use. With ``CNNLIB_OFFLINE=1``
(tests, builds) or ``download=False`` nothing is downloaded: the files must already be in
``<root>/MNIST/raw``, otherwise one :class:`DatasetMissingError` says where we looked.
"""
import math

import numpy as np
import torch

from . import DatasetCorruptError, DatasetMissingError, data_root, offline
from ..checks import check_bool, check_int
from ..torch_checks import check_device

__all__ = ["MNIST_FILES", "load_mnist", "mnist_raw_dir", "to_torch"]

SPLITS = ("train", "test")
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
# IDX header: magic 0x0000 08 ND (unsigned bytes, ND dimensions), then ND big-endian int32 sizes.
IDX_LAYOUT = {"images": (0x00000803, (None, 28, 28)), "labels": (0x00000801, (None,))}


def mnist_raw_dir(root=None):
    """The folder torchvision reads MNIST from: ``<root>/MNIST/raw``.

    本書: 章のコードからは直接使いません
    """
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


def _download(split, root, download):
    """Make sure the raw files of ``split`` are on disk: torchvision downloads the missing ones
    when allowed, else one clear error."""
    from torchvision.datasets import MNIST

    missing = _missing(split, root)
    if not missing:
        return
    if not download:
        reason = ("Downloads are off (CNNLIB_OFFLINE=1). " if offline()
                  else "Downloads are off (download=False). ")
        raise _missing_error(split, root, missing, reason)
    try:
        MNIST(str(data_root(root)), train=split == "train", download=True)
    except (RuntimeError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _missing_error(split, root, missing, f"The download failed ({first}). ") from None


def _read_idx(path, kind):
    """The uint8 array in the uncompressed IDX file ``path`` ("images" or "labels"), after
    checking its magic number, its sizes and its length against the header."""
    magic, shape = IDX_LAYOUT[kind]
    data = path.read_bytes()
    fix = (f"Delete {path.name} and run again with downloads allowed, or copy an intact file "
           f"into {path.parent}.")
    header, found = 4 + 4 * len(shape), int.from_bytes(data[:4], "big")
    if len(data) >= 4 and found != magic:
        raise DatasetCorruptError(f"{path} is not an MNIST {kind} file: its IDX magic number is "
                                  f"{found:#010x}, expected {magic:#010x}. {fix}")
    if len(data) < header:
        raise DatasetCorruptError(f"{path} is truncated: {len(data)} bytes, shorter than the "
                                  f"{header}-byte IDX header of MNIST {kind}. {fix}")
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(len(shape)))
    if any(s is not None and d != s for d, s in zip(dims, shape)):
        raise DatasetCorruptError(
            f"{path} is not an MNIST {kind} file: its IDX header gives the sizes {dims}, "
            f"expected (N, 28, 28). {fix}")
    size = header + math.prod(dims)
    if len(data) != size:
        raise DatasetCorruptError(
            f"{path} is corrupt: its header announces {dims[0]:,} {kind} ({size:,} bytes) but "
            f"the file has {len(data):,} bytes ({'truncated' if len(data) < size else 'extra data'}"
            f"). {fix}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _read_split(split, root):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of ``split``, checked against each other."""
    raw = mnist_raw_dir(root)
    images = _read_idx(raw / MNIST_FILES[split][0], "images")
    labels = _read_idx(raw / MNIST_FILES[split][1], "labels")
    if len(images) != len(labels):
        raise DatasetCorruptError(
            f"MNIST ({split}) in {raw} does not match: {MNIST_FILES[split][0]} holds "
            f"{len(images):,} images but {MNIST_FILES[split][1]} holds {len(labels):,} labels "
            f"(files of different splits?). Copy the matching pair of files again.")
    if len(labels) and labels.max() > 9:
        raise DatasetCorruptError(f"{raw / MNIST_FILES[split][1]} holds label {labels.max()}; "
                                  f"MNIST labels are 0..9. Copy the file again.")
    return images, labels


def load_mnist(split="train", root=None, download=None, limit=None):
    """MNIST images float32 (N, 1, 28, 28) in [0, 1] and labels int64 (N,), as NumPy arrays.

    ``root`` defaults to :func:`cnnlib.data.data_root`; ``download=None`` means "download
    unless CNNLIB_OFFLINE=1"; ``limit`` keeps the first ``limit`` images (file order).

    本書: 第2章、第3章、第4章、第5章、第6章
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    if limit is not None:
        check_int(limit, "limit", 1, kind="a positive int or None")
    if download is None:
        download = not offline()
    elif check_bool(download, "download") and offline():
        raise ValueError("download=True contradicts CNNLIB_OFFLINE=1; unset CNNLIB_OFFLINE to "
                         "allow downloads, or pass download=None/False")
    _download(split, root, download)
    images, labels = (a[:limit] for a in _read_split(split, root))
    X = images.astype(np.float32)[:, None] / np.float32(255)
    return X, labels.astype(np.int64)


def to_torch(X, y, device=None):
    """The arrays of :func:`load_mnist` as torch tensors (shared memory on the CPU).

    本書: 第3章、第4章、第5章、第6章
    """
    if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)):
        raise TypeError(f"X and y must be NumPy arrays (as load_mnist returns); got "
                        f"{type(X).__name__} and {type(y).__name__}")
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X and y must hold one label per image; got shapes {X.shape} and "
                         f"{y.shape}")
    if y.dtype.kind not in "iu" or X.dtype.kind != "f":
        raise TypeError(f"X must hold floats and y integer labels; got {X.dtype} and {y.dtype}")
    device = None if device is None else check_device(device)
    X, y = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(y))
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y
