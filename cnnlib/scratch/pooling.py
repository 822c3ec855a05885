"""Small computations behind the pooling chapter: sizes, receptive fields, shifts, head sizes."""
import numpy as np

from . import functional as F
from ..checks import check_array, check_callable, check_int, check_ints, check_shape

__all__ = ["reduction_rate", "receptive_field", "shift", "pooled_change", "head_params",
           "winner_counts", "max_pool_grad_lesson"]


def reduction_rate(size, kernel_size, stride, padding=0):
    """(output side, fraction of values removed) when pooling a size x size map.

    本書: 第2章
    """
    out = F.conv_output_size(size, kernel_size, padding, stride)
    return out, 1 - out * out / (size * size)


def receptive_field(layers):
    """Receptive field and jump after each (name, kernel, stride) layer: r += (k-1) j, j *= s.

    本書: 第2章
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, (list, tuple)):
        raise TypeError(f"layers must be a list of (name, kernel, stride) rows; got {layers!r}")
    r, j, rows = 1, 1, []
    for i, row in enumerate(layers):
        if not (isinstance(row, (list, tuple)) and len(row) == 3):
            raise ValueError(f"layers[{i}] must be a (name, kernel, stride) row; got {row!r}")
        name, k, s = row
        k, s = check_int(k, f"layers[{i}] kernel", 1), check_int(s, f"layers[{i}] stride", 1)
        r, j = r + (k - 1) * j, j * s
        rows.append((name, r, j))
    return rows


def shift(x, dy, dx):
    """Translate the last two axes by (dy, dx) pixels, filling with zeros (no wrap-around).

    本書: 第2章
    """
    x, dy, dx = np.asarray(x), check_int(dy, "dy"), check_int(dx, "dx")
    if x.ndim < 2:
        raise ValueError(f"x must be at least 2-D (..., H, W); got shape {x.shape}")
    out = np.zeros_like(x)
    H, W = x.shape[-2:]
    if abs(dy) >= H or abs(dx) >= W:
        return out
    src = x[..., max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    out[..., max(dy, 0):H - max(-dy, 0), max(dx, 0):W - max(-dx, 0)] = src
    return out


def pooled_change(x, dy, dx, pool=None):
    """Relative change ||f(shift(x)) - f(x)|| / ||f(x)|| with f a pooling function (or identity).

    本書: 第2章
    """
    f = check_callable(pool, "pool", "a pooling function", none_ok=True) or (lambda a: a)
    a, b = f(x), f(shift(x, dy, dx))
    if not np.linalg.norm(a):
        raise ValueError("x must not be all zeros after pooling: the relative change "
                         "||f(shift(x)) - f(x)|| / ||f(x)|| divides by ||f(x)|| = 0")
    return float(np.linalg.norm(b - a) / np.linalg.norm(a))


def head_params(channels, height, width, classes, hidden=()):
    """Parameters of a flatten+FC head versus a GAP+FC head on a (C, H, W) feature map.

    本書: 第2章
    """
    channels, height = check_int(channels, "channels", 1), check_int(height, "height", 1)
    width, classes = check_int(width, "width", 1), check_int(classes, "classes", 1)
    hidden = check_ints(hidden, "hidden", 1, nonempty=False)

    def mlp(n_in):
        sizes = (n_in, *hidden, classes)
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return {"fc": mlp(channels * height * width), "gap": mlp(channels)}


def winner_counts(x, kernel_size, stride=None, padding=0):
    """How many windows each input position wins in max pooling (first maximum on ties).

    本書: 章のコードからは直接使いません
    """
    x = check_array(x, "x", 2, "(H, W)").astype(np.float64)
    ones = np.ones_like(F.max_pool2d(x[None, None], kernel_size, stride, padding))
    return F.max_pool2d_backward(ones, x[None, None], kernel_size, stride, padding)[0, 0]


def max_pool_grad_lesson(x, dz, kernel_size, stride):
    """A lesson's max-pool gradient taken literally: each X_mn gets dZ of *one* window.

    Every position equal to its window's maximum gets that window's dZ (ties all win), and a
    position in several windows keeps the last window's value instead of the sum.

    本書: 第2章
    """
    x = check_array(x, "x", 2, "(H, W)").astype(np.float64)
    dz = check_array(dz, "dz", 2, "(OH, OW)").astype(np.float64)
    k, s = check_int(kernel_size, "kernel_size", 1), check_int(stride, "stride", 1)
    check_shape(dz.shape, "dz", [F.conv_output_size(n, k, 0, s) for n in x.shape], "(OH, OW)")
    dx = np.zeros_like(x)
    for i in range(dz.shape[0]):
        for j in range(dz.shape[1]):
            win = x[i * s:i * s + k, j * s:j * s + k]
            dx[i * s:i * s + k, j * s:j * s + k][win == win.max()] = dz[i, j]
    return dx
