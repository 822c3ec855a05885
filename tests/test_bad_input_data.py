"""Bad input for cnnlib.data: loaders fed broken datasets on disk (truncated, mismatched, missing or
extra classes, undecodable files), bad environment variables, and the batch augmentations
(see tests/badinput.py for what a case must do)."""
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from badinput import case_test, table
from cnnlib import data as D
from cnnlib.data import augment as A
from cnnlib.data import cifar10 as C
from cnnlib.data import images as I
from cnnlib.data import mnist as MN

TV, VE, FNF = TypeError, ValueError, FileNotFoundError


def corrupt():
    """The error type for broken datasets (a ValueError subclass; looked up when a case runs)."""
    return getattr(D, "DatasetCorruptError", ValueError)


class Env:
    """Environment variables set for one call, then restored."""

    def __init__(self, **values):
        self.values, self.old = values, {}

    def __enter__(self):
        for k, v in self.values.items():
            self.old[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def in_tmp(fn):
    """fn(tmp folder) with CNNLIB_CACHE inside it and downloads forbidden."""
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        with Env(CNNLIB_CACHE=str(d / "cache"), CNNLIB_OFFLINE="1"):
            return fn(d)


# ---------------------------------------------------------------- MNIST files
def idx(path, magic, dims, payload=None, cut=0, extra=b""):
    """Write an IDX file: magic, big-endian sizes, then the bytes (``cut`` of them missing)."""
    n = int(np.prod(dims))
    body = (payload if payload is not None else np.arange(n) % 10).astype(np.uint8).tobytes()
    data = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + body + extra
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:len(data) - cut])


def mnist(d, n=6, labels=None, **broken):
    """A test split of ``n`` images under d/MNIST/raw; ``broken`` changes the images file
    (``images=dict(...)``) or the labels file (``labels_file=dict(...)``)."""
    raw = d / "MNIST" / "raw"
    img = {"magic": 0x803, "dims": (n, 28, 28), **broken.get("images", {})}
    lab = {"magic": 0x801, "dims": (n,), "payload": labels, **broken.get("labels_file", {})}
    idx(raw / "t10k-images-idx3-ubyte", **img)
    idx(raw / "t10k-labels-idx1-ubyte", **lab)
    return MN.load_mnist("test", root=d)


def mnist_case(label, raises=None, *words, check=None, **kw):
    call = (lambda: in_tmp(lambda d: mnist(d, **kw)))
    return ("load_mnist", label, call, raises, *words) if raises else (
        "load_mnist", label, call, None, check)


CASES = table("cnnlib.data.mnist", [
    mnist_case("truncated images", VE, "is corrupt", "truncated", images=dict(cut=100)),
    mnist_case("extra bytes", VE, "is corrupt", "extra data", images=dict(extra=b"\0" * 7)),
    mnist_case("labels where the images belong", VE, "not an MNIST images file", "0x00000803",
               images=dict(magic=0x801, dims=(6,))),
    mnist_case("images of another size", VE, "not an MNIST images file", "(N, 28, 28)",
               images=dict(dims=(6, 32, 32))),
    mnist_case("shorter than the header", VE, "truncated", "IDX header",
               labels_file=dict(cut=9, payload=np.zeros(6))),
    mnist_case("more labels than images", VE, "holds 6 images", "60 labels",
               labels_file=dict(dims=(60,), payload=np.zeros(60))),
    mnist_case("label 12", VE, "holds label 12", "0..9", labels=np.array([0, 1, 2, 12, 4, 5])),
    mnist_case("valid tiny split", check=lambda r: r[0].shape == (6, 1, 28, 28)
               and r[0].dtype == np.float32 and r[0].max() == np.float32(9 / 255)
               and r[1].tolist() == [0, 1, 2, 3, 4, 5] and r[1].dtype == np.int64),
    ("load_mnist", "truncated is not 'download failed'", lambda: in_tmp(
        lambda d: _catch(lambda: mnist(d, images=dict(cut=1)))), None,
     lambda msg: "download" not in msg.split(".")[0] and "corrupt" in msg),
    ("load_mnist", "missing offline", lambda: in_tmp(lambda d: MN.load_mnist("test", root=d)),
     FNF, "is not on disk", "CNNLIB_OFFLINE"),
    ("load_mnist", "split 'val'", lambda: MN.load_mnist("val"), VE, "split must be one of",
     "'test'"),
    ("load_mnist", "limit 0", lambda: MN.load_mnist("test", limit=0), VE, "limit must be",
     ">= 1"),
    ("load_mnist", "download 'yes'", lambda: in_tmp(lambda d: MN.load_mnist(
        "test", root=d, download="yes")), TV, "download", "True or False"),
    ("load_mnist", "CNNLIB_DATA is a file", lambda: in_tmp(lambda d: _with_data_file(
        d, lambda: MN.load_mnist("test"))), VE, "CNNLIB_DATA must be the folder", "is a file"),
    ("mnist_raw_dir", "root int", lambda: MN.mnist_raw_dir(5), TV, "root must be",
     "folder path"),
    ("to_torch", "lists", lambda: MN.to_torch([[0.0]], [0]), TV, "X and y must be NumPy arrays",
     "load_mnist"),
    ("to_torch", "lengths", lambda: MN.to_torch(np.zeros((2, 1, 28, 28), np.float32),
                                                np.zeros(3, np.int64)), VE,
     "one label per image", "(3,)"),
    ("to_torch", "device 'gpu'", lambda: MN.to_torch(np.zeros((1, 1, 2, 2), np.float32),
                                                     np.zeros(1, np.int64), "gpu"), VE,
     "device must be", "'cpu'"),
])


def _catch(fn):
    try:
        fn()
    except Exception as err:                       # the message is what the case checks
        return str(err)
    return ""


def _with_data_file(d, fn):
    (d / "data.txt").write_text("not a folder")
    with Env(CNNLIB_DATA=str(d / "data.txt")):
        return fn()


# ---------------------------------------------------------------- CIFAR-10 ImageFolder copies
def tree(d, per_class=2, drop=(), add=(), change=None):
    """d/cifar/test/<class>/NNNN.png: ``per_class`` random 4x4 images per CIFAR-10 class,
    without the classes in ``drop``, with extra class folders ``add``; ``change(folder)`` breaks
    it further. Returns the dataset folder (for load_cifar10(path=...))."""
    rng = np.random.default_rng(0)
    root = d / "cifar"
    for c in [c for c in C.CLASSES if c not in drop] + list(add):
        (root / "test" / c).mkdir(parents=True)
        for i in range(per_class):
            a = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
            Image.fromarray(a).save(root / "test" / c / f"{i:04d}.png")
    if change:
        change(root / "test")
    return root


def cifar(label, raises=None, *words, check=None, **kw):
    """A load_cifar10('test', path=...) case on a tree of 2 images per class (PER_CLASS set so)."""
    def call():
        def load(d):
            old = C.PER_CLASS
            C.PER_CLASS = {"train": 2, "test": 2}
            try:
                return C.load_cifar10("test", path=tree(d, **kw))
            finally:
                C.PER_CLASS = old
        return in_tmp(load)
    return ("load_cifar10", label, call, raises, *words) if raises else (
        "load_cifar10", label, call, None, check)


def _garbage(name, data):
    def change(folder):
        (folder / "cat" / name).write_bytes(data)
    return change


def _truncate(folder):
    f = folder / "dog" / "0001.png"
    f.write_bytes(f.read_bytes()[:30])


def _labels_follow_folders(s):
    """Every image's label is the index of its class folder (checked on the pixels)."""
    return len(s) == 20 and s.classes == C.CLASSES and torch.bincount(s.y).tolist() == [2] * 10


CASES += table("cnnlib.data.cifar10", [
    cifar("a class folder missing", VE, "missing ['cat']", "exactly the class folders",
          drop=("cat",)),
    cifar("an extra class folder", VE, "unexpected ['zebra']", "exactly the class folders",
          add=("zebra",)),
    cifar("a class with too few images", VE, "holds 1 images", "2 per class",
          change=lambda f: (f / "frog" / "0001.png").unlink()),
    cifar("an empty class folder", VE, "holds no images", "ship",
          change=lambda f: [p.unlink() for p in (f / "ship").iterdir()]),
    cifar("an undecodable jpg", VE, "cannot be decoded", "0001.jpg",
          change=lambda f: (_garbage("0001.jpg", b"not a jpeg")(f),
                            (f / "cat" / "0001.png").unlink())),
    cifar("a truncated png", VE, "dog", "cannot be decoded", change=_truncate),
    cifar("labels follow the class folders", check=_labels_follow_folders),
    ("load_cifar10", "split 'val'", lambda: C.load_cifar10("val"), VE, "split must be",
     "'test'"),
    ("load_cifar10", "path int", lambda: C.load_cifar10("test", path=5), TV, "path must be",
     "folder path"),
    ("load_cifar10", "download 'no'", lambda: C.load_cifar10("test", download="no"), TV,
     "download", "True or False"),
    ("load_cifar10", "corrupt torchvision copy", lambda: in_tmp(_corrupt_torchvision), VE,
     "is corrupt", "download it again"),
    ("load_cifar10", "nothing offline", lambda: in_tmp(lambda d: C.load_cifar10("test", root=d)),
     FNF, "CIFAR-10 not found", "CNNLIB_DATA"),
    ("load_image_folder", "a file", lambda: in_tmp(lambda d: C.load_image_folder(
        _write(d / "x.png", b"x"))), FNF, "is a file", "not an image folder"),
    ("load_image_folder", "cache 'no'", lambda: in_tmp(lambda d: C.load_image_folder(
        tree(d) / "test", cache="no")), TV, "cache", "True or False"),
    ("load_image_folder", "folder None", lambda: C.load_image_folder(None), TV,
     "folder must be", "folder path"),
    ("load_image_folder", "any classes without a list", lambda: in_tmp(
        lambda d: C.load_image_folder(tree(d, drop=C.CLASSES[3:]) / "test").classes), None,
     lambda c: c == C.CLASSES[:3]),
    ("ImageSplit", "float images", lambda: C.ImageSplit(torch.zeros(2, 3, 4, 4),
                                                        torch.zeros(2, dtype=torch.long),
                                                        C.CLASSES, "s"), TV, "X must hold uint8",
     "float32"),
    ("ImageSplit", "label 10 of 10 classes", lambda: C.ImageSplit(
        torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 10]), C.CLASSES, "s"), VE,
     "y must hold class indices in [0, 9]", "0..10"),
    ("ImageSplit", "lengths", lambda: C.ImageSplit(torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
                                                   torch.zeros(3, dtype=torch.long), C.CLASSES,
                                                   "s"), VE, "one label per image",
     "3 labels"),
    ("ImageSplit.subset", "n 0", lambda: split().subset(0), VE, "n must be", "[1, 20]"),
    ("ImageSplit.subset", "n 21", lambda: split().subset(21), VE, "n must be", "[1, 20]"),
    ("ImageSplit.subset", "n numpy ok", lambda: len(split().subset(np.int64(10))), None,
     lambda n: n == 10),
    ("ImageSplit.subset", "balanced 'yes'", lambda: split().subset(4, balanced="yes"), TV,
     "balanced", "True or False"),
    ("ImageSplit.subset", "seed -1", lambda: split().subset(4, seed=-1), VE, "seed", ">= 0"),
    ("channel_stats", "float images (already scaled)", lambda: C.channel_stats(
        torch.rand(2, 3, 4, 4)), TV, "X must hold uint8", "would be wrong"),
    ("channel_stats", "empty", lambda: C.channel_stats(torch.zeros(0, 3, 4, 4, dtype=torch.uint8)),
     VE, "X must not be empty", "(0, 3, 4, 4)"),
    ("channel_stats", "chunk 0", lambda: C.channel_stats(split().X, chunk=0), VE, "chunk",
     ">= 1"),
    ("mean_image_std", "1x1 images", lambda: C.mean_image_std(torch.zeros(2, 3, 1, 1,
                                                                          dtype=torch.uint8)),
     VE, "at least 2 pixels", "(2, 3, 1, 1)"),
    ("mean_image_std", "3-D", lambda: C.mean_image_std(torch.zeros(3, 4, 4, dtype=torch.uint8)),
     VE, "X must be a 4-D tensor", "(N, C, H, W)"),
    ("normalizer", "std 0", lambda: C.normalizer((0.5, 0.5, 0.5), (0.2, 0.0, 0.2)), VE,
     "std must be positive", "every channel"),
    ("normalizer", "std nan", lambda: C.normalizer((0.5,), (float("nan"),)), VE,
     "std must be finite", "one per channel"),
    ("normalizer", "lengths", lambda: C.normalizer((0.5, 0.5, 0.5), (0.2,)), VE,
     "mean and std must have one value per channel", "3 and 1"),
    ("normalizer", "strings", lambda: C.normalizer("abc", (0.2,)), TV, "mean must be",
     "one number per channel"),
    ("normalizer", "images of other channels", lambda: C.normalizer((0.5,) * 3, (0.2,) * 3)(
        torch.zeros(1, 1, 4, 4)), VE, "X must have 3 channels", "(1, 1, 4, 4)"),
    ("normalizer", "round trip", lambda: C.denormalize(C.normalizer((0.5,) * 3, (0.25,) * 3)(
        split().X), (0.5,) * 3, (0.25,) * 3), None,
     lambda x: torch.allclose(x, split().X.float() / 255, atol=1e-6)),
    ("denormalize", "std negative", lambda: C.denormalize(torch.zeros(1, 3, 2, 2), (0,) * 3,
                                                          (-1,) * 3), VE, "std must be positive",
     "every channel"),
    ("denormalize", "channels", lambda: C.denormalize(torch.zeros(1, 1, 2, 2), (0,) * 3, (1,) * 3),
     VE, "X must have 3 channels", "(1, 1, 2, 2)"),
])


def split():
    """A small valid ImageSplit: 20 images, 2 per class."""
    g = torch.Generator().manual_seed(0)
    return C.ImageSplit(torch.randint(0, 256, (20, 3, 4, 4), generator=g, dtype=torch.uint8),
                        torch.arange(20) % 10, C.CLASSES, "test")


def _write(path, data):
    path.write_bytes(data)
    return path


def _corrupt_torchvision(d):
    folder = d / "cifar-10-batches-py"
    folder.mkdir()
    for name in ("data_batch_1", "test_batch", "batches.meta"):
        (folder / name).write_bytes(b"\x80\x04 not a pickle")
    return C.load_cifar10("test", root=d)


# ---------------------------------------------------------------- cnnlib.data, cnnlib.data.images
CASES += table("cnnlib.data", [
    ("cache_dir", "CNNLIB_CACHE is a file", lambda: in_tmp(lambda d: _cache_file(d)), VE,
     "CNNLIB_CACHE must name a folder", "is a file"),
    ("cache_dir", "CNNLIB_CACHE under a file", lambda: in_tmp(lambda d: _cache_under_file(d)), VE,
     "cannot create the cache folder", "CNNLIB_CACHE"),
    ("data_root", "root is a file", lambda: in_tmp(lambda d: D.data_root(_write(d / "f", b""))),
     VE, "root must be the folder", "is a file"),
    ("data_root", "root a list", lambda: D.data_root(["data"]), TV, "root must be",
     "folder path"),
    ("offline", "CNNLIB_OFFLINE=maybe counts as on", lambda: _offline("maybe"), None,
     lambda v: v is True),
    ("DatasetCorruptError", "is a ValueError", lambda: corrupt(), None,
     lambda t: issubclass(t, ValueError) and t is not ValueError),
])


def _cache_file(d):
    with Env(CNNLIB_CACHE=str(_write(d / "cache.txt", b""))):
        return D.cache_dir()


def _cache_under_file(d):
    with Env(CNNLIB_CACHE=str(_write(d / "cache.txt", b"") / "sub")):
        return D.cache_dir()


def _offline(value):
    with Env(CNNLIB_OFFLINE=value):
        return D.offline()


CASES += table("cnnlib.data.images", [
    ("sample_image_path", "name int", lambda: I.sample_image_path(5), VE, "unknown sample image",
     "grace_hopper"),
    ("sample_image_path", "name list", lambda: I.sample_image_path(["grace_hopper"]), VE,
     "unknown sample image", "available"),
    ("load_sample_image", "size 10**6 (would allocate for minutes)", lambda: I.load_sample_image(
        size=10**6), VE, "size must be", "[1, 4096]"),
    ("load_sample_image", "a tiny height keeps one column", lambda: I.load_sample_image(size=1),
     None, lambda a: a.shape == (1, 1)),
    ("load_sample_image", "height whose width overflows", lambda: I.load_sample_image(
        size=(4096, 5000)), VE, "size must be", "4096"),
    ("load_sample_image", "gray 'no'", lambda: I.load_sample_image(gray="no"), TV, "gray",
     "True or False"),
    ("load_sample_image", "size (10, 0)", lambda: I.load_sample_image(size=(10, 0)), VE,
     "size must be", "[1, 4096]"),
])

# ---------------------------------------------------------------- cnnlib.data.augment
X8 = torch.randint(0, 256, (4, 3, 6, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
Y4 = torch.tensor([0, 1, 2, 3])
CASES += table("cnnlib.data.augment", [
    ("random_flip", "p 2", lambda: A.random_flip(X8, p=2), VE, "p must be", "[0, 1]"),
    ("random_flip", "ndarray", lambda: A.random_flip(X8.numpy()), TV, "X must be a torch.Tensor",
     "N x C x H x W"),
    ("random_flip", "generator int", lambda: A.random_flip(X8, generator=1), TV,
     "generator must be", "torch.Generator"),
    ("random_flip", "p 0 is identity", lambda: A.random_flip(X8, p=0), None,
     lambda x: torch.equal(x, X8)),
    ("random_crop", "reflect padding >= size", lambda: A.random_crop(X8.float(), 6, "reflect"), VE,
     "padding must be smaller than the image", "(6, 6)"),
    ("random_crop", "padding 2.0", lambda: A.random_crop(X8, 2.0), TV, "padding", "an int"),
    ("random_crop", "numpy padding ok", lambda: A.random_crop(X8, np.int64(0)), None,
     lambda x: torch.equal(x, X8)),
    ("random_crop", "mode", lambda: A.random_crop(X8, 2, "wrap"), VE, "mode must be one of",
     "'reflect'"),
    ("cutout", "fill 'black'", lambda: A.cutout(X8, 2, fill="black"), TV, "fill",
     "real number"),
    ("cutout", "size 0", lambda: A.cutout(X8, 0), VE, "size", ">= 1"),
    ("cutout", "size larger than the image", lambda: A.cutout(X8, 100), None,
     lambda x: int(x.sum()) == 0),
    ("mixup", "y shorter", lambda: A.mixup(X8, Y4[:2]), VE, "y must be a tensor",
     "one target per image"),
    ("mixup", "alpha nan", lambda: A.mixup(X8, Y4, alpha=float("nan")), VE, "alpha",
     "finite"),
    ("mixup", "alpha 0", lambda: A.mixup(X8, Y4, alpha=0), VE, "alpha", "> 0"),
    ("mixup_loss", "lam 2 (extrapolates)", lambda: A.mixup_loss(torch.zeros(4, 4), Y4, Y4, 2.0), VE,
     "lam", "[0, 1]"),
    ("mixup_loss", "loss_fn string", lambda: A.mixup_loss(torch.zeros(4, 4), Y4, Y4, 0.5, "ce"),
     TV, "loss_fn must be", "function"),
    ("mixup_targets", "label >= num_classes", lambda: A.mixup_targets(Y4, Y4, 0.5, 3), VE,
     "y_a must hold class indices", "[0, 2]"),
    ("mixup_targets", "lengths", lambda: A.mixup_targets(Y4, Y4[:2], 0.5, 4), VE,
     "y_a and y_b must have the same shape", "(2,)"),
    ("mixup_targets", "sums to one", lambda: A.mixup_targets(Y4, Y4.flip(0), 0.3, 4), None,
     lambda t: torch.allclose(t.sum(1), torch.ones(4))),
    ("AlternatingFlipBatches", "3-D X", lambda: A.AlternatingFlipBatches(X8[0], Y4[:3]), VE,
     "X must be a 4-D tensor", "N x C x H x W"),
    ("AlternatingFlipBatches", "seed 'a'", lambda: A.AlternatingFlipBatches(X8, Y4, seed="a"), TV,
     "seed", "int seed"),
    ("AlternatingFlipBatches", "numpy y", lambda: A.AlternatingFlipBatches(X8, Y4.numpy()), TV,
     "y must be a torch.Tensor", "torch.as_tensor"),
    ("Augment", "crop -1", lambda: A.Augment(crop=-1), VE, "crop", ">= 0"),
    ("Augment", "mixup -1", lambda: A.Augment(mixup=-1.0), VE, "mixup", ">= 0"),
    ("Augment", "crop_mode 'wrap'", lambda: A.Augment(crop_mode="wrap"), VE, "crop_mode must be",
     "'reflect'"),
    ("Augment", "flip 'yes'", lambda: A.Augment(flip="yes"), TV, "flip", "True or False"),
    ("Augment", "num_classes 0", lambda: A.Augment(num_classes=0), VE, "num_classes", ">= 1"),
    ("Augment.__call__", "ndarray", lambda: A.Augment()(X8.numpy(), Y4), TV,
     "X must be a torch.Tensor", "N x C x H x W"),
    ("Augment.__call__", "nothing on is identity", lambda: A.Augment(flip=False, crop=0)(X8, Y4),
     None, lambda r: r[0] is X8 and r[1] is Y4),
])

CASES += table("cnnlib.data", [
    ("balanced_indices", "2-D labels", lambda: D.balanced_indices(np.zeros((2, 2), int), 2), VE,
     "labels must be a non-empty 1-D array", "(2, 2)"),
    ("balanced_indices", "float labels", lambda: D.balanced_indices([0.5, 1.5], 1), TV,
     "labels must hold class labels", "float64"),
    ("balanced_indices", "n above the count", lambda: D.balanced_indices([0, 1, 1], 4), VE,
     "n must be", "[1, 3]"),
    ("balanced_indices", "seed -1", lambda: D.balanced_indices([0, 1], 1, seed=-1), VE, "seed",
     ">= 0"),
    ("balanced_indices", "every prefix balanced", lambda: D.balanced_indices(
        np.repeat(np.arange(3), [5, 2, 9]), 6), None,
     lambda i: sorted(np.bincount(np.repeat(np.arange(3), [5, 2, 9])[i]).tolist()) == [2, 2, 2]),
])
CASES += table("cnnlib.data.cifar10", [
    ("ImageSplit.split", "n all", lambda: split().split(20), VE, "n must be", "[1, 19]"),
    ("ImageSplit.split", "disjoint and complete", lambda: split().split(5), None,
     lambda parts: len(parts[0]) == 15 and len(parts[1]) == 5
     and not (set(map(bytes, parts[0].X.numpy())) & set(map(bytes, parts[1].X.numpy())))),
    ("ImageSplit.order", "seed 1.5", lambda: split().order(1.5), TV, "seed must be an int",
     "1.5"),
    ("ImageSplit.order", "balanced None", lambda: split().order(0, None), TV, "balanced",
     "True or False"),
])

test_case = case_test(CASES)
