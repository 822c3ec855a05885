"""Convolution by its textbook definitions, named kernels, and the input gradient in closed form.

CNN layers compute a cross-correlation (``cnnlib.scratch.functional.conv2d``). This module holds the
pieces the convolution chapter compares it with: the true convolution (kernel flipped),
classic image kernels, and the two formulas for dL/dx discussed in the chapter.
"""
import numpy as np

from . import functional as F
from .pooling import shift
from ..checks import check_array, check_int, check_ints, check_pair

__all__ = ["KERNELS", "correlate2d", "convolve2d", "dilate", "conv2d_input_grad_full",
           "input_grad_stride1_formula", "kernel_index_matrix", "conv_matrix", "shift_equivariance"]

# Classic 3x3 kernels, written for cross-correlation (what conv layers compute).
KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "vertical_edge": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],      # Prewitt x: dark -> bright, left to right
    "horizontal_edge": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],    # Prewitt y: dark -> bright, top to bottom
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "l_shape": [[1, 0, 0], [1, 0, 0], [1, 1, 1]],
    "l_shape_pm": [[1, -1, -1], [1, -1, -1], [1, 1, 1]],     # zero-mean-ish: -1 off the L
}


def kernel(name):
    """A named kernel from KERNELS as a float64 (3, 3) array.

    本書: 第1章、第2章
    """
    if not isinstance(name, str) or name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; available: {sorted(KERNELS)}")
    return np.array(KERNELS[name], dtype=np.float64)


_LAYOUTS = {"x": "(H, W)", "k": "(KH, KW)", "w": "(KH, KW)", "dy": "(OH, OW)"}


def _matrix(a, name):
    a = check_array(a, name, 2, _LAYOUTS[name])
    if a.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {a.shape}")
    return a


def _valid_shape(x, k):
    OH, OW = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    if OH < 1 or OW < 1:
        raise ValueError(f"kernel {k.shape} is larger than the input {x.shape}; 'valid' mode "
                         "needs the kernel to fit inside the input")
    return OH, OW


def correlate2d(x, k):
    """2-D cross-correlation, 'valid' part, by definition: y[i,j] = sum_{m,n} x[i+m, j+n] k[m,n].

    本書: 第1章
    """
    x, k = _matrix(x, "x"), _matrix(k, "k")
    OH, OW = _valid_shape(x, k)
    y = np.zeros((OH, OW), dtype=np.result_type(x, k))
    for i in range(OH):
        for j in range(OW):
            for m in range(k.shape[0]):
                for n in range(k.shape[1]):
                    y[i, j] += x[i + m, j + n] * k[m, n]
    return y


def convolve2d(x, k):
    """True 2-D convolution, 'valid' part, by definition: y[I,J] = sum_{m,n} x[m,n] k[I-m, J-n].

    本書: 第1章
    """
    x, k = _matrix(x, "x"), _matrix(k, "k")
    OH, OW = _valid_shape(x, k)
    KH, KW = k.shape
    y = np.zeros((OH, OW), dtype=np.result_type(x, k))
    for i in range(OH):
        for j in range(OW):
            I, J = i + KH - 1, j + KW - 1          # index in the 'full' convolution
            for m in range(I - KH + 1, I + 1):     # all m with 0 <= I - m < KH
                for n in range(J - KW + 1, J + 1):
                    y[i, j] += x[m, n] * k[I - m, J - n]
    return y


def dilate(dy, stride):
    """Insert (stride - 1) zeros between neighbouring entries of dy (N, C, OH, OW) along H and W.

    本書: 章のコードからは直接使いません
    """
    dy = check_array(dy, "dy", 4, "(N, C, OH, OW)")
    s = check_pair(stride, "stride")
    N, C, OH, OW = dy.shape
    out = np.zeros((N, C, (OH - 1) * s[0] + 1, (OW - 1) * s[1] + 1), dtype=dy.dtype)
    out[:, :, ::s[0], ::s[1]] = dy
    return out


def conv2d_input_grad_full(dy, w, x_shape, stride=1, padding=0, dilation=1):
    """dL/dx as a 'full' cross-correlation of the stride-dilated dy with the 180-degree-rotated kernel.

    dx_pad[r, c] = sum_{m,n} dyd_pad[r + m*d, c + n*d] * rot180(w)[m, n], then the padding
    border is cut off. Rows/columns that floor() left unused get zero gradient.

    本書: 第1章
    """
    dy, w = check_array(dy, "dy", 4, "(N, F, OH, OW)"), check_array(w, "w", 4, "(F, C, KH, KW)")
    N, C, H, W = check_ints(x_shape, "x_shape", 1, length=4, kind="an (N, C, H, W) tuple of ints")
    s, p = check_pair(stride, "stride"), check_pair(padding, "padding", 0)
    d = check_pair(dilation, "dilation")
    out = [F.conv_output_size(n, k, pi, si, di)
           for n, k, pi, si, di in zip((H, W), w.shape[2:], p, s, d)]
    if dy.shape != (N, w.shape[0], *out) or w.shape[1] != C:
        raise ValueError(f"dy must have shape {(N, w.shape[0], *out)} and w C={C}; "
                         f"got dy {dy.shape}, w {w.shape}")
    span = [di * (k - 1) for di, k in zip(d, w.shape[2:])]
    unused = [n + 2 * pi - ((o - 1) * si + sp + 1)                 # rows dropped by floor()
              for n, pi, o, si, sp in zip((H, W), p, out, s, span)]
    dyd = dilate(dy, s)
    dyd = np.pad(dyd, ((0, 0), (0, 0), (span[0], span[0] + unused[0]),
                       (span[1], span[1] + unused[1])))
    w_rot = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)              # (C, F, KH, KW), rotated 180
    dx_pad = F.conv2d(dyd, w_rot, dilation=d)                      # (N, C, H + 2p, W + 2p)
    return dx_pad[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def input_grad_stride1_formula(dy, w, x_shape):
    """The formula dL/dX[i,j] = sum_{m,n} dL/dY[i-m, j-n] W[m,n], single channel, with bounds.

    Correct only for stride 1, padding 0, dilation 1: terms whose dY index falls outside
    the output are skipped (without that check, NumPy's negative indices would wrap around).

    本書: 第1章
    """
    dy, w = _matrix(dy, "dy"), _matrix(w, "w")
    H, W = check_ints(x_shape, "x_shape", 1, length=2, kind="an (H, W) pair of ints")
    dx = np.zeros((H, W), dtype=np.result_type(dy, w))
    for i in range(H):
        for j in range(W):
            for m in range(w.shape[0]):
                for n in range(w.shape[1]):
                    if 0 <= i - m < dy.shape[0] and 0 <= j - n < dy.shape[1]:
                        dx[i, j] += dy[i - m, j - n] * w[m, n]
    return dx


# ---------------------------------------------------------------- a convolution is a dense layer
def kernel_index_matrix(kernel_shape, input_shape):
    """Which kernel entry each weight of the equivalent dense layer is: (OH*OW, H*W) ints.

    A 'valid' stride-1 cross-correlation of an (H, W) input with a (KH, KW) kernel is the dense
    layer y = M x on the flattened input. Entry [i*OW + j, r*W + c] is m*KW + n when input pixel
    (r, c) = (i + m, j + n) lies in output (i, j)'s window, and -1 (a zero weight) otherwise.

    本書: 第1章
    """
    KH, KW = check_ints(kernel_shape, "kernel_shape", 1, length=2, kind="a (KH, KW) pair of ints")
    H, W = check_ints(input_shape, "input_shape", 1, length=2, kind="an (H, W) pair of ints")
    OH = F.conv_output_size(H, KH)
    OW = F.conv_output_size(W, KW)
    if OH * OW * H * W > 10 ** 7:
        raise ValueError(f"input_shape {(H, W)} would make a dense matrix of {OH * OW:,} x {H * W:,} "
                         f"weights; allowed: at most 10,000,000 (a small input such as (5, 5))")
    index = np.full((OH * OW, H * W), -1, dtype=np.int64)
    for i in range(OH):
        for j in range(OW):
            for m in range(KH):
                for n in range(KW):
                    index[i * OW + j, (i + m) * W + (j + n)] = m * KW + n
    return index


def conv_matrix(k, input_shape):
    """The dense weight matrix M (OH*OW, H*W) with M @ x.ravel() == conv2d(x, k).ravel().

    Every row holds the same KH*KW kernel values (weight sharing), placed on the pixels of one
    window; all other weights are 0 (locality).

    本書: 第1章
    """
    k = _matrix(k, "k")
    index = kernel_index_matrix(k.shape, input_shape)
    return np.where(index >= 0, k.ravel()[np.maximum(index, 0)], 0.0)


def shift_equivariance(x, k, dy, dx):
    """Convolve an image and its translation by (dy, dx); compare with the translated output.

    'valid' stride-1 cross-correlation. Returns a dict of (H, W) / (OH, OW) arrays: ``x``,
    ``x_shifted`` (zeros where nothing moved in), ``y`` = conv(x), ``y_shifted`` =
    conv(x_shifted), ``y_moved`` = y translated by (dy, dx), ``diff`` = y_shifted - y_moved, and
    ``interior``: the outputs whose window lies inside the moved image (it does not touch the
    blank band), where the two are equal by construction.

    本書: 第1章
    """
    x, k = _matrix(x, "x"), _matrix(k, "k")
    OH, OW = _valid_shape(x, k)
    H, W = x.shape
    dy = check_int(dy, "dy", -(H - 1), H - 1)
    dx = check_int(dx, "dx", -(W - 1), W - 1)
    xs = shift(x, dy, dx)
    y, ys = correlate2d(x, k), correlate2d(xs, k)
    ym = shift(y, dy, dx)
    rows = np.arange(OH)[:, None]
    cols = np.arange(OW)[None, :]
    interior = ((rows >= max(dy, 0)) & (rows + k.shape[0] <= H + min(dy, 0))
                & (cols >= max(dx, 0)) & (cols + k.shape[1] <= W + min(dx, 0)))
    return {"x": x, "x_shifted": xs, "y": y, "y_shifted": ys, "y_moved": ym, "diff": ys - ym,
            "interior": interior}
