"""Figures of chapter 5 (batch normalization).

本書: 第5章（バッチ正規化）.
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["running_stats_figure"]


def running_stats_figure(curves, true_mean, true_var):
    """Running mean and variance per step for ``{momentum: array (steps, 2)}`` against the true
    values (dashed).

    本書: 第5章
    """
    if not isinstance(curves, dict) or not curves:
        raise TypeError(f"curves must be a non-empty dict {{momentum: (steps, 2) array}}; got "
                        f"{curves!r:.60}")
    curves = {m: np.asarray(c, dtype=float) for m, c in curves.items()}
    for m, c in curves.items():
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"curves[{m!r}] must have shape (steps, 2): running mean and variance "
                             f"per step; got {c.shape}")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    panels = [(0, true_mean, "移動平均 running_mean"),
              (1, true_var, "移動分散 running_var")]
    for ax, (k, true, title) in zip(axes, panels):
        for momentum, c in curves.items():
            ax.plot(c[:, k], label=f"momentum = {momentum}")
        ax.axhline(true, color="k", ls="--", lw=1, label="真の値")
        ax.set(xlabel="ステップ", title=title)
        ax.legend(fontsize=9)
    fig.suptitle("移動統計量は指数移動平均で真の値に近づく")
    fig.tight_layout()
    return fig
