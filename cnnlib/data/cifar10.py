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
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import DatasetCorruptError, DatasetMissingError, cache_dir, data_root, offline
from ..checks import check_bool, check_int
from ..torch_checks import check_tensor

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
PER_CLASS = {"train": 5000, "test": 1000}          # images per class in each CIFAR-10 split


@dataclass
class ImageSplit:
    """One split held in memory: uint8 images, int64 labels, class names and the source label.

    本書: 第7章
    """
    X: torch.Tensor
    y: torch.Tensor
    classes: tuple
    source: str

    def __post_init__(self):
        check_tensor(self.X, "X", 4, "(N, C, H, W) of uint8 images")
        if self.X.dtype != torch.uint8:
            raise TypeError(f"X must hold uint8 images; got {self.X.dtype}")
        check_tensor(self.y, "y", 1, "(N,) of class indices", floating=False)
        if len(self.y) != len(self.X):
            raise ValueError(f"X and y must hold one label per image; got {len(self.X)} images "
                             f"and {len(self.y)} labels")
        if not (isinstance(self.classes, (tuple, list)) and self.classes
                and all(isinstance(c, str) for c in self.classes)):
            raise TypeError(f"classes must be a non-empty tuple of class names; got "
                            f"{self.classes!r:.80}")
        if len(self.y) and not (0 <= int(self.y.min()) and int(self.y.max()) < len(self.classes)):
            raise ValueError(f"y must hold class indices in [0, {len(self.classes) - 1}] (one per "
                             f"name in classes); got {int(self.y.min())}..{int(self.y.max())}")
        self.classes = tuple(self.classes)

    def __len__(self):
        return len(self.y)

    def subset(self, n, seed=0, balanced=True):
        """The first ``n`` images of a seeded shuffle (class-balanced when ``balanced``)."""
        n = check_int(n, "n", 1, len(self))
        return self._take(self.order(seed, balanced)[:n])

    def split(self, n, seed=0):
        """``(rest, held)``: ``held = subset(n, seed)`` and ``rest`` all the other images (in
        this split's order), e.g. a validation split carved from the training split."""
        n = check_int(n, "n", 1, len(self) - 1)
        idx = self.order(seed, True)
        keep = torch.ones(len(self), dtype=torch.bool)
        keep[idx[:n]] = False
        return self._take(keep.nonzero().flatten()), self._take(idx[:n])

    def order(self, seed=0, balanced=True):
        """All indices in a seeded shuffle; when ``balanced``, classes take turns, so every prefix
        is a class-balanced draw (as balanced as the class counts allow)."""
        seed, balanced = check_int(seed, "seed", 0), check_bool(balanced, "balanced")
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


def _list_image_folder(folder, classes=None, per_class=None):
    """(files, labels, classes) of an ImageFolder tree, classes in sorted folder order.

    With ``classes``, the class folders must be exactly those (label k is classes[k]); with
    ``per_class``, every class folder must hold that many images. A class folder without images
    is always an error: a dataset that silently lost a class would shift every label after it.
    """
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not found:
        raise DatasetMissingError(f"no class folders under {folder} (expected {folder}/<class>/)")
    if classes is not None and found != sorted(classes):
        missing, extra = sorted(set(classes) - set(found)), sorted(set(found) - set(classes))
        problems = [f"{what} {names}" for what, names in (("missing", missing),
                                                          ("unexpected", extra)) if names]
        raise DatasetCorruptError(f"{folder} must hold exactly the class folders "
                                  f"{list(classes)}; {' and '.join(problems)}. Copy the dataset "
                                  f"again (or remove the extra folders).")
    classes = tuple(classes if classes is not None else found)
    listed = [sorted(f for f in (folder / c).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
              for c in classes]
    if not any(listed):
        raise DatasetMissingError(f"no images under {folder}/<class>/ (expected {IMAGE_SUFFIXES})")
    files, labels = [], []
    for k, (c, fs) in enumerate(zip(classes, listed)):
        if not fs:
            raise DatasetCorruptError(f"class folder {folder / c} holds no images "
                                      f"({'/'.join(IMAGE_SUFFIXES)}); copy the dataset again")
        if per_class is not None and len(fs) != per_class:
            raise DatasetCorruptError(f"class folder {folder / c} holds {len(fs)} images; this "
                                      f"split has {per_class} per class. Copy the dataset again.")
        files += fs
        labels += [k] * len(fs)
    return files, labels, classes


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
        try:
            with Image.open(f) as im:
                a = np.asarray(im.convert("RGB"))
        except (OSError, ValueError, SyntaxError) as err:        # PIL's errors for broken files
            raise DatasetCorruptError(f"{f} cannot be decoded as an image ({err}); replace or "
                                      f"delete the file, or copy the dataset again") from None
        if size is None:
            size = a.shape[:2]
        if a.shape[:2] != tuple(size):
            raise ValueError(f"{f} is {a.shape[1]}x{a.shape[0]}, expected {size[1]}x{size[0]}: "
                             f"every image of a split must have the same size")
        arrays.append(a)
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def load_image_folder(folder, source=None, cache=True, classes=None, per_class=None):
    """Read an ImageFolder split ``folder/<class>/*`` into memory, in a fixed mixed-class order
    (see the module docstring), cached under cache_dir().

    ``classes`` (the expected class folders, in label order) and ``per_class`` (images in each)
    are verified when given.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a folder path (str or pathlib.Path); got {folder!r}")
    folder, cache = Path(folder), check_bool(cache, "cache")
    if not folder.is_dir():
        raise DatasetMissingError(f"image folder {folder} does not exist" if not folder.exists()
                                  else f"{folder} is a file, not an image folder")
    files, labels, classes = _list_image_folder(folder, classes, per_class)
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
    """The real CIFAR-10 via torchvision (downloads only when ``download``), checked."""
    from torchvision.datasets import CIFAR10
    folder = Path(root) / "cifar-10-batches-py"
    try:
        ds = CIFAR10(str(root), train=(split == "train"), download=download)
    except RuntimeError as err:                 # torchvision: "Dataset not found or corrupted."
        if download:
            raise DatasetMissingError(f"CIFAR-10 could not be downloaded into {root}: {err}") from None
        raise DatasetCorruptError(f"CIFAR-10 in {folder} is corrupt ({err}): a file fails "
                                  f"torchvision's checksum. Delete {folder} and download it "
                                  f"again.") from None
    n = len(CLASSES) * PER_CLASS[split]
    if ds.data.shape != (n, 32, 32, 3) or len(ds.targets) != n:
        raise DatasetCorruptError(f"CIFAR-10 ({split}) in {folder} holds {len(ds.data)} images "
                                  f"and {len(ds.targets)} labels; expected {n} of each. Delete "
                                  f"{folder} and download it again.")
    X = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
    return ImageSplit(X, torch.tensor(ds.targets, dtype=torch.int64), tuple(ds.classes),
                      SOURCE_OFFICIAL)


def _has_torchvision_copy(root):
    return (Path(root) / "cifar-10-batches-py" / "data_batch_1").exists()


def load_cifar10(split="train", root=None, path=None, download=None):
    """CIFAR-10 ``split`` ('train'/'test') in memory; see the module docstring for sources.

    本書: 第7章、第8章
    """
    _check_split(split)
    check = dict(classes=CLASSES, per_class=PER_CLASS[split])
    if download is not None:
        check_bool(download, "download")
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a folder path (str or pathlib.Path); got {path!r}")
        return load_image_folder(Path(path) / split, SOURCE_JPEG if
                                 Path(path).name == JPEG_DIRNAME else None, **check)
    root = data_root(root)
    if _has_torchvision_copy(root):
        return _load_torchvision(root, split, download=False)
    if (root / JPEG_DIRNAME / split).is_dir():
        return load_image_folder(root / JPEG_DIRNAME / split, SOURCE_JPEG, **check)
    if download is None:
        download = not offline()
    if not download:
        raise DatasetMissingError(
            f"CIFAR-10 not found under {root} (looked for cifar-10-batches-py/ and "
            f"{JPEG_DIRNAME}/{split}/) and downloading is off (CNNLIB_OFFLINE=1 or download=False). "
            f"Set CNNLIB_DATA to the folder that holds it, or allow the download.")
    return _load_torchvision(root, split, download=True)


def channel_stats(X, chunk=4096):
    """Per-channel mean and std over all pixels of uint8 images X, in [0, 1] units (float64).

    本書: 第7章、第8章
    """
    _uint8_images(X)
    chunk = check_int(chunk, "chunk", 1)
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
    """Per-channel std within each image, averaged over images (what the quoted 0.2023... is).

    本書: 第7章
    """
    _uint8_images(X)
    if X.shape[2] * X.shape[3] < 2:
        raise ValueError(f"X must have at least 2 pixels per image for a std; got {tuple(X.shape)}")
    chunk = check_int(chunk, "chunk", 1)
    stds = [(X[i:i + chunk].double() / 255).std((2, 3)) for i in range(0, len(X), chunk)]
    return torch.cat(stds).mean(0)


def _uint8_images(X):
    check_tensor(X, "X", 4, "(N, C, H, W)", nonempty=True)
    if X.dtype != torch.uint8:
        raise TypeError(f"X must hold uint8 images (0..255), as load_cifar10 returns; got "
                        f"{X.dtype} (statistics of already scaled images would be wrong)")


def _mean_std(mean, std):
    """``mean`` and ``std`` (one value per channel) as float32 tensors (1, C, 1, 1)."""
    stats = []
    for name, v in (("mean", mean), ("std", std)):
        try:
            t = torch.as_tensor(v, dtype=torch.float64).reshape(-1)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be one number per channel; got {v!r:.60}") from None
        if len(t) == 0 or not torch.isfinite(t).all():
            raise ValueError(f"{name} must be finite numbers, one per channel; got {v!r:.60}")
        stats.append(t)
    m, s = stats
    if len(m) != len(s):
        raise ValueError(f"mean and std must have one value per channel each; got {len(m)} and "
                         f"{len(s)}")
    if (s <= 0).any():
        raise ValueError(f"std must be positive (> 0) for every channel; got {std!r:.60}")
    return m.float().view(1, -1, 1, 1), s.float().view(1, -1, 1, 1)


def _channels_match(X, m):
    check_tensor(X, "X", 4, "(N, C, H, W)")
    if X.shape[1] != m.shape[1]:
        raise ValueError(f"X must have {m.shape[1]} channels, one per value of mean and std; got "
                         f"shape {tuple(X.shape)}")


def normalizer(mean, std):
    """A function mapping uint8 (or [0,1] float) images to float32 ``(x - mean) / std``.

    本書: 第7章、第8章
    """
    m, s = _mean_std(mean, std)

    def normalize(X):
        _channels_match(X, m)
        x = X.float() / 255 if X.dtype == torch.uint8 else X.float()
        return (x - m.to(x.device)) / s.to(x.device)
    return normalize


def denormalize(X, mean, std):
    """Undo ``normalizer``: float images in [0, 1] (clipped) for display.

    本書: 章のコードからは直接使いません
    """
    m, s = _mean_std(mean, std)
    _channels_match(X, m)
    return (X.float().cpu() * s + m).clamp(0, 1)
