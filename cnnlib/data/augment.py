"""Data augmentation on whole batches of image tensors (N x C x H x W), any dtype and device.

Every op takes an optional ``torch.Generator`` so that a seeded run is reproducible.
``Augment(...)`` composes them into the ``augment(X, y) -> (X, y)`` callable that
``cnnlib.nn.train.fit`` expects; Mixup returns soft targets that ``fit``'s loss understands.
"""
import numpy as np
import torch
import torch.nn.functional as TF

from ..checks import check_bool, check_callable, check_choice, check_int, check_number
from ..torch_checks import check_labels, check_tensor


def _check_batch(X):
    check_tensor(X, "X", 4, "N x C x H x W")


def _generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got "
                        f"{type(generator).__name__}")
    return generator


def _seed(seed):
    return None if seed is None else check_int(seed, "seed", 0, kind="an int seed (>= 0) or None")


def _rand(n, gen, device):
    return torch.rand(n, generator=gen).to(device)


def random_flip(X, p=0.5, generator=None):
    """Flip each image left-right with probability ``p``.

    本書: 第7章
    """
    _check_batch(X)
    check_number(p, "p", 0, 1)
    _generator(generator)
    mask = (_rand(len(X), generator, X.device) < p).view(-1, 1, 1, 1)
    return torch.where(mask, X.flip(-1), X)


def random_crop(X, padding=4, mode="constant", generator=None):
    """Pad by ``padding`` ('constant' zeros or 'reflect') and crop back at a random offset.

    本書: 第7章
    """
    _check_batch(X)
    _generator(generator)
    padding, mode = check_int(padding, "padding", 0), check_choice(mode, "mode",
                                                                    ("constant", "reflect"))
    if mode == "reflect" and padding >= min(X.shape[2:]):
        raise ValueError(f"padding must be smaller than the image (H, W) = {tuple(X.shape[2:])} "
                         f"for mode='reflect'; got {padding}")
    if padding == 0:
        return X
    N, C, H, W = X.shape
    Xp = TF.pad(X.float() if mode == "reflect" else X, (padding,) * 4, mode=mode).to(X.dtype)
    dy = torch.randint(0, 2 * padding + 1, (N,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (N,), generator=generator)
    rows = dy[:, None] + torch.arange(H)                       # N x H source rows
    cols = dx[:, None] + torch.arange(W)                       # N x W source columns
    idx = (rows[:, :, None] * (W + 2 * padding) + cols[:, None, :]).view(N, 1, H * W)
    idx = idx.expand(N, C, H * W).to(X.device)
    return Xp.reshape(N, C, -1).gather(2, idx).view(N, C, H, W)


def cutout(X, size=8, fill=0, generator=None):
    """Set a ``size`` x ``size`` square (centre uniform over the image, clipped) to ``fill``.

    本書: 第7章
    """
    _check_batch(X)
    _generator(generator)
    check_number(fill, "fill")
    size = check_int(size, "size", 1)
    N, _, H, W = X.shape
    cy = torch.randint(0, H, (N, 1), generator=generator)
    cx = torch.randint(0, W, (N, 1), generator=generator)
    y0, x0 = cy - size // 2, cx - size // 2
    rows, cols = torch.arange(H).view(1, H), torch.arange(W).view(1, W)
    my = (rows >= y0) & (rows < y0 + size)
    mx = (cols >= x0) & (cols < x0 + size)
    mask = (my[:, :, None] & mx[:, None, :]).unsqueeze(1).to(X.device)
    return X.masked_fill(mask, fill)


def mixup(X, y, alpha=1.0, generator=None):
    """Mixup: ``lam*X + (1-lam)*X[perm]``, lam ~ Beta(alpha, alpha); returns (Xm, y, y[perm], lam).

    本書: 第7章
    """
    _check_batch(X)
    _generator(generator)
    check_number(alpha, "alpha", 0, open_min=True)
    if not torch.is_tensor(y) or y.dim() == 0 or len(y) != len(X):
        raise ValueError(f"y must be a tensor with one target per image of X ({len(X)}); got "
                         f"{tuple(y.shape) if torch.is_tensor(y) else type(y).__name__}")
    lam = _beta(alpha, generator)
    perm = torch.randperm(len(X), generator=generator).to(X.device)
    Xm = lam * X.float() + (1 - lam) * X[perm].float()
    return Xm, y, y[perm], lam


def _beta(alpha, generator=None):
    """A Beta(alpha, alpha) sample, reproducible from the torch ``generator``."""
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return float(np.random.default_rng(seed).beta(alpha, alpha))


def mixup_loss(logits, y_a, y_b, lam, loss_fn=TF.cross_entropy):
    """The Mixup loss ``lam*loss(y_a) + (1-lam)*loss(y_b)``.

    本書: 第7章
    """
    check_number(lam, "lam", 0, 1)
    check_callable(loss_fn, "loss_fn")
    return lam * loss_fn(logits, y_a) + (1 - lam) * loss_fn(logits, y_b)


def mixup_targets(y_a, y_b, lam, num_classes):
    """Soft targets ``lam*onehot(y_a) + (1-lam)*onehot(y_b)`` (same loss as ``mixup_loss`` for CE).

    本書: 第7章
    """
    check_number(lam, "lam", 0, 1)
    num_classes = check_int(num_classes, "num_classes", 1)
    check_labels(y_a, "y_a", num_classes)
    check_labels(y_b, "y_b", num_classes)
    if y_a.shape != y_b.shape:
        raise ValueError(f"y_a and y_b must have the same shape; got {tuple(y_a.shape)} and "
                         f"{tuple(y_b.shape)}")
    return lam * TF.one_hot(y_a, num_classes).float() + (1 - lam) * TF.one_hot(y_b, num_classes).float()


class AlternatingFlipBatches:
    """Shuffled mini-batches of uint8/float ``(X, y)`` with airbench's alternating flip.

    A random half of the images is mirrored in even epochs and the other half in odd epochs,
    so every two consecutive epochs show each image both ways; independent random flips show
    the same view twice in a row half of the time. Pass it to ``fit`` as the training data
    (and use ``Augment(flip=False, ...)`` for the rest of the augmentation).

    本書: 第7章
    """

    def __init__(self, X, y, batch_size=512, seed=None):
        _check_batch(X)
        check_tensor(y, "y")
        if y.dim() == 0 or len(X) != len(y):
            raise ValueError(f"X and y differ in length: {len(X)} vs {tuple(y.shape)}")
        self.X, self.y, self.batch_size = X, y, check_int(batch_size, "batch_size", 1)
        self.gen = torch.Generator().manual_seed(_seed(seed) or 0)
        self.flipped = torch.rand(len(X), generator=self.gen) < 0.5
        self.epoch = 0

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        flipped = self.flipped ^ bool(self.epoch % 2)
        self.epoch += 1
        idx = torch.randperm(len(self.X), generator=self.gen)
        for j in idx.split(self.batch_size):
            xb = self.X[j]
            yield torch.where(flipped[j].view(-1, 1, 1, 1), xb.flip(-1), xb), self.y[j]


class Augment:
    """Batch augmentation for ``fit``: flip, crop (padding), Cutout and Mixup, in that order.

    本書: 第7章
    """

    def __init__(self, flip=True, crop=4, crop_mode="reflect", cutout=0, mixup=0.0,
                 num_classes=10, seed=None):
        self.flip, self.crop = check_bool(flip, "flip"), check_int(crop, "crop", 0)
        self.crop_mode = check_choice(crop_mode, "crop_mode", ("constant", "reflect"))
        self.cutout, self.mixup = check_int(cutout, "cutout", 0), check_number(mixup, "mixup", 0)
        self.num_classes, seed = check_int(num_classes, "num_classes", 1), _seed(seed)
        self.gen = torch.Generator().manual_seed(seed) if seed is not None else None

    def __call__(self, X, y):
        _check_batch(X)
        g = self.gen
        if self.flip:
            X = random_flip(X, generator=g)
        if self.crop:
            X = random_crop(X, self.crop, self.crop_mode, generator=g)
        if self.cutout:
            X = cutout(X, self.cutout, generator=g)
        if self.mixup:
            X, ya, yb, lam = mixup(X, y, self.mixup, generator=g)
            y = mixup_targets(ya, yb, lam, self.num_classes)
        return X, y
