"""Figures of chapter 2 (pooling): how much a one-pixel shift changes pooled maps.

本書: 第2章（プーリング）.
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["shift_change_bars", "pooling_views"]


def shift_change_bars(change, title="プーリングとずれへの頑健さ（MNIST）"):
    """Horizontal bars of ``{setting: mean relative change}``, the first setting on top.

    本書: 第2章
    """
    if not isinstance(change, dict) or not change:
        raise TypeError(f"change must be a non-empty dict {{setting: relative change}}; got "
                        f"{change!r:.60}")
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.barh(list(change)[::-1], list(change.values())[::-1], color="#1565c0")
    ax.set_xlabel("1画素右にずらしたときの相対変化（200枚の平均）")
    ax.set_title(title)
    return fig


def pooling_views(rows, columns):
    """Grid of images: one row per ``{name: image (1, 1, H, W)}``, one column per
    ``(title, pool)`` (``pool`` maps an image to its pooled image; None shows the input).

    本書: 第2章
    """
    if not isinstance(rows, dict) or not rows:
        raise TypeError(f"rows must be a non-empty dict {{name: image (1, 1, H, W)}}; got "
                        f"{rows!r:.60}")
    if not columns or any(not (isinstance(c, tuple) and len(c) == 2) for c in columns):
        raise ValueError(f"columns must be a non-empty list of (title, pool or None) pairs; got "
                         f"{columns!r:.60}")
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(2.2 * len(columns), 2.5 * len(rows)),
                             squeeze=False)
    for r, (name, img) in enumerate(rows.items()):
        for c, (title, f) in enumerate(columns):
            axes[r, c].imshow(np.asarray(f(img) if f else img)[0, 0], cmap="gray")
            axes[r, c].set_title(f"{name}\n{title}", fontsize=9)
            axes[r, c].axis("off")
    fig.tight_layout()
    return fig
