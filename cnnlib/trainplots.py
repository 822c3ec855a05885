"""Figures for image-classification training: sample grids, curves, confusion matrices.

Images are uint8 (or [0, 1] float) tensors N x 3 x H x W; each is drawn exactly once.
Titles and labels are Japanese (importing cnnlib sets the font).
"""
import matplotlib.pyplot as plt
import numpy as np
import torch


def _hwc(img):
    """A C x H x W image tensor as an H x W x C array in [0, 1] for imshow."""
    img = torch.as_tensor(img).detach().cpu()
    img = img.float() / 255 if img.dtype == torch.uint8 else img.float().clamp(0, 1)
    return img.permute(1, 2, 0).numpy()


def class_grid(X, y, classes, per_class=8, title=None, seed=0):
    """``per_class`` random images of every class, one row per class."""
    g = torch.Generator().manual_seed(seed)
    K = len(classes)
    fig, axes = plt.subplots(K, per_class, figsize=(per_class * 0.9, K * 0.95))
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
    """Grouped bars of class counts for several label tensors (e.g. train and test)."""
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
    """A grid of images from ``{row label: [images...]}`` (each image drawn once)."""
    names = list(rows)
    ncol = max(len(v) for v in rows.values())
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
    """Loss and accuracy per epoch (train dashed, test solid) for ``{label: History}``."""
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict {label: History}")
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
    """Heatmap of a confusion matrix (rows: true class, columns: prediction), row-normalised."""
    cm = torch.as_tensor(cm).double()
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
    """A labelled bar chart (values printed on the bars)."""
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
    """The first ``n`` images, each drawn once, titled 'prediction (true)' in green or red."""
    n = min(n, len(X))
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
    ``chance`` (e.g. ln K, the loss of a uniform guess) as a dashed line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    ok = np.isfinite(losses)
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
    ends with an x at the top edge, at its first non-finite step."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for i, (label, norms) in enumerate(runs.items()):
        n = np.asarray(norms, float)
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
