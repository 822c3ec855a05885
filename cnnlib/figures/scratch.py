"""Figures of the from-scratch chapter (3): training curves, filters and feature maps."""
import matplotlib.pyplot as plt
import numpy as np

from ..checks import check_array, check_int
from ..scratch.train import neighbour_correlation_per_filter, relative_change, smooth

__all__ = ["plot_history", "filter_mosaic", "plot_filter_mosaic", "plot_filters_before_after",
           "plot_maps", "digit_row", "show_digit"]


def plot_history(histories, steps_per_epoch, window=50):
    """Loss (smoothed per step) and validation accuracy per epoch for several runs.

    本書: 第3章
    """
    steps_per_epoch, window = check_int(steps_per_epoch, "steps_per_epoch", 1), check_int(
        window, "window", 1)
    if not isinstance(histories, dict) or not histories:
        raise TypeError(f"histories must be a non-empty dict {{name: history of fit}}; got "
                        f"{type(histories).__name__}")
    for name, h in histories.items():
        if not (isinstance(h, dict) and {"loss", "eval_step", "val_acc"} <= set(h)):
            raise ValueError(f"histories[{name!r}] must be a history returned by fit (with "
                             f"'loss', 'eval_step' and 'val_acc'); got {type(h).__name__}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, h in histories.items():
        loss = smooth(h["loss"], window)
        x = (np.arange(len(loss)) + min(window, len(h["loss"]))) / steps_per_epoch
        ax1.plot(x, loss, label=name)
        ax2.plot(np.asarray(h["eval_step"]) / steps_per_epoch, h["val_acc"], "o-", label=name)
    ax1.set(xlabel="エポック", ylabel="訓練損失（移動平均）", title="損失の推移", yscale="log")
    ax2.set(xlabel="エポック", ylabel="検証データの正解率", title="正解率の推移")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def filter_mosaic(W, max_in=8):
    """Filters (F, C, k, k) tiled into one image: rows = input channels, columns = filters.

    Each input channel's row is scaled by its largest |weight| to [-1, 1]; NaN separates tiles.

    本書: 章のコードからは直接使いません
    """
    W = check_array(W, "W", 4, "(F, C, k, k)").astype(np.float64)
    F_, C, kh, kw = W.shape
    C = min(C, check_int(max_in, "max_in", 1))
    out = np.full((C * (kh + 1) - 1, F_ * (kw + 1) - 1), np.nan)
    for c in range(C):
        lim = np.abs(W[:, c]).max() or 1.0
        for f in range(F_):
            out[c * (kh + 1):c * (kh + 1) + kh, f * (kw + 1):f * (kw + 1) + kw] = W[f, c] / lim
    return out


def plot_filter_mosaic(W, title, max_in=8):
    """Filters W (F, C, k, k) as one mosaic: a row per input channel (up to max_in), a column per filter.

    本書: 第3章
    """
    mosaic = filter_mosaic(W, max_in)
    F_, C = np.asarray(W).shape[0], min(np.asarray(W).shape[1], max_in)
    unit = 0.9 if C <= 2 else 0.55                       # single-row mosaics drawn larger
    fig, ax = plt.subplots(figsize=(min(unit * F_ + 0.6, 10), unit * C + 0.7))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_filters_before_after(W0, W, title, ncols=8):
    """The same single-channel filters before (W0) and after (W) training, (F, 1, k, k) each.

    Each block has one colour scale for all its filters (red = positive, blue = negative), stated
    in the block's title and its colour bar. Under every filter: its neighbour correlation
    (``neighbour_correlation_per_filter``), and after training also ``relative_change``.

    本書: 第3章
    """
    W0 = check_array(W0, "W0", 4, "(F, 1, k, k)", finite=True).astype(np.float64)
    W = check_array(W, "W", 4, "(F, 1, k, k)", finite=True).astype(np.float64)
    if W0.shape[1] != 1 or W.shape != W0.shape:
        raise ValueError(f"W0 and W must be single-channel filters (F, 1, k, k) of one shape; got "
                         f"{W0.shape} and {W.shape}")
    ncols = min(check_int(ncols, "ncols", 1), len(W))
    nrows = -(-len(W) // ncols)
    nc0, nc1 = neighbour_correlation_per_filter(W0), neighbour_correlation_per_filter(W)
    change = relative_change(W0, W)
    fig = plt.figure(figsize=(1.15 * ncols + 1.2, 2 * (1.25 * nrows + 0.4)))
    blocks = fig.subfigures(2, 1)
    cmap = plt.get_cmap("RdBu_r")
    for block, name, V, nc in ((blocks[0], "学習前", W0, nc0), (blocks[1], "学習後", W, nc1)):
        lim = float(np.abs(V).max()) or 1.0
        axes = block.subplots(nrows, ncols, squeeze=False,
                              gridspec_kw=dict(hspace=0.45, wspace=0.15, top=0.86, bottom=0.1))
        for ax in axes.flat:
            ax.axis("off")
        for f, ax in enumerate(axes.flat[:len(V)]):
            im = ax.imshow(V[f, 0], cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
            label = f"隣接 {nc[f]:.2f}" + (f"\n変化 {change[f]:.1f}" if V is W else "")
            ax.text(0.5, -0.06, label, transform=ax.transAxes, ha="center", va="top", fontsize=7.5)
        block.colorbar(im, ax=axes, shrink=0.8, pad=0.02)
        block.suptitle(f"{name}（色の目盛り ±{lim:.2g}、この段の全フィルタで共通）", fontsize=10)
    fig.suptitle(title, fontsize=11, y=1.02)
    return fig


def plot_maps(maps, title, ncols=8):
    """Feature maps (K, H, W) of one image as a grid, all on one grey scale (0, or the smallest
    value if negative, = black; the largest value in ``maps`` = white), each map labelled with its
    channel number above it.

    本書: 第3章
    """
    maps, ncols = check_array(maps, "maps", 3, "(K, H, W)"), check_int(ncols, "ncols", 1)
    nrows = -(-len(maps) // ncols)
    vmin = min(0.0, float(maps.min()))
    vmax = float(maps.max()) if maps.max() > vmin else vmin + 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.35 * nrows + 0.5), squeeze=False,
                             gridspec_kw=dict(hspace=0.3, wspace=0.15))
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, m) in enumerate(zip(axes.flat, maps)):
        ax.imshow(m, cmap="gray", vmin=vmin, vmax=vmax)
        ax.set_title(f"チャネル {k}", fontsize=8, pad=3)
    fig.suptitle(title, fontsize=10)
    return fig


def digit_row(X, y, idx):
    """The digits ``X[idx]`` (N, 1, H, W) in one row, each titled with its label ``y``.

    本書: 第3章
    """
    X, idx = check_array(X, "X", 4, "(N, 1, H, W)"), np.asarray(idx)
    if idx.ndim != 1 or not len(idx) or idx.dtype.kind not in "iu":
        raise ValueError(f"idx must be a 1-D array of at least one integer index; got {idx!r:.60}")
    fig, axes = plt.subplots(1, len(idx), figsize=(len(idx), 1.4), squeeze=False)
    for ax, i in zip(axes[0], idx):
        ax.imshow(X[i, 0], cmap="gray")
        ax.set_title(f"ラベル {y[i]}", fontsize=9)
        ax.axis("off")
    return fig


def show_digit(digit, title):
    """One small image (1, H, W) with its title.

    本書: 第3章
    """
    digit = check_array(digit, "digit", 3, "(1, H, W)")
    fig = plt.figure(figsize=(1.6, 1.6))
    plt.imshow(digit[0], cmap="gray")
    plt.title(title, fontsize=9)
    plt.axis("off")
    return fig
