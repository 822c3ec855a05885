"""Chapter 1's pictures of the geometry and the NumPy pieces behind them: the dense matrix that
equals a convolution, translation equivariance, the drawn output grids and the 3-D blocks."""
import itertools
import re

import matplotlib
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from cnnlib.figures import geometry as G
from cnnlib.scratch import convmath as CM
from cnnlib.scratch import functional as F


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- the dense matrix
@pytest.mark.parametrize("H, W, KH, KW", [(4, 4, 3, 3), (5, 5, 3, 3), (6, 4, 2, 3), (3, 7, 1, 2),
                                          (5, 5, 5, 5)])
def test_conv_matrix_times_flat_input_is_the_convolution(H, W, KH, KW):
    rng = np.random.default_rng(H * 100 + W * 10 + KH)
    x, k = rng.normal(size=(H, W)), rng.normal(size=(KH, KW))
    M = CM.conv_matrix(k, (H, W))
    y = F.conv2d(x[None, None], k[None, None])[0, 0]
    assert M.dtype == np.float64 and M.shape == (y.size, H * W)
    np.testing.assert_allclose(M @ x.ravel(), y.ravel(), rtol=0, atol=1e-12)
    ref = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None])
    np.testing.assert_allclose(M @ x.ravel(), ref.numpy().ravel(), rtol=0, atol=1e-12)


def test_conv_matrix_is_local_and_shares_the_kernel():
    k = np.arange(1.0, 10.0).reshape(3, 3)
    M = CM.conv_matrix(k, (5, 5))
    index = CM.kernel_index_matrix((3, 3), (5, 5))
    assert (M != 0).sum() == 9 * 9 and (index >= 0).sum() == 81        # 9 outputs x 9 weights
    for row, idx in zip(M, index):
        assert sorted(row[row != 0]) == list(k.ravel())                # every row: the same 9 values
        assert sorted(idx[idx >= 0]) == list(range(9))
    # the first output reads pixels (0..2, 0..2) of the 5x5 input
    assert list(np.nonzero(M[0])[0]) == [0, 1, 2, 5, 6, 7, 10, 11, 12]


# ---------------------------------------------------------------- equivariance
@pytest.mark.parametrize("dy, dx", [(0, 0), (2, 3), (-1, 4), (3, -2), (-2, -2), (0, 5)])
def test_shift_equivariance_is_exact_inside(dy, dx):
    rng = np.random.default_rng(7)
    x, k = rng.normal(size=(12, 10)), rng.normal(size=(3, 3))
    m = CM.shift_equivariance(x, k, dy, dx)
    inside = m["interior"]
    assert inside.shape == m["y"].shape == (10, 8) and inside.any()
    assert np.array_equal(m["y_shifted"][inside], m["y_moved"][inside])     # bit for bit
    assert np.array_equal(m["diff"][inside], np.zeros(inside.sum()))
    # the output of the shifted input is the output read (dy, dx) back, inside
    for i, j in zip(*np.nonzero(inside)):
        assert m["y_shifted"][i, j] == m["y"][i - dy, j - dx]
    if (dy, dx) == (0, 0):
        assert inside.all()


def test_shift_equivariance_breaks_only_at_the_blank_band():
    x = np.ones((8, 8))
    m = CM.shift_equivariance(x, np.ones((3, 3)), 2, 0)
    # rows 0-1 of the shifted input are blank; outputs 0 and 1 straddle it and differ
    assert np.array_equal(np.nonzero(m["diff"].any(axis=1))[0], [0, 1])
    assert np.array_equal(np.nonzero(~m["interior"].all(axis=1))[0], [0, 1])


# ---------------------------------------------------------------- the drawn grids
SETTINGS = [(n, k, p, s, d) for n, k, p, s, d in itertools.product(range(3, 9), (1, 2, 3), (0, 1, 2),
                                                                   (1, 2, 3), (1, 2))
            if n + 2 * p >= d * (k - 1) + 1]


def _output_cells(fig):
    """Number of cells drawn in the output grid (right axes)."""
    return sum(isinstance(r, matplotlib.patches.Rectangle) for r in fig.axes[1].patches)


@pytest.mark.parametrize("n, k, p, s, d", SETTINGS[::7])
def test_drawn_output_grid_has_conv_output_size_cells(n, k, p, s, d):
    o = F.conv_output_size(n, k, p, s, d)
    assert o == torch.nn.functional.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k),
                                           stride=s, padding=p, dilation=d).shape[-1]
    fig = G.conv_window_figure(n, k, p, s, d)
    assert _output_cells(fig) == o * o
    assert f"出力 {o}×{o}" in fig.axes[1].get_title()
    N = n + 2 * p
    window = [r for r in fig.axes[0].patches if r.get_facecolor()[:3] == matplotlib.colors.to_rgb(G.WINDOW)]
    assert len(window) == k * k
    assert sum(isinstance(r, matplotlib.patches.Rectangle) for r in fig.axes[0].patches) == N * N + k * k + 1           # cells, taps, the window's frame


def test_hatched_cells_are_the_ones_no_window_reads():
    fig = G.conv_window_figure(6, 3, 0, 2)           # the floor case: the last row and column unused
    cells = fig.axes[0].patches[:36]
    hatched = {(int(r.get_y()), int(r.get_x())) for r in cells if r.get_hatch()}
    assert hatched == {(5, c) for c in range(6)} | {(r, 5) for r in range(6)}


def test_animation_has_one_frame_per_output_and_small_offline_html():
    anim = G.conv_window_animation(5, 3, 1, 2)
    assert len(list(anim.new_frame_seq())) == 9
    html = G.animation_html(anim)
    assert html.count("data:image/png;base64") == 9
    assert len(html) < 1_000_000
    assert "</script" in html                # an ordinary HTML output with a script element
    assert "maxcdn" in anim.to_jshtml() and "maxcdn" not in html
    assert not re.search(r"(href|src)\s*=\s*[\"']?(https?:)?//", html)
    assert "再生</button>" in html and 'alt="畳み込みの窓が' in html and "出力 3×3" in html and "fa fa-" not in html and ">繰り返し</label>" in html


def test_volume_figure_labels_the_output_size():
    fig = G.conv_volume_figure(3, 7, 2, 3, stride=2)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"2×{F.conv_output_size(7, 3, 0, 2)}×{F.conv_output_size(7, 3, 0, 2)}" in texts
    assert "3×7×7" in texts and "各 3×3×3" in texts and "カーネル 2 個" in texts


def test_matrix_and_equivariance_figures_draw():
    fig = G.conv_matrix_figure(np.arange(1.0, 10.0).reshape(3, 3), (4, 4))
    assert len(fig.axes[1].patches) == 4 * 16
    m = CM.shift_equivariance(np.random.default_rng(0).normal(size=(9, 9)), np.ones((3, 3)), 1, 2)
    fig = G.equivariance_figure(m, (1, 2))
    assert "最大 |差| = 0" in fig.axes[4].get_title()
