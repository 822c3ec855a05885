"""NumPy reference ops for CNNs: forward and backward, NCHW layout.

Every op accepts float32 or float64 arrays and returns that dtype; integer and bool
arrays are promoted to float64, float16 to float32. ``kernel_size``, ``stride``,
``padding`` and ``dilation`` take an int or an ``(h, w)`` pair of ints.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..checks import check_array, check_bool, check_number
from ..checks import check_int as _int
from ..checks import check_pair as _pair

__all__ = [
    "conv_output_size", "conv2d_naive", "conv2d", "conv2d_backward", "im2col", "col2im",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "batch_norm2d", "batch_norm2d_backward", "dropout", "dropout_backward",
]


# ---------------------------------------------------------------- validation
_LAYOUTS = {"x": "(N, C, H, W)", "w": "(F, C, KH, KW)", "b": "(F,)",
            "dy": "(N, C, OH, OW)", "cols": "(N, C*KH*KW, OH*OW)"}


def _array(x, name, ndim=None):
    """``x`` as a float32/float64 ndarray (int/bool -> float64, float16 -> float32)."""
    return check_array(x, name, ndim, _LAYOUTS.get(name, ""))


def _out_len(n, k, p, s, d, what):
    """floor((n + 2p - d(k-1) - 1) / s) + 1, or a ValueError when the kernel does not fit."""
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        dil = f" with dilation {d}" if d != 1 else ""
        raise ValueError(
            f"{what}: a kernel of {k}{dil} spans {span} pixels but the padded input has only "
            f"{n} + 2*{p} = {n + 2 * p}; allowed: dilation*(kernel_size-1)+1 <= size + 2*padding "
            f"(use a smaller kernel or dilation, or more padding)")
    return (n + 2 * p - span) // s + 1


def conv_output_size(size, kernel_size, padding=0, stride=1, dilation=1):
    """Output length along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1, as PyTorch.

    本書: 第1章、第2章、第4章
    """
    n, k = _int(size, "size", 1), _int(kernel_size, "kernel_size", 1)
    p, s, d = _int(padding, "padding", 0), _int(stride, "stride", 1), _int(dilation, "dilation", 1)
    return _out_len(n, k, p, s, d, f"kernel_size={k} does not fit into size={n}")


def _geometry(x_shape, kernel_size, stride, padding, dilation, kname="kernel_size", xname="x"):
    """Checked (kh, kw), (sh, sw), (ph, pw), (dh, dw) and output size (oh, ow)."""
    k, s, p, d = (_pair(kernel_size, "kernel_size"), _pair(stride, "stride"),
                  _pair(padding, "padding", 0), _pair(dilation, "dilation"))
    if min(x_shape[2:]) < 1:
        raise ValueError(f"{xname} must have height and width >= 1; got shape {tuple(x_shape)}")
    ref = f"{xname}.shape" if xname == "x" else xname
    out = tuple(_out_len(n, *args, f"{kname} does not fit into {xname} along {axis} "
                                    f"({ref}[{i}]={n})")
                for i, axis, n, args in zip((2, 3), "HW", x_shape[2:], zip(k, p, s, d)))
    return k, s, p, d, out


# ---------------------------------------------------------------- im2col
def _windows(xp, k, s, d, out):
    """Read-only view (N, C, KH, KW, OH, OW) of every window of the padded input."""
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (*xp.shape[:2], *k, *out),
                      (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]), writeable=False)


def _pad(x, p, value=0.0):
    if p == (0, 0):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def _cols(x, geo, pad_value=0.0):
    """im2col for an already checked geometry ``geo``: (N, C*KH*KW, OH*OW), a new array."""
    k, s, p, d, out = geo
    windows = _windows(_pad(x, p, pad_value), k, s, d, out)             # (N, C, KH, KW, OH, OW)
    cols = np.empty((x.shape[0], x.shape[1] * k[0] * k[1], out[0] * out[1]), dtype=x.dtype)
    cols.reshape(windows.shape)[...] = windows                           # copy, never a view
    return cols


def _fold(cols, x_shape, geo):
    """col2im for an already checked geometry: add every column entry back onto its pixel."""
    (N, C, H, W), (k, s, p, d, out) = x_shape, geo
    cols = cols.reshape(N, C, *k, *out)
    xp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=cols.dtype)
    for i in range(k[0]):                                                # loop over kernel
        for j in range(k[1]):                                            # offsets, not pixels
            r, c = i * d[0], j * d[1]
            xp[:, :, r:r + s[0] * out[0]:s[0], c:c + s[1] * out[1]:s[1]] += cols[:, :, i, j]
    return xp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1, pad_value=0.0):
    """Unfold x (N, C, H, W) into columns (N, C*KH*KW, OH*OW), like torch's F.unfold.

    本書: 章のコードからは直接使いません
    """
    x = _array(x, "x", 4)
    return _cols(x, _geometry(x.shape, kernel_size, stride, padding, dilation), pad_value)


def _shape4(x_shape):
    """x_shape as a checked (N, C, H, W) tuple of ints."""
    kind = "an (N, C, H, W) tuple of non-negative ints"
    if not isinstance(x_shape, (tuple, list, np.ndarray)):
        raise TypeError(f"x_shape must be {kind}; got {x_shape!r} ({type(x_shape).__name__})")
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be {kind}; got {tuple(x_shape)} with {len(x_shape)} "
                         f"entries")
    return tuple(_int(v, "x_shape", 0, kind=kind, shown=tuple(x_shape)) for v in x_shape)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Fold columns back to x_shape, summing overlaps (the adjoint of im2col, torch's F.fold).

    本書: 章のコードからは直接使いません
    """
    cols, x_shape = _array(cols, "cols", 3), _shape4(x_shape)
    geo = _geometry(x_shape, kernel_size, stride, padding, dilation, xname="x_shape")
    (N, C, _, _), (k, _, _, _, out) = x_shape, geo
    expected = (N, C * k[0] * k[1], out[0] * out[1])
    if cols.shape != expected:
        raise ValueError(f"cols must have shape (N, C*KH*KW, OH*OW) = {expected} for "
                         f"x_shape={x_shape}; got {cols.shape}")
    return _fold(cols, x_shape, geo)


# ---------------------------------------------------------------- convolution
_W_KERNEL = "w's kernel (w.shape[2:])"


def _conv_args(x, w, b):
    """Checked x, w (and b), all cast to their common floating dtype."""
    x, w = _array(x, "x", 4), _array(w, "w", 4)
    if w.shape[0] < 1 or min(w.shape[2:]) < 1:
        raise ValueError(f"w must have at least one filter and a kernel of at least 1x1 "
                         f"(F, KH, KW >= 1 in (F, C, KH, KW)); got shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} channels (x.shape[1]) but "
                         f"w expects C={w.shape[1]} (w.shape[1]); they must be equal")
    dtype = np.result_type(x, w)
    if b is not None:
        b = _array(b, "b", 1)
        if b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter of w "
                             f"{w.shape}; got {b.shape}")
        dtype = np.result_type(dtype, b)
        b = b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """Cross-correlation with explicit loops: y[n,f,i,j] = sum(window * w[f]) + b[f].

    本書: 第1章
    """
    x, w, b = _conv_args(x, w, b)
    k, s, p, d, (OH, OW) = _geometry(x.shape, w.shape[2:], stride, padding, dilation, _W_KERNEL)
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


def _cols_batch(x, geo):
    """im2col with the batch inside the columns: (C*KH*KW, N*OH*OW), one product for all N."""
    k, s, p, d, out = geo
    windows = _windows(_pad(x, p), k, s, d, out)                         # (N, C, KH, KW, OH, OW)
    C, n = x.shape[1], x.shape[0]
    return windows.transpose(1, 2, 3, 0, 4, 5).reshape(C * k[0] * k[1], n * out[0] * out[1])


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Vectorised cross-correlation: im2col, then one matrix product Y = W X_col.

    The readable version the book describes; ``cnnlib.scratch.fast.conv2d`` computes the same
    in chunks on several threads.

    本書: 第1章
    """
    x, w, b = _conv_args(x, w, b)
    geo = _geometry(x.shape, w.shape[2:], stride, padding, dilation, _W_KERNEL)
    (N, F), out = (x.shape[0], w.shape[0]), geo[-1]
    W = w.reshape(F, -1)                                                 # (F, C*KH*KW)
    Y = W @ _cols_batch(x, geo)                                          # Y = W X_col, (F, N*OH*OW)
    y = np.ascontiguousarray(Y.reshape(F, N, *out).transpose(1, 0, 2, 3))
    if b is not None:
        y += b[:, None, None]                                            # + b per filter
    return y


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients (dx, dw, db) of conv2d given the upstream gradient dy (N, F, OH, OW).

    本書: 第1章
    """
    x, w, _ = _conv_args(x, w, None)
    geo = _geometry(x.shape, w.shape[2:], stride, padding, dilation, _W_KERNEL)
    (N, C, _, _), (F, _, KH, KW), out = x.shape, w.shape, geo[-1]
    dy = _conv_dy(dy, x, F, out)
    dY = dy.transpose(1, 0, 2, 3).reshape(F, -1)                         # (F, N*OH*OW)
    W = w.reshape(F, -1)                                                 # (F, C*KH*KW)
    dW = dY @ _cols_batch(x, geo).T                                      # dL/dW = dY X_col^T
    dX = (W.T @ dY).reshape(C, KH, KW, N, *out)                          # dL/dX_col = W^T dY
    dx = _fold(dX.transpose(3, 0, 1, 2, 4, 5), x.shape, geo)             # col2im
    db = dy.sum(axis=(0, 2, 3))                                          # dL/db = sum dY
    return dx, dW.reshape(w.shape), db


def _conv_dy(dy, x, F, out):
    """The upstream gradient checked against the output's shape (N, F, OH, OW), in x's dtype."""
    dy = _array(dy, "dy", 4)
    if dy.shape != (x.shape[0], F, *out):
        raise ValueError(f"dy must have the output's shape (N, F, OH, OW) = "
                         f"{(x.shape[0], F, *out)}; got {dy.shape}")
    return dy.astype(x.dtype, copy=False)


# ---------------------------------------------------------------- pooling
def _pool_args(x, kernel_size, stride, padding):
    """Checked x and pooling geometry; stride=None means stride=kernel_size."""
    x = _array(x, "x", 4)
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding", 0)
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(f"padding={padding!r} is too large for kernel_size={kernel_size!r}: "
                         f"pooling padding may be at most half the kernel "
                         f"(padding <= kernel_size // 2 along each axis)")
    return x, _geometry(x.shape, k, s, p, 1)


def _pool_cols(x, geo, pad_value):
    """Windows of each channel separately: (N*C, KH*KW, OH*OW)."""
    N, C, H, W = x.shape
    return _cols(x.reshape(N * C, 1, H, W), geo, pad_value)


def _pool_fold(dcols, x, geo):
    N, C, H, W = x.shape
    return _fold(dcols, (N * C, 1, H, W), geo).reshape(x.shape)


def _pool_dy(dy, x, out):
    dy = _array(dy, "dy", 4)
    expected = (*x.shape[:2], *out)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape (N, C, OH, OW) = {expected}; "
                         f"got {dy.shape}")
    return dy.astype(x.dtype, copy=False).reshape(x.shape[0] * x.shape[1], 1, out[0] * out[1])


def _winner(cols, hw, geo):
    """Index of each window's maximum, chosen as PyTorch does.

    The first maximum in the window; if the maximum is -inf (as low as the padding), the
    window's first real pixel; if the window holds NaN, its last NaN.
    """
    i = cols.argmax(axis=1)                                              # first maximum
    top = np.take_along_axis(cols, i[:, None], axis=1)[:, 0]
    if np.isneginf(top).any():
        first_real = _cols(np.ones((1, 1, *hw)), geo)[0].argmax(axis=0)
        i = np.where(np.isneginf(top), first_real, i)
    if np.isnan(top).any():
        last_nan = cols.shape[1] - 1 - np.isnan(cols[:, ::-1]).argmax(axis=1)
        i = np.where(np.isnan(top), last_nan, i)
    return i


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each window; padding counts as -inf, so it never wins.

    本書: 第1章、第2章
    """
    x, geo = _pool_args(x, kernel_size, stride, padding)
    cols = _pool_cols(x, geo, -np.inf)
    return cols.max(axis=1).reshape(*x.shape[:2], *geo[-1])


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Route each dy to one maximum of its window (the one PyTorch picks: the first).

    本書: 章のコードからは直接使いません
    """
    x, geo = _pool_args(x, kernel_size, stride, padding)
    dy = _pool_dy(dy, x, geo[-1])
    cols = _pool_cols(x, geo, -np.inf)
    dcols = np.zeros_like(cols)
    np.put_along_axis(dcols, _winner(cols, x.shape[2:], geo)[:, None], dy, axis=1)
    return _pool_fold(dcols, x, geo)                                     # sum over windows


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each window; zero padding is counted (PyTorch's count_include_pad=True).

    本書: 第2章
    """
    x, geo = _pool_args(x, kernel_size, stride, padding)
    return _pool_cols(x, geo, 0.0).mean(axis=1).reshape(*x.shape[:2], *geo[-1])


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Spread each dy evenly, dy / (KH*KW), over its window.

    本書: 章のコードからは直接使いません
    """
    x, geo = _pool_args(x, kernel_size, stride, padding)
    dy = _pool_dy(dy, x, geo[-1])
    kk = geo[0][0] * geo[0][1]
    dcols = np.broadcast_to(dy / kk, (dy.shape[0], kk, dy.shape[2]))
    return _pool_fold(dcols, x, geo)


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
        raise ValueError("running_mean and running_var must be given together (eval mode, "
                         "training=False, needs both); got only one, or neither")
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

    本書: 第5章
    """
    x, gamma, beta = _bn_args(x, gamma, beta)
    check_number(momentum, "momentum", 0, 1)
    check_number(eps, "eps", 0, open_min=True)
    check_bool(training, "training")
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

    本書: 第5章
    """
    x, gamma = _bn_args(x, gamma)
    check_number(eps, "eps", 0, open_min=True)
    check_bool(training, "training")
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

    本書: 第6章
    """
    x, p = _array(x, "x"), check_number(p, "p", 0, 1)
    check_bool(training, "training")
    if not training or p == 0:
        return x.copy(), np.ones_like(x)
    if p == 1:
        return np.zeros_like(x), np.zeros_like(x)
    if rng is None:
        u = np.random.random_sample(x.shape)
    elif isinstance(rng, np.random.Generator):
        u = rng.random(x.shape)
    else:
        seed = _int(rng, "rng", 0, kind="a numpy Generator, an int seed (>= 0) or None")
        u = np.random.default_rng(seed).random(x.shape)
    mask = (u >= p).astype(x.dtype) / (1.0 - p)                          # keep with prob 1-p
    return x * mask, mask


def dropout_backward(dy, mask):
    """Gradient of dropout: dx = dy * mask (the same zeros and the same 1/(1-p) scale).

    本書: 第6章
    """
    dy, mask = _array(dy, "dy"), _array(mask, "mask")
    if dy.shape != mask.shape:
        raise ValueError(f"dy and mask must have the same shape; got {dy.shape} and {mask.shape}")
    return dy * mask
