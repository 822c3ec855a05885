"""Data augmentation on whole batches of image tensors (N x C x H x W), any dtype and device.

Every op takes an optional ``torch.Generator`` so that a seeded run is reproducible.
``Augment(...)`` composes them into the ``augment(X, y) -> (X, y)`` callable that
``cnnlib.train.fit`` expects; Mixup returns soft targets that ``fit``'s loss understands.
"""
import numpy as np
import torch
import torch.nn.functional as F


def _check_batch(X):
    if not torch.is_tensor(X) or X.dim() != 4:
        raise ValueError(f"expected a batch tensor N x C x H x W, got "
                         f"{getattr(X, 'shape', type(X).__name__)}")


def _rand(n, gen, device):
    return torch.rand(n, generator=gen).to(device)


def random_flip(X, p=0.5, generator=None):
    """Flip each image left-right with probability ``p``."""
    _check_batch(X)
    mask = (_rand(len(X), generator, X.device) < p).view(-1, 1, 1, 1)
    return torch.where(mask, X.flip(-1), X)


def random_crop(X, padding=4, mode="constant", generator=None):
    """Pad by ``padding`` ('constant' zeros or 'reflect') and crop back at a random offset."""
    _check_batch(X)
    if not (isinstance(padding, int) and padding >= 0):
        raise ValueError(f"padding must be a non-negative int, got {padding!r}")
    if mode not in ("constant", "reflect"):
        raise ValueError(f"mode must be 'constant' or 'reflect', got {mode!r}")
    if padding == 0:
        return X
    N, C, H, W = X.shape
    Xp = F.pad(X.float() if mode == "reflect" else X, (padding,) * 4, mode=mode).to(X.dtype)
    dy = torch.randint(0, 2 * padding + 1, (N,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (N,), generator=generator)
    rows = dy[:, None] + torch.arange(H)                       # N x H source rows
    cols = dx[:, None] + torch.arange(W)                       # N x W source columns
    idx = (rows[:, :, None] * (W + 2 * padding) + cols[:, None, :]).view(N, 1, H * W)
    idx = idx.expand(N, C, H * W).to(X.device)
    return Xp.reshape(N, C, -1).gather(2, idx).view(N, C, H, W)


def cutout(X, size=8, fill=0, generator=None):
    """Set a ``size`` x ``size`` square (centre uniform over the image, clipped) to ``fill``."""
    _check_batch(X)
    if not (isinstance(size, int) and size > 0):
        raise ValueError(f"size must be a positive int, got {size!r}")
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
    """Mixup: ``lam*X + (1-lam)*X[perm]``, lam ~ Beta(alpha, alpha); returns (Xm, y, y[perm], lam)."""
    _check_batch(X)
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    lam = _beta(alpha, generator)
    perm = torch.randperm(len(X), generator=generator).to(X.device)
    Xm = lam * X.float() + (1 - lam) * X[perm].float()
    return Xm, y, y[perm], lam


def _beta(alpha, generator=None):
    """A Beta(alpha, alpha) sample, reproducible from the torch ``generator``."""
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return float(np.random.default_rng(seed).beta(alpha, alpha))


def mixup_loss(logits, y_a, y_b, lam, loss_fn=F.cross_entropy):
    """The Mixup loss ``lam*loss(y_a) + (1-lam)*loss(y_b)``."""
    return lam * loss_fn(logits, y_a) + (1 - lam) * loss_fn(logits, y_b)


def mixup_targets(y_a, y_b, lam, num_classes):
    """Soft targets ``lam*onehot(y_a) + (1-lam)*onehot(y_b)`` (same loss as ``mixup_loss`` for CE)."""
    return lam * F.one_hot(y_a, num_classes).float() + (1 - lam) * F.one_hot(y_b, num_classes).float()


class AlternatingFlipBatches:
    """Shuffled mini-batches of uint8/float ``(X, y)`` with airbench's alternating flip.

    A random half of the images is mirrored in even epochs and the other half in odd epochs,
    so every two consecutive epochs show each image both ways; independent random flips show
    the same view twice in a row half of the time. Pass it to ``fit`` as the training data
    (and use ``Augment(flip=False, ...)`` for the rest of the augmentation).
    """

    def __init__(self, X, y, batch_size=512, seed=None):
        if len(X) != len(y):
            raise ValueError(f"X and y differ in length: {len(X)} vs {len(y)}")
        if not (isinstance(batch_size, int) and batch_size > 0):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        _check_batch(X)
        self.X, self.y, self.batch_size = X, y, batch_size
        self.gen = torch.Generator().manual_seed(0 if seed is None else seed)
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
    """Batch augmentation for ``fit``: flip, crop (padding), Cutout and Mixup, in that order."""

    def __init__(self, flip=True, crop=4, crop_mode="reflect", cutout=0, mixup=0.0,
                 num_classes=10, seed=None):
        self.flip, self.crop, self.crop_mode = flip, crop, crop_mode
        self.cutout, self.mixup, self.num_classes = cutout, mixup, num_classes
        self.gen = torch.Generator().manual_seed(seed) if seed is not None else None

    def __call__(self, X, y):
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
