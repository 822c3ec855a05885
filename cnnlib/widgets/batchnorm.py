"""Chapter 5 (batch normalization): the BN explorer.

Every combination of batch size and input scale is computed up front (NumPy), and the two
sliders switch nested ``Stack`` widgets through ``jslink``, so the saved page works without a
kernel.
"""
import base64
import io

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..scratch import functional as F
from ..checks import check_array, check_int, check_ints, check_numbers
from .. import figures  # noqa: F401  (sets the Japanese font for the figures below)
from .core import link_index

__all__ = ["BNExplorer", "bn_explorer"]


def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib Figure (made with matplotlib.figure.Figure, not pyplot).

    本書: 章のコードからは直接使いません
    """
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _bn_panels(pre, train, ev, spread, B, s, spread_lim):
    """Four histograms: before BN, after BN (train / eval), one image's output over batches."""
    fig = Figure(figsize=(11, 2.6))
    axes = fig.subplots(1, 4)
    panels = [(pre, "#757575", "BN前"), (train, "#1565c0", "BN後（訓練モード）"),
              (ev, "#e65100", "BN後（評価モード）"), (spread, "#2e7d32", "同じ画像の出力（バッチ違い）")]
    for ax, (v, color, title) in zip(axes, panels):
        ax.hist(v, bins=40, color=color, range=spread_lim if ax is axes[3] else None)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes[:3]:
        ax.set_yscale("log")
    axes[0].set_ylabel("個数（対数）", fontsize=8)
    axes[3].set_xlabel("画像 0 の BN 後の空間平均", fontsize=8)
    fig.suptitle(f"バッチサイズ {B}、入力スケール {s:g}", fontsize=11)
    fig.tight_layout()
    return fig


class BNExplorer(widgets.VBox):
    """Activation histograms before/after BN for a grid of batch sizes and input scales.

    Every combination is computed up front; the two sliders switch nested ``Stack``
    widgets through ``jslink``, so the saved page works without a kernel. Each batch
    size uses the same images at every scale, so only the scale differs between pages.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, pre, batch_sizes, scales, trials, seed):
        N, one = pre.shape[0], np.ones(1)
        mu, var = pre.mean(), pre.var()          # running statistics from scale-1 data
        draws = {}
        for B in batch_sizes:
            rng = np.random.default_rng([seed, B])
            draws[B] = (rng.choice(N, B, replace=False),
                        [np.r_[0, rng.choice(np.arange(1, N), B - 1, replace=False)]
                         for _ in range(trials)])
        self.stats, data = {}, {}
        for s in scales:
            for B in batch_sizes:
                batch = pre[draws[B][0]] * s
                y = F.batch_norm2d(batch, one, 0 * one)[0]
                y_eval = F.batch_norm2d(batch, one, 0 * one, mu * one, var * one, training=False)[0]
                spread = np.array([F.batch_norm2d(pre[idx] * s, one, 0 * one)[0][0].mean()
                                   for idx in draws[B][1]])
                st = {k: (float(v.mean()), float(v.std())) for k, v in
                      (("pre", batch), ("train", y), ("eval", y_eval))}
                st["spread"] = float(spread.std())
                self.stats[B, s], data[B, s] = st, (batch.ravel(), y.ravel(), y_eval.ravel(), spread)
        lim = max(np.abs(d[3]).max() for d in data.values()) * 1.05
        pages = [widgets.Stack([widgets.HTML(self._page(
            B, s, self.stats[B, s], _bn_panels(*data[B, s], B, s, (-lim, lim))))
            for B in batch_sizes], selected_index=0) for s in scales]
        self.pages = widgets.Stack(pages, selected_index=0)
        style = {"description_width": "initial"}
        self.batch_slider = widgets.SelectionSlider(
            options=[str(b) for b in batch_sizes], value=str(batch_sizes[0]),
            description="バッチサイズ", style=style, continuous_update=False)
        self.scale_slider = widgets.SelectionSlider(
            options=[f"{s:g}" for s in scales], value=f"{scales[0]:g}",
            description="入力のスケール", style=style, continuous_update=False)
        link_index(self.scale_slider, [self.pages])
        link_index(self.batch_slider, list(self.pages.children))
        super().__init__([widgets.HBox([self.batch_slider, self.scale_slider]), self.pages])

    @staticmethod
    def _page(B, s, st, fig):
        uri = "data:image/png;base64," + base64.b64encode(figure_png(fig, dpi=72)).decode()
        rows = "".join(
            f"<tr><td>{name}</td><td>{round(st[key][0], 3) + 0.0:.3f}</td>"
            f"<td>{st[key][1]:.3f}</td></tr>"
            for name, key in (("BN前", "pre"), ("BN後（訓練）", "train"), ("BN後（評価）", "eval")))
        return (f'<img src="{uri}" alt="バッチサイズ {B}、入力スケール {s:g} の活性化の分布" '
                f'style="max-width:100%">'
                f'<table class="cnnw-bn" style="font-size:13px"><tr><th></th><th>平均</th>'
                f"<th>標準偏差</th></tr>{rows}</table>"
                f'<div class="cnnw-sum">バッチサイズ {B}、入力スケール {s:g}: 画像 0 の BN 後の出力'
                f"（空間平均）は、一緒に入るバッチによって標準偏差 {st['spread']:.3f} だけ変わります。</div>")


    @property
    def displayed_html(self):
        """The HTML page now visible."""
        row = self.pages.children[self.pages.selected_index]
        return row.children[row.selected_index].value


def bn_explorer(images, batch_sizes=(2, 8, 32, 128), scales=(0.01, 1, 100), trials=40, seed=0):
    """BN explorer over ``images`` (N, 1, H, W), filtered by one fixed random 3x3 conv (no bias).

    For every batch size and input scale: histograms of the conv output before BN, after
    BN in training mode (batch statistics) and in eval mode (statistics estimated at scale
    1), and how much one image's output changes with the other images in its batch.

    本書: 第5章
    """
    x = check_array(images, "images", ndim=4, layout="(N, 1, H, W)", finite=True).astype(np.float64)
    if x.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W); got {x.shape}")
    batch_sizes = check_ints(batch_sizes, "batch_sizes", 2, len(x))
    scales = check_numbers(scales, "scales", 0, open_min=True)
    trials, seed = check_int(trials, "trials", 2), check_int(seed, "seed", 0)
    w = np.random.default_rng(seed).normal(0.0, np.sqrt(2 / 9), (1, 1, 3, 3))
    pre = F.conv2d(x, w, padding=1)
    return BNExplorer(pre, list(batch_sizes), list(scales), trials, seed)
