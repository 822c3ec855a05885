"""Figures for image-classification training: sample grids, curves, confusion matrices.

Images are uint8 (or [0, 1] float) tensors N x 3 x H x W; each is drawn exactly once.
Titles and labels are Japanese (importing cnnlib sets the font).
"""
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..checks import check_array, check_int, check_number
from ..torch_checks import check_tensor


def _images_labels(X, y, classes, name="y"):
    """Raise unless X is an image batch (N, C, H, W), y its N labels and classes their names."""
    check_tensor(X, "X", 4, "(N, C, H, W)")
    y = torch.as_tensor(y)
    if y.dim() != 1 or len(y) != len(X) or y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"{name} must hold one integer label per image of X ({len(X)}); got "
                         f"{y.dtype} of shape {tuple(y.shape)}")
    _labels_in(y, classes, name)
    return y


def _labels_in(y, classes, name):
    """Raise unless every label of y indexes ``classes`` (a non-empty list of names)."""
    if isinstance(classes, str) or not hasattr(classes, "__len__") or not len(classes):
        raise TypeError(f"classes must be a non-empty list of class names; got {classes!r:.60}")
    y = torch.as_tensor(y)
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels; got {y.dtype}")
    if y.numel() and not (0 <= int(y.min()) and int(y.max()) < len(classes)):
        raise ValueError(f"{name} must hold labels in [0, {len(classes) - 1}] (one per class "
                         f"name); got {int(y.min())}..{int(y.max())}")


def _hwc(img):
    """A C x H x W image tensor as an H x W x C array in [0, 1] for imshow."""
    img = torch.as_tensor(img).detach().cpu()
    img = img.float() / 255 if img.dtype == torch.uint8 else img.float().clamp(0, 1)
    return img.permute(1, 2, 0).numpy()


def class_grid(X, y, classes, per_class=8, title=None, seed=0):
    """``per_class`` random images of every class, one row per class.

    本書: 第7章
    """
    y = _images_labels(X, y, classes)
    per_class, seed = check_int(per_class, "per_class", 1), check_int(seed, "seed", 0)
    g = torch.Generator().manual_seed(seed)
    K = len(classes)
    fig, axes = plt.subplots(K, per_class, figsize=(per_class * 0.9, K * 0.95), squeeze=False)
    for k in range(K):
        idx = (y == k).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)[:per_class]]
        for j, ax in enumerate(axes[k]):
            ax.axis("off")
            if j < len(idx):
                ax.imshow(_hwc(X[idx[j]]))
        axes[k, 0].text(-4, 16, classes[k], ha="right", va="center", fontsize=9)
    fig.suptitle(title or "クラスごとのサンプル")
    fig.tight_layout()
    return fig


def class_balance(ys, classes, labels, title="クラスごとの枚数"):
    """Grouped bars of class counts for several label tensors (e.g. train and test).

    本書: 第7章
    """
    if not isinstance(ys, (list, tuple)) or not ys or len(ys) != len(labels):
        raise ValueError(f"ys must be a non-empty list of label tensors with one entry of labels "
                         f"each; got {len(ys) if hasattr(ys, '__len__') else ys!r} label "
                         f"tensors and {len(labels)} labels")
    for i, y in enumerate(ys):
        _labels_in(y, classes, f"ys[{i}]")
    fig, ax = plt.subplots(figsize=(8, 3))
    K, w = len(classes), 0.8 / len(ys)
    for i, (y, lab) in enumerate(zip(ys, labels)):
        ax.bar(np.arange(K) + i * w, torch.bincount(y, minlength=K).numpy(), w, label=lab)
    ax.set_xticks(np.arange(K) + w * (len(ys) - 1) / 2, classes, rotation=30)
    ax.set_ylabel("枚数")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def image_table(rows, col_titles=None, title=None, size=1.1):
    """A grid of images from ``{row label: [images...]}`` (each image drawn once).

    本書: 第7章
    """
    if not isinstance(rows, dict) or not rows or not all(len(v) for v in rows.values()):
        raise ValueError("rows must be a non-empty dict {row label: [images...]} with at least "
                         "one image per row")
    names = list(rows)
    ncol = max(len(v) for v in rows.values())
    if col_titles is not None and len(col_titles) < ncol:
        raise ValueError(f"col_titles must hold one title per column ({ncol}); got "
                         f"{len(col_titles)}")
    check_number(size, "size", 0, open_min=True)
    fig, axes = plt.subplots(len(names), ncol, figsize=(ncol * size + 1.2, len(names) * size),
                             squeeze=False)
    for i, name in enumerate(names):
        for j in range(ncol):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(rows[name]):
                ax.imshow(_hwc(rows[name][j]))
            else:
                ax.axis("off")
            if i == 0 and col_titles:
                ax.set_title(col_titles[j], fontsize=8)
        axes[i, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_curves(histories, title="学習曲線"):
    """Loss and accuracy per epoch (train dashed, test solid) for ``{label: History}``.

    本書: 第7章
    """
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict {label: History}")
    for lab, h in histories.items():
        if not (isinstance(h, dict) and {"epoch", "train_loss", "train_acc", "test_loss",
                                         "test_acc"} <= set(h)):
            raise TypeError(f"histories[{lab!r}] must be a History returned by fit; got "
                            f"{type(h).__name__}")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (lab, h) in enumerate(histories.items()):
        c = f"C{i}"
        a1.plot(h["epoch"], h["train_loss"], "--", color=c, label=f"{lab} 訓練")
        a2.plot(h["epoch"], h["train_acc"], "--", color=c, label=f"{lab} 訓練")
        if any(v is not None for v in h["test_loss"]):
            a1.plot(h["epoch"], h["test_loss"], "-o", ms=3, color=c, label=f"{lab} テスト")
            a2.plot(h["epoch"], h["test_acc"], "-o", ms=3, color=c, label=f"{lab} テスト")
    a1.set(xlabel="エポック", ylabel="損失", title="損失")
    a2.set(xlabel="エポック", ylabel="正解率", title="正解率")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_heatmap(cm, classes, title="混同行列", normalize=True):
    """Heatmap of a confusion matrix (rows: true class, columns: prediction), row-normalised.

    本書: 第7章
    """
    cm = torch.as_tensor(cm).double()
    if cm.dim() != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes) or (cm < 0).any():
        raise ValueError(f"cm must be a (K, K) matrix of counts with K = len(classes) = "
                         f"{len(classes)}; got shape {tuple(cm.shape)}")
    M = (cm / cm.sum(1, keepdim=True)).numpy() if normalize else cm.numpy()
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    im = ax.imshow(M, cmap="Blues", vmin=0, vmax=M.max())
    K = len(classes)
    for i in range(K):
        for j in range(K):
            v = f"{M[i, j]:.2f}" if normalize else f"{int(M[i, j])}"
            ax.text(j, i, v, ha="center", va="center", fontsize=7,
                    color="white" if M[i, j] > 0.5 * M.max() else "black")
    ax.set_xticks(range(K), classes, rotation=45, ha="right")
    ax.set_yticks(range(K), classes)
    ax.set(xlabel="予測クラス", ylabel="正解クラス", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def bar(values, labels, ylabel, title, fmt="{:.2f}", color="C0", ax=None):
    """A labelled bar chart (values printed on the bars).

    本書: 第7章
    """
    if len(values) != len(labels):
        raise ValueError(f"values and labels must have one entry per bar; got {len(values)} and "
                         f"{len(labels)}")
    try:
        [fmt.format(v) for v in values]
    except (AttributeError, ValueError, TypeError, IndexError, KeyError) as err:
        raise ValueError(f"fmt must be a format string for one number such as '{{:.2f}}'; got "
                         f"{fmt!r} ({err})") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    bars = ax.bar(range(len(values)), values, color=color)
    ax.set_xticks(range(len(values)), labels, rotation=30)
    for b, v in zip(bars, values):
        ax.text(b.get_x() + b.get_width() / 2, b.get_height(), fmt.format(v), ha="center",
                va="bottom", fontsize=8)
    ax.margins(y=0.15)                            # room above the tallest bar for its label
    ax.set(ylabel=ylabel, title=title)
    ax.figure.tight_layout()
    return ax.figure


def prediction_grid(X, y, pred, classes, n=16, ncols=8, title="予測結果（緑: 正解, 赤: 不正解）"):
    """The first ``n`` images, each drawn once, titled 'prediction (true)' in green or red.

    本書: 第7章
    """
    _images_labels(X, y, classes)
    _images_labels(X, pred, classes, "pred")
    n = min(check_int(n, "n", 1), len(X))
    ncols = check_int(ncols, "ncols", 1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 1.3, nrows * 1.8), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ok = int(pred[i]) == int(y[i])
            ax.imshow(_hwc(X[i]))
            ax.set_title(f"{classes[int(pred[i])]}\n({classes[int(y[i])]})", fontsize=8,
                         color="green" if ok else "red", pad=3)
    fig.suptitle(title)
    fig.tight_layout(h_pad=0.8)
    return fig


def _mark_divergence(ax, x, label, color="C3"):
    """An x marker at the top edge of ``ax`` at ``x``, for a value that is inf or NaN."""
    ax.plot([x], [1.0], "x", color=color, ms=10, mew=2, clip_on=False,
            transform=ax.get_xaxis_transform(), label=label)


def lr_sweep_plot(lrs, losses, chance=None, *, xlabel, ylabel, title, ax=None):
    """Final loss per learning rate (log x); diverged runs (NaN/inf) as x at the top edge,
    ``chance`` (e.g. ln K, the loss of a uniform guess) as a dashed line.

    本書: 第7章
    """
    lrs, losses = check_array(lrs, "lrs", ndim=1), check_array(losses, "losses", ndim=1)
    if lrs.shape != losses.shape or not len(lrs):
        raise ValueError(f"lrs and losses must be 1-D with one loss per learning rate; got shapes "
                         f"{lrs.shape} and {losses.shape}")
    if not (np.isfinite(lrs) & (lrs > 0)).all():
        raise ValueError(f"lrs must be positive finite numbers (a log axis); got {lrs.tolist()}")
    ok = np.isfinite(losses)
    if not ok.any():
        raise ValueError("losses must hold at least one finite loss (every run diverged: nothing "
                         "to pick the best of)")
    if chance is not None:
        chance = check_number(chance, "chance")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogx(lrs[ok], losses[ok], "o-", label="最後の損失")
    for i, x in enumerate(lrs[~ok]):
        _mark_divergence(ax, x, "発散（NaN）" if i == 0 else None)
    ax.set_xlim(lrs.min() / 2, lrs.max() * 2)
    if chance is not None:
        ax.axhline(chance, color="gray", ls="--", lw=1, label=f"当て推量の損失 {chance:.2f}")
    best = lrs[ok][np.argmin(losses[ok])]
    ax.axvline(best, color="C1", ls=":", label=f"最小: {best:g}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def grad_norm_plot(runs, *, title, ax=None):
    """Gradient norm per step for ``{label: norms}`` (log y); a run whose norm became inf/NaN
    ends with an x at the top edge, at its first non-finite step.

    本書: 第7章
    """
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict {{label: gradient norms}}; got {runs!r:.60}")
    norms = {}
    for label, n in runs.items():
        n = check_array(n, f"runs[{label!r}]")
        if n.ndim != 1 or not len(n):
            raise ValueError(f"runs[{label!r}] must be a 1-D sequence of norms, one per step; got "
                             f"shape {n.shape}")
        norms[label] = n
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for i, (label, n) in enumerate(norms.items()):
        bad = np.flatnonzero(~np.isfinite(n))
        end = bad[0] if len(bad) else len(n)
        ax.semilogy(np.arange(end), n[:end], lw=0.9, color=f"C{i}", label=label)
        if len(bad):
            _mark_divergence(ax, end, f"{label}: {end} ステップ目で inf/NaN", color=f"C{i}")
    ax.set(xlabel="ステップ", ylabel="勾配ノルム", title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def early_stopping_plot(history, best_epoch, stop_epoch, title):
    """Training and validation loss per epoch of a run trained to the end (``history`` from
    ``fit``), with the best epoch and the epoch where early stopping stopped.

    本書: 第7章
    """
    if not isinstance(history, dict) or not {"epoch", "train_loss", "test_loss"} <= set(history):
        raise TypeError(f"history must be fit's History with 'epoch', 'train_loss' and "
                        f"'test_loss'; got {history!r:.60}")
    best_epoch, stop_epoch = check_int(best_epoch, "best_epoch", 1), check_int(stop_epoch,
                                                                               "stop_epoch", 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(history["epoch"], history["train_loss"], "--", label="訓練損失")
    ax.plot(history["epoch"], history["test_loss"], "o-", ms=3, label="検証損失")
    ax.axvline(best_epoch, color="C2", ls=":", label=f"最良のエポック {best_epoch}")
    ax.axvline(stop_epoch, color="C3", ls="--", lw=1, label=f"早期終了で停止 {stop_epoch}")
    ax.set(xlabel="エポック", ylabel="損失", title=title)
    ax.legend(fontsize=8); ax.grid(alpha=0.3)
    return fig


def grad_norm_steps(norms, epochs, title="本編の学習中の勾配ノルム"):
    """Gradient norm per step of one run (log y), dotted lines between its ``epochs`` epochs.

    本書: 第7章
    """
    norms, epochs = check_array(norms, "norms", 1, "(steps,)"), check_int(epochs, "epochs", 1)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.semilogy(norms, lw=0.8)
    steps_per_epoch = len(norms) // epochs
    for e in range(1, epochs):
        ax.axvline(e * steps_per_epoch, color="gray", lw=0.5, ls=":")
    ax.set(xlabel="ステップ（点線はエポックの区切り）", ylabel="勾配ノルム", title=title)
    ax.grid(alpha=0.3)
    return fig


def architecture_panels(runs, names, suptitle):
    """Validation accuracy per epoch, test accuracy, parameters and MFLOP per image of several
    architectures, ``runs = {key: {'val_acc', 'test_acc', 'params', 'mflops'}}``, side by side.

    本書: 第7章
    """
    if not isinstance(runs, dict) or not runs or any(
            not {"val_acc", "test_acc", "params", "mflops"} <= set(r) for r in runs.values()):
        raise TypeError(f"runs must be a non-empty dict {{key: {{'val_acc', 'test_acc', 'params', "
                        f"'mflops'}}}}; got {runs!r:.60}")
    if len(names) != len(runs):
        raise ValueError(f"names must hold one name per run ({len(runs)}); got {len(names)}")
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    for name, r in zip(names, runs.values()):
        axes[0].plot(range(1, len(r["val_acc"]) + 1), r["val_acc"], "o-", ms=3, label=name)
    axes[0].set(xlabel="エポック", ylabel="検証正解率", title="検証正解率の推移")
    axes[0].legend(fontsize=8); axes[0].grid(alpha=0.3)
    bar([r["test_acc"] for r in runs.values()], names, "正解率", "テスト正解率（最後に1回）", ax=axes[1])
    bar([r["params"] / 1e3 for r in runs.values()], names, "千パラメータ", "パラメータ数", fmt="{:.0f}",
        color="C1", ax=axes[2])
    bar([r["mflops"] for r in runs.values()], names, "MFLOP/枚", "1枚あたりの計算量（順伝播）",
        fmt="{:.1f}", color="C2", ax=axes[3])
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def seed_bars(results, chance, ylabel, title):
    """One bar per method at the mean of its runs ``{method: [accuracy per seed]}``, a dot per
    run, and a dashed line at the ``chance`` level.

    本書: 第7章
    """
    if not isinstance(results, dict) or not results or any(not len(v) for v in results.values()):
        raise TypeError(f"results must be a non-empty dict {{method: [accuracy per seed]}}; got "
                        f"{results!r:.60}")
    chance = check_number(chance, "chance", 0, 1)
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for i, (method, accs) in enumerate(results.items()):
        ax.bar(i, np.mean(accs), color=f"C{i}", alpha=0.5)
        ax.plot([i] * len(accs), accs, "o", color=f"C{i}", ms=5)
        ax.text(i, max(accs) + 0.01, f"{np.mean(accs):.3f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(results)), list(results), rotation=15)
    ax.axhline(chance, color="gray", ls="--", lw=1, label=f"当て推量 {chance:g}")
    lo = min(min(v) for v in results.values())
    ax.set_ylim(min(chance - 0.05, lo - 0.05), 1.0)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8); ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
