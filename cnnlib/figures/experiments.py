"""Figures of the small training experiments of chapters 4-6 (chapter 4 records its runs in the
page with the book's loop; chapters 5-6's come from cnnlib.nn.experiments)."""
import matplotlib.pyplot as plt
import numpy as np

from ..checks import check_int
from ..nn.experiments import _check_dropout_runs
from ..scratch.train import smooth as moving_average

__all__ = ["grad_flow_figure", "bn_lr_figure", "dropout_figure"]


def grad_flow_figure(runs, depth):
    """Per-layer gradient norms at the first and last step, and the loss, plain vs residual.

    ``runs`` is ``{name: {"loss": [loss per step], "norms": {step: [norm per layer]}}}`` for the
    two nets, the plain one first (drawn red) and the residual one second (blue), with the
    weight-gradient norms (input side first) recorded at step 0 and at the last step.

    本書: 第4章
    """
    steps = _check_grad_runs(runs)
    depth = check_int(depth, "depth", 1)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    colors = dict(zip(runs, ("#c62828", "#1565c0")))
    for ax, step, title in [(axes[0], 0, "初期化直後"), (axes[1], steps - 1, f"{steps} ステップ目")]:
        for name, rec in runs.items():
            norms = rec["norms"][step]
            ax.plot(range(1, len(norms) + 1), norms, marker=".", color=colors[name], label=name)
        ax.set(yscale="log", xlabel="層（入力側 → 出力側）", ylabel="重みの勾配のノルム",
               title=f"{depth} 層: {title}")
        ax.legend()
    for name, rec in runs.items():
        x = np.arange(1, steps + 1)
        axes[2].plot(x, rec["loss"], color=colors[name], alpha=0.25)
        k = min(5, steps)
        axes[2].plot(x[k - 1:], moving_average(rec["loss"], k), color=colors[name],
                     label=f"{name}（{k} ステップ移動平均）")
    axes[2].set(xlabel="ステップ", ylabel="訓練損失（ミニバッチ）", title="損失の推移")
    axes[2].legend(loc="lower left")
    fig.tight_layout()
    return fig


def _check_grad_runs(runs):
    """The number of steps of ``runs`` after checking its layout (see ``grad_flow_figure``)."""
    layout = "{name: {'loss': [...], 'norms': {step: [...]}}} for a plain and a residual net"
    if not (isinstance(runs, dict) and len(runs) == 2):
        raise TypeError(f"runs must be a dict {layout}; got {runs!r:.60}")
    for name, rec in runs.items():
        if not (isinstance(rec, dict) and {"loss", "norms"} <= set(rec)
                and isinstance(rec["norms"], dict) and len(rec["loss"]) >= 1):
            raise ValueError(f"runs[{name!r}] must hold 'loss' (one value per step) and 'norms' "
                             f"({{step: [norm per layer]}}); got {rec!r:.60}")
        steps = len(rec["loss"])
        if set(rec["norms"]) != {0, steps - 1}:
            raise ValueError(f"runs[{name!r}]['norms'] must hold the first and the last step, "
                             f"{sorted({0, steps - 1})}, of its {steps} losses; got steps "
                             f"{sorted(rec['norms'])}")
    if len({len(rec["loss"]) for rec in runs.values()}) != 1:
        raise ValueError(f"runs must hold the same number of steps for both nets; got "
                         f"{[len(rec['loss']) for rec in runs.values()]}")
    return steps


def bn_lr_figure(runs, smooth=20):
    """One panel per learning rate: moving-average training loss with and without BN.

    ``runs`` is chapter 5's ``{(seed, lr, batch_norm): {"loss": per-step losses, "test_acc":
    float}}``; every seed is drawn (first seed solid, then dashed, dotted, ...), so the figure
    shows how much the runs differ.

    本書: 第5章
    """
    if not (isinstance(runs, dict) and runs
            and all(isinstance(k, tuple) and len(k) == 3 and isinstance(k[0], int) for k in runs)):
        raise TypeError(f"runs must be a non-empty dict {{(seed, lr, batch_norm): record}} (int "
                        f"seeds) as chapter 5's loop builds it; got {runs!r:.60}")
    for key, r in runs.items():
        if not (isinstance(r, dict) and {"loss", "test_acc"} <= set(r)):
            raise ValueError(f"runs[{key!r}] must hold ['loss', 'test_acc']")
    smooth = check_int(smooth, "smooth", 1)
    seeds = list(dict.fromkeys(seed for seed, _, _ in runs))
    lrs = sorted({lr for _, lr, _ in runs})
    fig, axes = plt.subplots(1, len(lrs), figsize=(5.5 * len(lrs), 3.8 + 0.4 * len(seeds)),
                             sharey=True, squeeze=False)
    styles = ("-", "--", ":", "-.")
    for ax, lr in zip(axes[0], lrs):
        for seed, ls in zip(seeds, styles * len(seeds)):
            for bn, color in ((False, "#c62828"), (True, "#1565c0")):
                r = runs.get((seed, lr, bn))
                if r is None:
                    continue
                loss = np.asarray(r["loss"], float)
                note = "、発散して損失が NaN" if np.isnan(loss).any() else ""
                w = smooth if len(loss) >= smooth else 1     # fewer steps than the window: raw
                ax.plot(np.arange(w, len(loss) + 1), moving_average(loss, w), color=color, ls=ls,
                        label=f"BN {'あり' if bn else 'なし'}・シード {seed}（テスト正解率 "
                              f"{r['test_acc']:.3f}{note}）")
        ax.set(title=f"学習率 {lr}", xlabel="ステップ", ylim=(0, 3))
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25))  # below: no curve hidden
    axes[0, 0].set_ylabel(f"訓練損失（{smooth} ステップ移動平均）")
    fig.suptitle("BN の有無と学習率による収束の違い（MNIST）")
    fig.tight_layout()
    return fig


def dropout_figure(runs, title):
    """Per p, the mean over seeds (line) and the seeds' range (band) of: accuracy (train dashed,
    validation solid), train - validation accuracy, validation loss; one point per evaluation.
    ``runs`` is chapter 6's ``{(p, seed): {"epoch", "train_acc", "val_acc", "val_loss", ...}}``.

    本書: 第6章
    """
    _check_dropout_runs(runs)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ps = sorted({p for p, _ in runs})
    for i, p in enumerate(ps):
        rs = [r for (q, _), r in runs.items() if q == p]
        e, c = rs[0]["epoch"], f"C{i}"
        curves = [(axes[0], "train_acc", "--", None), (axes[0], "val_acc", "-", f"p = {p}"),
                  (axes[1], "gap", "-", f"p = {p}"), (axes[2], "val_loss", "-", f"p = {p}")]
        for ax, key, ls, label in curves:
            v = np.array([np.subtract(r["train_acc"], r["val_acc"]) if key == "gap" else r[key]
                          for r in rs], dtype=float)
            ax.plot(e, v.mean(0), color=c, ls=ls, label=label)
            ax.fill_between(e, v.min(0), v.max(0), color=c, alpha=0.15, lw=0)
    lowest = min(min(np.min(r["train_acc"]), np.min(r["val_acc"])) for r in runs.values())
    axes[0].set(title="正解率（破線: 訓練、実線: 検証）", ylim=(np.floor(lowest * 100 - 0.5) / 100, 1.005))
    axes[1].set(title="訓練正解率 − 検証正解率（過学習の度合い）")
    axes[2].set(title="検証損失")
    for ax in axes:
        ax.set_xlabel("エポック")
        ax.legend(fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
