"""NumPy reference ops for CNNs: forward and backward, NCHW layout.

Every op accepts float32 or float64 arrays (integer arrays are promoted to
float64) and returns the input's floating dtype. ``kernel_size``, ``stride``,
``padding`` and ``dilation`` take an int or an ``(h, w)`` pair.
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "conv_output_size", "conv2d_naive", "conv2d", "conv2d_backward", "im2col", "col2im",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "batch_norm2d", "batch_norm2d_backward", "dropout", "dropout_backward",
]


# ---------------------------------------------------------------- validation
def _int(value, name, minimum):
    """A Python int >= minimum, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int or a pair of ints; got {value!r}")
    if value < minimum:
        allowed = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {allowed} (>= {minimum}); got {value}")
    return int(value)


def _pair(value, name, minimum=1):
    """Normalise an int or an (h, w) pair to a tuple of two checked ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair; got {value!r}")
        return tuple(_int(v, name, minimum) for v in value)
    v = _int(value, name, minimum)
    return v, v


_LAYOUTS = {"x": "(N, C, H, W)", "w": "(F, C, KH, KW)", "b": "(F,)",
            "dy": "(N, C, OH, OW)", "cols": "(N, C*KH*KW, OH*OW)"}


def _array(x, name, ndim=None):
    """``x`` as a float32/float64 ndarray; integer and bool arrays become float64."""
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    elif x.dtype.kind != "f":
        raise TypeError(f"{name} must be a real numeric array; got dtype {x.dtype}")
    elif x.dtype.itemsize < 4:
        x = x.astype(np.float32)
    if ndim is not None and x.ndim != ndim:
        layout = _LAYOUTS.get(name, "")
        raise ValueError(f"{name} must be a {ndim}-D array {layout}; got shape {x.shape}")
    return x


def conv_output_size(size, kernel_size, padding=0, stride=1, dilation=1):
    """Output length along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1, as PyTorch."""
    size = _int(size, "size", 1)
    k = _int(kernel_size, "kernel_size", 1)
    p = _int(padding, "padding", 0)
    s = _int(stride, "stride", 1)
    d = _int(dilation, "dilation", 1)
    span = d * (k - 1) + 1
    if span > size + 2 * p:
        raise ValueError(
            f"kernel_size={k} with dilation={d} spans {span} pixels, larger than the padded "
            f"input ({size} + 2*{p} = {size + 2 * p}); use a smaller kernel or more padding")
    return (size + 2 * p - span) // s + 1


def _geometry(x_shape, kernel_size, stride, padding, dilation):
    """Checked (kh, kw), (sh, sw), (ph, pw), (dh, dw) and output size (oh, ow)."""
    k, s, p, d = (_pair(kernel_size, "kernel_size"), _pair(stride, "stride"),
                  _pair(padding, "padding", 0), _pair(dilation, "dilation"))
    out = tuple(conv_output_size(n, *args) for n, args in zip(x_shape[2:], zip(k, p, s, d)))
    return k, s, p, d, out


# ---------------------------------------------------------------- im2col
def _windows(xp, k, s, d, out):
    """Read-only view (N, C, KH, KW, OH, OW) of every window of the padded input."""
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (*xp.shape[:2], *k, *out),
                      (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]), writeable=False)


def _pad(x, p, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1, pad_value=0.0):
    """Unfold x (N, C, H, W) into columns (N, C*KH*KW, OH*OW), like torch's F.unfold."""
    x = _array(x, "x", 4)
    k, s, p, d, out = _geometry(x.shape, kernel_size, stride, padding, dilation)
    cols = _windows(_pad(x, p, pad_value), k, s, d, out)
    return cols.reshape(x.shape[0], x.shape[1] * k[0] * k[1], out[0] * out[1])


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Fold columns back to x_shape, summing overlaps (the adjoint of im2col, torch's F.fold)."""
    cols = _array(cols, "cols", 3)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W); got {tuple(x_shape)}")
    N, C, H, W = x_shape
    k, s, p, d, out = _geometry(x_shape, kernel_size, stride, padding, dilation)
    expected = (N, C * k[0] * k[1], out[0] * out[1])
    if cols.shape != expected:
        raise ValueError(f"cols must have shape {expected} for x_shape={tuple(x_shape)}; "
                         f"got {cols.shape}")
    cols = cols.reshape(N, C, *k, *out)
    xp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r, c = i * d[0], j * d[1]
            xp[:, :, r:r + s[0] * out[0]:s[0], c:c + s[1] * out[1]:s[1]] += cols[:, :, i, j]
    return xp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


# ---------------------------------------------------------------- convolution
def _conv_args(x, w, b):
    x, w = _array(x, "x", 4), _array(w, "w", 4)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} channels (x.shape[1]) but "
                         f"w expects C={w.shape[1]} (w.shape[1]); they must be equal")
    dtype = np.result_type(x, w)
    if b is not None:
        b = _array(b, "b", 1)
        if b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter; "
                             f"got {b.shape}")
        dtype = np.result_type(dtype, b)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """Cross-correlation with explicit loops: y[n,f,i,j] = sum(window * w[f]) + b[f]."""
    x, w, b = _conv_args(x, w, b)
    k, s, p, d, (OH, OW) = _geometry(x.shape, w.shape[2:], stride, padding, dilation)
    xp = _pad(x, p)
    y = np.zeros((x.shape[0], w.shape[0], OH, OW), dtype=x.dtype)
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            for i in range(OH):
                for j in range(OW):
                    r, c = i * s[0], j * s[1]
                    window = xp[n, :, r:r + d[0] * (k[0] - 1) + 1:d[0],
                                c:c + d[1] * (k[1] - 1) + 1:d[1]]
                    y[n, f, i, j] = np.sum(window * w[f]) + (0 if b is None else b[f])
    return y


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Vectorised cross-correlation: im2col, then one matrix product per image."""
    x, w, b = _conv_args(x, w, b)
    _, _, _, _, out = _geometry(x.shape, w.shape[2:], stride, padding, dilation)
    cols = im2col(x, w.shape[2:], stride, padding, dilation)          # (N, CKK, L)
    y = np.matmul(w.reshape(w.shape[0], -1), cols)                     # (N, F, L)
    if b is not None:
        y += b.astype(y.dtype)[:, None]
    return y.reshape(x.shape[0], w.shape[0], *out)


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients (dx, dw, db) of conv2d given the upstream gradient dy (N, F, OH, OW)."""
    x, w, _ = _conv_args(x, w, None)
    dy = _array(dy, "dy", 4)
    _, _, _, _, out = _geometry(x.shape, w.shape[2:], stride, padding, dilation)
    expected = (x.shape[0], w.shape[0], *out)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}; got {dy.shape}")
    dy = dy.astype(x.dtype, copy=False).reshape(*expected[:2], -1)     # (N, F, L)
    cols = im2col(x, w.shape[2:], stride, padding, dilation)           # (N, CKK, L)
    db = dy.sum(axis=(0, 2))                                           # dL/db = sum dy
    dw = np.matmul(dy, cols.transpose(0, 2, 1)).sum(axis=0)            # dL/dW = sum dy X^T
    dcols = np.matmul(w.reshape(w.shape[0], -1).T, dy)                 # dL/dX_col = W^T dy
    dx = col2im(dcols, x.shape, w.shape[2:], stride, padding, dilation)
    return dx, dw.reshape(w.shape), db


# ---------------------------------------------------------------- pooling
def _pool_args(x, kernel_size, stride, padding):
    """Checked pooling geometry; stride=None means stride=kernel_size."""
    x = _array(x, "x", 4)
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding", 0)
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(f"padding={padding} is too large for kernel_size={kernel_size}: "
                         f"pooling padding may be at most half the kernel (p <= k // 2)")
    return x, k, s, p


def _pool_cols(x, k, s, p, pad_value):
    """Windows of each channel separately: (N*C, KH*KW, OH*OW) plus the output size."""
    N, C, H, W = x.shape
    _, _, _, _, out = _geometry(x.shape, k, s, p, 1)
    return im2col(x.reshape(N * C, 1, H, W), k, s, p, 1, pad_value), out


def _pool_fold(cols, x, k, s, p):
    N, C, H, W = x.shape
    return col2im(cols, (N * C, 1, H, W), k, s, p).reshape(x.shape)


def _pool_dy(dy, x, out):
    dy = _array(dy, "dy", 4)
    expected = (*x.shape[:2], *out)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}; got {dy.shape}")
    return dy.astype(x.dtype, copy=False).reshape(x.shape[0] * x.shape[1], 1, -1)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each window; padding counts as -inf, so it never wins."""
    x, k, s, p = _pool_args(x, kernel_size, stride, padding)
    cols, out = _pool_cols(x, k, s, p, -np.inf)
    return cols.max(axis=1).reshape(*x.shape[:2], *out)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Route each dy to the first maximum of its window (PyTorch's choice on ties)."""
    x, k, s, p = _pool_args(x, kernel_size, stride, padding)
    cols, out = _pool_cols(x, k, s, p, -np.inf)
    dy = _pool_dy(dy, x, out)
    dcols = np.zeros_like(cols)
    np.put_along_axis(dcols, cols.argmax(axis=1)[:, None], dy, axis=1)
    return _pool_fold(dcols, x, k, s, p)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each window; zero padding is counted (PyTorch's count_include_pad=True)."""
    x, k, s, p = _pool_args(x, kernel_size, stride, padding)
    cols, out = _pool_cols(x, k, s, p, 0.0)
    return cols.mean(axis=1).reshape(*x.shape[:2], *out)


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Spread each dy evenly, dy / (KH*KW), over its window."""
    x, k, s, p = _pool_args(x, kernel_size, stride, padding)
    _, _, _, _, out = _geometry(x.shape, k, s, p, 1)
    dy = _pool_dy(dy, x, out)
    dcols = np.broadcast_to(dy / (k[0] * k[1]), (dy.shape[0], k[0] * k[1], dy.shape[2]))
    return _pool_fold(dcols, x, k, s, p)


# ---------------------------------------------------------------- batch normalization
def _bn_args(x, gamma, beta=None):
    """Checked x (N, C, H, W) and per-channel gamma (and beta) of shape (C,)."""
    x = _array(x, "x", 4)
    C = x.shape[1]
    out = [x]
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v is None and name == "beta":
            continue
        v = _array(v, name, 1)
        if v.shape != (C,):
            raise ValueError(f"{name} must have shape ({C},), one value per channel of x "
                             f"{x.shape}; got {v.shape}")
        out.append(v.astype(x.dtype, copy=False))
    return out


def _bn_running(running_mean, running_var, C, dtype):
    """Checked running statistics, each (C,), or a ValueError saying what is missing."""
    if running_mean is None or running_var is None:
        raise ValueError("eval mode (training=False) needs running_mean and running_var")
    stats = []
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        v = _array(v, name, 1)
        if v.shape != (C,):
            raise ValueError(f"{name} must have shape ({C},); got {v.shape}")
        stats.append(v.astype(dtype, copy=False))
    return stats


def _bn_stats(x):
    """Per-channel mean and biased variance over N, H, W (the statistics BN normalises with)."""
    return x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))


def _per_channel(v):
    return v[None, :, None, None]


def batch_norm2d(x, gamma, beta, running_mean=None, running_var=None, training=True,
                 momentum=0.1, eps=1e-5):
    """Per-channel BN over (N, H, W): y = gamma * (x - mu) / sqrt(var + eps) + beta.

    Returns ``(y, running_mean, running_var)``. Training normalises with the batch
    mean and biased variance and, if running statistics are given, returns them
    updated as torch does: ``r = (1 - momentum) * r + momentum * batch_stat``, where
    the variance that enters is unbiased (times n / (n - 1), n = N*H*W). Eval mode
    normalises with the running statistics and returns them unchanged.
    """
    x, gamma, beta = _bn_args(x, gamma, beta)
    if not (isinstance(momentum, numbers.Real) and 0.0 <= momentum <= 1.0):
        raise ValueError(f"momentum must be a number in [0, 1]; got {momentum!r}")
    if not (isinstance(eps, numbers.Real) and eps > 0):
        raise ValueError(f"eps must be a positive number; got {eps!r}")
    C = x.shape[1]
    if not training:
        mu, var = _bn_running(running_mean, running_var, C, x.dtype)
        y = (x - _per_channel(mu)) / np.sqrt(_per_channel(var) + eps)
        return _per_channel(gamma) * y + _per_channel(beta), running_mean, running_var
    n = x.shape[0] * x.shape[2] * x.shape[3]
    if n < 2:
        raise ValueError(f"training-mode BN needs more than one value per channel "
                         f"(N*H*W > 1); got x of shape {x.shape}")
    mu, var = _bn_stats(x)
    y = (x - _per_channel(mu)) / np.sqrt(_per_channel(var) + eps)
    if running_mean is not None or running_var is not None:
        rm, rv = _bn_running(running_mean, running_var, C, x.dtype)
        running_mean = (1 - momentum) * rm + momentum * mu
        running_var = (1 - momentum) * rv + momentum * var * n / (n - 1)
    return _per_channel(gamma) * y + _per_channel(beta), running_mean, running_var


def batch_norm2d_backward(dy, x, gamma, running_mean=None, running_var=None, training=True,
                          eps=1e-5):
    """Gradients (dx, dgamma, dbeta) of batch_norm2d given the upstream gradient dy.

    Training mode (batch statistics depend on x), with m = N*H*W and xh the normalised x:
    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xh * mean(dy * xh)), means per channel.
    Eval mode: dx = gamma * dy / sqrt(running_var + eps).
    """
    x, gamma = _bn_args(x, gamma)
    dy = _array(dy, "dy", 4)
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x {x.shape}; got {dy.shape}")
    dy = dy.astype(x.dtype, copy=False)
    if training:
        mu, var = _bn_stats(x)
    else:
        mu, var = _bn_running(running_mean, running_var, x.shape[1], x.dtype)
    inv_std = 1.0 / np.sqrt(_per_channel(var) + eps)
    xh = (x - _per_channel(mu)) * inv_std                                # normalised x
    dbeta = dy.sum(axis=(0, 2, 3))                                       # dL/dbeta = sum dy
    dgamma = (dy * xh).sum(axis=(0, 2, 3))                               # dL/dgamma = sum dy xh
    if not training:
        return _per_channel(gamma) * inv_std * dy, dgamma, dbeta
    dy_mean = dy.mean(axis=(0, 2, 3), keepdims=True)                     # through mu
    dyxh_mean = (dy * xh).mean(axis=(0, 2, 3), keepdims=True)           # through var
    dx = _per_channel(gamma) * inv_std * (dy - dy_mean - xh * dyxh_mean)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- dropout
def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p).

    Returns ``(y, mask)`` with ``y = x * mask``; ``mask`` holds 0 or 1/(1-p) (all ones in
    eval mode, where y = x). ``rng`` is a numpy Generator, an int seed, or None for
    NumPy's global generator (seeded by cnnlib.set_seed).
    """
    x = _array(x, "x")
    if not (isinstance(p, numbers.Real) and not isinstance(p, bool) and 0.0 <= p <= 1.0):
        raise ValueError(f"p must be a probability in [0, 1]; got {p!r}")
    if not training or p == 0:
        return x.copy(), np.ones_like(x)
    if p == 1:
        return np.zeros_like(x), np.zeros_like(x)
    if rng is None:
        u = np.random.random_sample(x.shape)
    elif isinstance(rng, np.random.Generator):
        u = rng.random(x.shape)
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        u = np.random.default_rng(rng).random(x.shape)
    else:
        raise TypeError(f"rng must be a numpy Generator, an int seed or None; got {rng!r}")
    mask = (u >= p).astype(x.dtype) / (1.0 - p)                          # keep with prob 1-p
    return x * mask, mask


def dropout_backward(dy, mask):
    """Gradient of dropout: dx = dy * mask (the same zeros and the same 1/(1-p) scale)."""
    dy, mask = _array(dy, "dy"), _array(mask, "mask")
    if dy.shape != mask.shape:
        raise ValueError(f"dy and mask must have the same shape; got {dy.shape} and {mask.shape}")
    return dy * mask
