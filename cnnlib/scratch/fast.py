"""The fast path beside the reference ops: conv2d and conv2d_backward with the same API and
results as ``cnnlib.scratch.functional``, computed in chunks of the batch that run on several
threads. The benchmark against torch (``python -m cnnlib.tools.bench conv``) times it; the tests
check it against the reference.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from .functional import _W_KERNEL, _cols_batch, _conv_args, _conv_dy, _fold, _geometry

__all__ = ["conv2d", "conv2d_backward"]

_CHUNK_BYTES = 1 << 22       # im2col columns are built a few images at a time, about 4 MiB
_BLAS = []                   # threadpoolctl's handle on NumPy's BLAS, made on first use


def _map_batches(fn, N, per_image):
    """[fn(slice) for each chunk of the batch]: chunks of about _CHUNK_BYTES of im2col columns.

    When NumPy's BLAS may use several threads, the chunks run in that many Python threads
    instead, each BLAS call on one thread: the copies and col2im then run in parallel too,
    and no BLAS thread waits for a core that another process holds.
    """
    step = max(1, _CHUNK_BYTES // max(per_image, 1))
    chunks = [slice(n, n + step) for n in range(0, N, step)]
    if len(chunks) < 2:
        return [fn(n) for n in chunks]
    if not _BLAS:
        _BLAS.append(ThreadpoolController().select(user_api="blas"))
    workers = min(len(chunks), max([i["num_threads"] for i in _BLAS[0].info()], default=1))
    if workers < 2:
        return [fn(n) for n in chunks]
    with _BLAS[0].limit(limits=1), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, chunks))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """``functional.conv2d``, computed a few images at a time (on several threads if BLAS may use them).

    本書: 章のコードからは直接使いません
    """
    x, w, b = _conv_args(x, w, b)
    geo = _geometry(x.shape, w.shape[2:], stride, padding, dilation, _W_KERNEL)
    (N, F), L = (x.shape[0], w.shape[0]), geo[-1][0] * geo[-1][1]
    W = w.reshape(F, -1)                                                 # (F, C*KH*KW)
    y = np.empty((N, F, L), dtype=x.dtype)

    def chunk(n):                                                        # a few images
        Y = W @ _cols_batch(x[n], geo)                                   # Y = W X_col, (F, n*L)
        y[n] = Y.reshape(F, -1, L).transpose(1, 0, 2)
    _map_batches(chunk, N, W.shape[1] * L * x.itemsize)
    if b is not None:
        y += b[:, None]                                                  # + b per filter
    return y.reshape(N, F, *geo[-1])


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """``functional.conv2d_backward``, computed a few images at a time like ``conv2d``.

    本書: 章のコードからは直接使いません
    """
    x, w, _ = _conv_args(x, w, None)
    geo = _geometry(x.shape, w.shape[2:], stride, padding, dilation, _W_KERNEL)
    (N, C, _, _), (F, _, KH, KW), out = x.shape, w.shape, geo[-1]
    L = out[0] * out[1]
    dy = _conv_dy(dy, x, F, out).reshape(N, F, L)                        # (N, F, L)
    W = w.reshape(F, -1)                                                 # (F, C*KH*KW)
    dx = np.empty_like(x)

    def chunk(n):                                                        # a few images
        X = _cols_batch(x[n], geo)                                       # X_col, (CKK, n*L)
        dY = dy[n].transpose(1, 0, 2).reshape(F, -1)                     # (F, n*L), n >= 1
        dX = (W.T @ dY).reshape(C, KH, KW, dY.shape[1] // L, *out)       # dL/dX_col = W^T dY
        dx[n] = _fold(dX.transpose(3, 0, 1, 2, 4, 5), x[n].shape, geo)   # col2im
        return dY @ X.T                                                  # this chunk's dL/dW
    dW = sum(_map_batches(chunk, N, W.shape[1] * L * x.itemsize), np.zeros_like(W))
    db = dy.sum(axis=(0, 2))                                             # dL/db = sum dY
    return dx, dW.reshape(w.shape), db
