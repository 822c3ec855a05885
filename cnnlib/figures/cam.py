"""Figures of chapter 8 (where does a CNN look?): heatmap overlays, filters, feature maps."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..checks import check_int, check_number
from ..nn.cam import filters_rgb

__all__ = ["overlay", "plot_filters", "plot_feature_maps", "plot_overlays", "sanity_cascade_plot"]


# ---------------------------------------------------------------- overlay

def _as_hwc(image):
    """An RGB image as float ndarray (H, W, 3) from (H, W, 3) or (3, H, W), array or tensor."""
    img = image.detach().cpu().numpy() if torch.is_tensor(image) else np.asarray(image)
    if img.ndim == 3 and img.shape[0] == 3 and img.shape[-1] != 3:
        img = img.transpose(1, 2, 0)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise ValueError(f"image must be RGB of shape (H, W, 3) or (3, H, W), got {img.shape}")
    return img.astype(np.float64)


def overlay(image, cam, alpha=0.5, cmap="jet"):
    """Blend an RGB float image in [0, 1] with a heatmap of ``cam`` (H, W) in [0, 1].

    本書: 章のコードからは直接使いません
    """
    img = _as_hwc(image)
    m = cam.detach().cpu().numpy() if torch.is_tensor(cam) else np.asarray(cam, dtype=float)
    if m.shape != img.shape[:2]:
        raise ValueError(f"cam shape {m.shape} must match the image's (H, W) {img.shape[:2]}")
    if img.min() < -1e-6 or img.max() > 1 + 1e-6:
        raise ValueError(f"image values must lie in [0, 1] (got {img.min():.3g}..{img.max():.3g}); "
                         f"undo the normalisation first")
    if not np.isfinite(img).all():
        raise ValueError("image values must be finite numbers in [0, 1]; got NaN or infinity")
    if not np.isfinite(m).all() or m.min() < -1e-6 or m.max() > 1 + 1e-6:
        raise ValueError("cam values must be finite and in [0, 1]")
    check_number(alpha, "alpha", 0, 1)
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colormap such as 'jet' or "
                         f"'viridis'; got {cmap!r}")
    heat = matplotlib.colormaps[cmap](np.clip(m, 0, 1))[..., :3]
    return np.clip((1 - alpha) * img + alpha * heat, 0, 1)


def _grid(nrows, ncols, size):
    check_number(size, "size", 0, open_min=True)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def plot_filters(weight, ncols=8, title=None, size=0.9):
    """The first-layer RGB filters as a grid of small images.

    本書: 第8章
    """
    img = filters_rgb(weight)
    nrows = -(-len(img) // check_int(ncols, "ncols", 1))
    fig, axes = _grid(nrows, ncols, size)
    for ax in axes.flat[len(img):]:
        ax.axis("off")
    for ax, f in zip(axes.flat, img):
        ax.imshow(f, interpolation="nearest")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(acts, n=8, image=None, size=1.2):
    """One row per layer: the first ``n`` channels of each (C, h, w) activation in ``acts``.

    本書: 第8章
    """
    if not isinstance(acts, dict) or not acts:
        raise TypeError(f"acts must be a non-empty dict name -> activation (C, h, w); got "
                        f"{type(acts).__name__ if not isinstance(acts, dict) else 'an empty dict'}")
    n = check_int(n, "n", 1)
    rows = list(acts.items())
    fig, axes = _grid(len(rows), n + (image is not None), size)
    for r, (name, a) in enumerate(rows):
        a = a.detach().cpu()
        if a.dim() != 3:
            raise ValueError(f"activation {name!r} must be (C, h, w), got {tuple(a.shape)}")
        if image is not None:
            if r == 0:
                axes[r, 0].imshow(_as_hwc(image))
                axes[r, 0].set_title("入力", fontsize=9)
            else:
                axes[r, 0].axis("off")
        for j in range(n):
            ax = axes[r, j + (image is not None)]
            if j < a.shape[0]:
                ax.imshow(a[j].numpy(), cmap="viridis")
            else:
                ax.axis("off")
        axes[r, int(image is not None)].set_title(f"{name}（{a.shape[1]}×{a.shape[2]}）",
                                                  loc="left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_overlays(images, columns, row_titles=None, alpha=0.5, size=1.5):
    """Grid: one row per image; the input, then one overlay column per (title -> maps (N, H, W)).

    本書: 第8章
    """
    imgs = [_as_hwc(im) for im in images]
    if not imgs or not isinstance(columns, dict):
        raise TypeError("images must hold at least one image and columns must be a dict "
                        "title -> maps (N, H, W)")
    for title, maps in columns.items():
        if len(maps) < len(imgs):
            raise ValueError(f"columns[{title!r}] must hold one map per image ({len(imgs)}); got "
                             f"{len(maps)}")
    if row_titles is not None and len(row_titles) != len(imgs):
        raise ValueError(f"row_titles must hold one title per image ({len(imgs)}); got "
                         f"{len(row_titles)}")
    fig, axes = _grid(len(imgs), 1 + len(columns), size)
    for i, img in enumerate(imgs):
        axes[i, 0].imshow(img, interpolation="nearest")
        if row_titles is not None:
            axes[i, 0].set_ylabel(row_titles[i], rotation=0, ha="right", va="center")
        for j, (title, maps) in enumerate(columns.items(), 1):
            axes[i, j].imshow(overlay(img, maps[i], alpha=alpha), interpolation="nearest")
            if i == 0:
                axes[i, j].set_title(title)
    axes[0, 0].set_title("入力")
    fig.tight_layout()
    return fig


def sanity_cascade_plot(cascade, chance):
    """Cascading randomization: the rank correlation with the trained model's maps after each
    step ``cascade = [(layers randomized so far, correlation, ...), ...]``, against ``chance``
    (the correlation of maps of different images).

    本書: 第8章
    """
    if not cascade or any(not (isinstance(c, (tuple, list)) and len(c) >= 2) for c in cascade):
        raise ValueError(f"cascade must be a non-empty list of (layer name, correlation, ...) "
                         f"rows; got {cascade!r:.60}")
    chance = check_number(chance, "chance", -1, 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(range(len(cascade)), [c[1] for c in cascade], "o-", label="元の地図との順位相関（中央値）")
    ax.axhline(chance, color="gray", ls="--", lw=1, label="基準：別の画像の地図との相関")
    ax.axhline(0, color="gray", lw=0.5)
    ax.legend(fontsize=8)
    ax.set_xticks(range(len(cascade)), [c[0] for c in cascade], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("順位相関")
    ax.set_xlabel("ここまでの層（上から）を乱数に置き換え")
    ax.set_title("カスケード型ランダム化による Grad-CAM のサニティチェック")
    ax.set_ylim(-0.5, 1.05)
    return fig
