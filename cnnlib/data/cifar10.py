"""CIFAR-10 in memory: whole splits as uint8 tensors, from torchvision or an ImageFolder copy.

``load_cifar10("train")`` returns a ``ImageSplit`` with ``X`` (uint8, N x 3 x 32 x 32), ``y``
(int64), ``classes`` and ``source`` (a label to print with every result, e.g.
"CIFAR-10 (オフラインJPEG版)"). Where the data come from:

1. ``path=`` an ImageFolder tree ``<path>/<split>/<class>/*.jpg|png`` (the offline JPEG copy);
2. else the real CIFAR-10 in torchvision's layout under ``data_root()`` if present;
3. else the ImageFolder copy ``data_root()/cifar10-jpeg`` if present;
4. else torchvision downloads the real data (unless ``CNNLIB_OFFLINE=1``).

Decoded ImageFolder splits are cached as tensors under ``cache_dir()/cifar10``.

Order: whichever source it reads, a split comes in a **mixed class order**, as torchvision's
official split does. An ImageFolder tree lists its files class by class, so its images are put in
one fixed, seeded shuffle (``FOLDER_ORDER_SEED``); without it ``test.X[:24]`` would be 24 airplanes.
The order is still not a sample: anything shown to a reader is drawn with ``ImageSplit.subset``
(seeded and class-balanced).
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import DatasetMissingError, cache_dir, data_root, offline

CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")
CLASSES_JA = ("飛行機", "自動車", "鳥", "猫", "鹿", "犬", "カエル", "馬", "船", "トラック")
SOURCE_JPEG = "CIFAR-10 (オフラインJPEG版)"
SOURCE_OFFICIAL = "CIFAR-10 (torchvision公式版)"
JPEG_DIRNAME = "cifar10-jpeg"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# The constants most CIFAR-10 code copies; the std is not the per-pixel std of the data.
QUOTED_MEAN = (0.4914, 0.4822, 0.4465)
QUOTED_STD = (0.2023, 0.1994, 0.2010)
FOLDER_ORDER_SEED = 0


@dataclass
class ImageSplit:
    """One split held in memory: uint8 images, int64 labels, class names and the source label."""
    X: torch.Tensor
    y: torch.Tensor
    classes: tuple
    source: str

    def __len__(self):
        return len(self.y)

    def subset(self, n, seed=0, balanced=True):
        """The first ``n`` images of a seeded shuffle (class-balanced when ``balanced``)."""
        if not (isinstance(n, int) and 0 < n <= len(self)):
            raise ValueError(f"n must be an int in 1..{len(self)}, got {n!r}")
        return self._take(self.order(seed, balanced)[:n])

    def split(self, n, seed=0):
        """``(rest, held)``: ``held = subset(n, seed)`` and ``rest`` all the other images (in
        this split's order), e.g. a validation split carved from the training split."""
        if not (isinstance(n, int) and 0 < n < len(self)):
            raise ValueError(f"n must be an int in 1..{len(self) - 1}, got {n!r}")
        idx = self.order(seed, True)
        keep = torch.ones(len(self), dtype=torch.bool)
        keep[idx[:n]] = False
        return self._take(keep.nonzero().flatten()), self._take(idx[:n])

    def order(self, seed=0, balanced=True):
        """All indices in a seeded shuffle; when ``balanced``, classes take turns, so every prefix
        is a class-balanced draw (as balanced as the class counts allow)."""
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(len(self), generator=g)
        if balanced:
            K = len(self.classes)
            rank = torch.empty_like(idx)
            for k in range(K):
                sel = idx[self.y[idx] == k]
                rank[sel] = torch.arange(len(sel))
            idx = idx[torch.argsort(rank[idx] * K + self.y[idx], stable=True)]
        return idx

    def _take(self, idx):
        return ImageSplit(self.X[idx], self.y[idx], self.classes, self.source)


def _check_split(split):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def _list_image_folder(folder):
    """(files, labels, classes) of an ImageFolder tree, classes in sorted folder order."""
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    files, labels = [], []
    for k, c in enumerate(classes):
        fs = sorted(f for f in (folder / c).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        files += fs
        labels += [k] * len(fs)
    if not files:
        raise DatasetMissingError(f"no images under {folder}/<class>/ (expected {IMAGE_SUFFIXES})")
    return files, labels, tuple(classes)


def _cache_key(folder, files):
    """A key that changes when the folder, its file list (in load order) or their sizes change."""
    h = hashlib.sha1(str(folder.resolve()).encode())
    for f in files:
        h.update(f"{f.parent.name}/{f.name}:{f.stat().st_size};".encode())
    return h.hexdigest()[:16]


def _decode(files, size=None):
    """Decode image files into one uint8 tensor N x 3 x H x W (all images must share a size)."""
    from PIL import Image
    arrays = []
    for f in files:
        with Image.open(f) as im:
            a = np.asarray(im.convert("RGB"))
        if size is None:
            size = a.shape[:2]
        if a.shape[:2] != tuple(size):
            raise ValueError(f"{f} is {a.shape[1]}x{a.shape[0]}, expected {size[1]}x{size[0]}: "
                             f"every image of a split must have the same size")
        arrays.append(a)
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def load_image_folder(folder, source=None, cache=True):
    """Read an ImageFolder split ``folder/<class>/*`` into memory, in a fixed mixed-class order
    (see the module docstring), cached under cache_dir()."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetMissingError(f"image folder {folder} does not exist")
    files, labels, classes = _list_image_folder(folder)
    order = torch.randperm(len(files), generator=torch.Generator().manual_seed(FOLDER_ORDER_SEED))
    files, labels = [files[i] for i in order], [labels[i] for i in order]
    source = source or f"ImageFolder ({folder})"
    path = cache_dir() / "cifar10" / f"{folder.name}-{_cache_key(folder, files)}.pt"
    if cache and path.exists():
        try:
            d = torch.load(path, weights_only=True)
            return ImageSplit(d["X"], d["y"], tuple(d["classes"]), source)
        except Exception:  # a broken cache is rebuilt, never trusted
            path.unlink(missing_ok=True)
    X, y = _decode(files), torch.tensor(labels, dtype=torch.int64)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save({"X": X, "y": y, "classes": list(classes)}, tmp)
        tmp.replace(path)
    return ImageSplit(X, y, classes, source)


def _load_torchvision(root, split, download):
    """The real CIFAR-10 via torchvision (downloads only when ``download``)."""
    from torchvision.datasets import CIFAR10
    ds = CIFAR10(str(root), train=(split == "train"), download=download)
    X = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
    return ImageSplit(X, torch.tensor(ds.targets, dtype=torch.int64), tuple(ds.classes),
                      SOURCE_OFFICIAL)


def _has_torchvision_copy(root):
    return (Path(root) / "cifar-10-batches-py" / "data_batch_1").exists()


def load_cifar10(split="train", root=None, path=None, download=None):
    """CIFAR-10 ``split`` ('train'/'test') in memory; see the module docstring for sources."""
    _check_split(split)
    if path is not None:
        return load_image_folder(Path(path) / split, SOURCE_JPEG if
                                 Path(path).name == JPEG_DIRNAME else None)
    root = data_root(root)
    if _has_torchvision_copy(root):
        return _load_torchvision(root, split, download=False)
    if (root / JPEG_DIRNAME / split).is_dir():
        return load_image_folder(root / JPEG_DIRNAME / split, SOURCE_JPEG)
    if download is None:
        download = not offline()
    if not download:
        raise DatasetMissingError(
            f"CIFAR-10 not found under {root} (looked for cifar-10-batches-py/ and "
            f"{JPEG_DIRNAME}/{split}/) and downloading is off (CNNLIB_OFFLINE=1 or download=False). "
            f"Set CNNLIB_DATA to the folder that holds it, or allow the download.")
    return _load_torchvision(root, split, download=True)


def channel_stats(X, chunk=4096):
    """Per-channel mean and std over all pixels of uint8 images X, in [0, 1] units (float64)."""
    n = 0
    s = torch.zeros(X.shape[1], dtype=torch.float64)
    s2 = torch.zeros_like(s)
    for i in range(0, len(X), chunk):
        x = X[i:i + chunk].double() / 255
        s += x.sum((0, 2, 3))
        s2 += (x ** 2).sum((0, 2, 3))
        n += x.numel() // X.shape[1]
    mean = s / n
    return mean, (s2 / n - mean ** 2).sqrt()


def mean_image_std(X, chunk=4096):
    """Per-channel std within each image, averaged over images (what the quoted 0.2023... is)."""
    stds = [(X[i:i + chunk].double() / 255).std((2, 3)) for i in range(0, len(X), chunk)]
    return torch.cat(stds).mean(0)


def normalizer(mean, std):
    """A function mapping uint8 (or [0,1] float) images to float32 ``(x - mean) / std``."""
    m = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)

    def normalize(X):
        x = X.float() / 255 if X.dtype == torch.uint8 else X.float()
        return (x - m.to(x.device)) / s.to(x.device)
    return normalize


def denormalize(X, mean, std):
    """Undo ``normalizer``: float images in [0, 1] (clipped) for display."""
    m = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (X.float().cpu() * s + m).clamp(0, 1)
