"""Small training experiments of chapters 4-6, each as data plus a figure function.

- gradient flow: per-layer weight-gradient norms of a plain net against the same net
  with residual connections (``grad_flow_runs`` / ``grad_flow_figure``);
- batch norm: per-step loss with and without BN at several learning rates
  (``bn_lr_runs`` / ``bn_lr_figure``);
- dropout: train (eval mode) and test accuracy per epoch for several drop rates
  (``dropout_runs`` / ``dropout_figure`` / ``dropout_table``).

Training goes through ``cnnlib.train.fit``; every run starts from ``set_seed(seed)``.
"""
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from . import models as M
from . import viz  # noqa: F401  (Japanese font)
from .checks import check_int, check_number
from .scratch import smooth as moving_average
from .torch_checks import check_module, check_tensor_pair
from .train import evaluate, fit
from .utils import set_seed

__all__ = ["weight_grad_norms", "grad_flow_runs", "grad_flow_figure", "bn_lr_runs",
           "bn_lr_figure", "dropout_runs", "dropout_figure", "dropout_table"]

PLAIN, RESIDUAL = "プレーン", "残差接続あり"


def weight_grad_norms(model):
    """Gradient norm of every conv/linear weight on the main path, input side first."""
    check_module(model)
    return [p.grad.norm().item() for name, p in model.named_parameters()
            if p.dim() > 1 and "shortcut" not in name and p.grad is not None]


def grad_flow_runs(X, y, depth=56, widths=(8, 16, 32), steps=50, batch_size=32, lr=0.05,
                   seed=0, device=None):
    """Train a plain and a residual CIFAR-style ResNet for ``steps`` SGD steps on (X, y).

    Returns ``{name: {"loss": [...], "norms": {step: [...]}}}`` with the weight-gradient
    norms at the first and the last step (float32, no autocast).
    """
    if check_int(depth, "depth", 8, kind="an int 6n + 2") < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 (8, 14, 20, ..., 56); got {depth!r}")
    X, y = check_tensor_pair((X, y), "(X, y)")
    steps, batch_size = check_int(steps, "steps", 1), check_int(batch_size, "batch_size", 1)
    check_number(lr, "lr", 0, open_min=True)
    if len(X) < steps * batch_size:
        raise ValueError(f"need steps * batch_size = {steps * batch_size} images; got {len(X)}")
    n = (depth - 2) // 6
    runs = {}
    for residual in (False, True):
        set_seed(seed)
        model = M.ResNet((n,) * 3, widths, num_classes=10, in_channels=X.shape[1], stem="cifar",
                         residual=residual)
        record = {"loss": [], "norms": {}}

        def on_batch(info, record=record):
            record["loss"].append(info["loss"])
            if info["step"] in (0, steps - 1):
                record["norms"][info["step"]] = weight_grad_norms(info["model"])

        fit(model, (X[:steps * batch_size], y[:steps * batch_size]), epochs=1,
            batch_size=batch_size, optimizer=lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
            amp=None, seed=seed, on_batch=on_batch, device=device)
        runs[RESIDUAL if residual else PLAIN] = record
    return runs


def grad_flow_figure(runs, depth):
    """Per-layer gradient norms at the first and last step, and the loss, plain vs residual."""
    _check_runs(runs, ("loss", "norms"), "grad_flow_runs")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    colors = {PLAIN: "#c62828", RESIDUAL: "#1565c0"}
    steps = len(next(iter(runs.values()))["loss"])
    for ax, step, title in [(axes[0], 0, "初期化直後"), (axes[1], steps - 1, f"{steps} ステップ目")]:
        for name, rec in runs.items():
            g = rec["norms"][step]
            ax.plot(range(1, len(g) + 1), g, marker=".", color=colors[name], label=name)
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
    axes[2].legend()
    fig.tight_layout()
    return fig


def bn_lr_runs(train, test, lrs, epochs=2, batch_size=64, widths=(16, 32, 64), seed=0,
               device=None):
    """SimpleCNN with and without BN, plain SGD at each lr: per-step loss and test accuracy.

    Returns ``{(lr, batch_norm): {"loss": array, "test_acc": float}}``.
    """
    check_tensor_pair(train, "train")
    check_tensor_pair(test, "test")
    lrs = _numbers(lrs, "lrs", 0, open_min=True)
    results = {}
    grid = [(lr, bn) for lr in lrs for bn in (False, True)]
    for lr, bn in tqdm(grid, desc="学習"):
        set_seed(seed)
        model = M.SimpleCNN(train[0].shape[1], widths, batch_norm=bn,
                            input_size=train[0].shape[-1])
        losses = []
        hist = fit(model, train, test, epochs=epochs, batch_size=batch_size, seed=seed,
                   device=device, progress=False,
                   optimizer=lambda p, lr=lr: torch.optim.SGD(p, lr=lr),
                   on_batch=lambda info, losses=losses: losses.append(info["loss"]))
        results[lr, bn] = dict(loss=np.array(losses), test_acc=hist["test_acc"][-1])
    return results


def bn_lr_figure(results, smooth=20):
    """One panel per learning rate: moving-average training loss with and without BN."""
    _check_runs(results, ("loss", "test_acc"), "bn_lr_runs")
    smooth = check_int(smooth, "smooth", 1)
    lrs = sorted({lr for lr, _ in results})
    fig, axes = plt.subplots(1, len(lrs), figsize=(5.5 * len(lrs), 3.6), sharey=True,
                             squeeze=False)
    for ax, lr in zip(axes[0], lrs):
        for bn, color in ((False, "#c62828"), (True, "#1565c0")):
            r = results[lr, bn]
            note = "、発散して損失が NaN" if np.isnan(r["loss"]).any() else ""
            ax.plot(np.arange(smooth, len(r["loss"]) + 1), moving_average(r["loss"], smooth),
                    color=color,
                    label=f"BN {'あり' if bn else 'なし'}（テスト精度 {r['test_acc']:.3f}{note}）")
        ax.set(title=f"学習率 {lr}", xlabel="ステップ", ylim=(0, 3))
        ax.legend(fontsize=9)
    axes[0, 0].set_ylabel(f"訓練損失（{smooth} ステップ移動平均）")
    fig.suptitle("BN の有無と学習率による収束の違い（MNIST）")
    fig.tight_layout()
    return fig


def dropout_runs(train, test, ps, hidden=(512, 512), epochs=30, lr=3e-4, batch_size=64, seed=0,
                 device=None):
    """MLP with each dropout rate p: per-epoch train accuracy/loss (eval mode) and test ones.

    Returns ``{p: {"train_acc", "train_loss", "test_acc", "test_loss"}}`` (arrays).
    """
    check_tensor_pair(train, "train")
    check_tensor_pair(test, "test")
    ps = _numbers(ps, "ps", 0, 1, open_max=True)
    runs = {}
    for p in tqdm(ps, desc="ドロップアウト率"):
        set_seed(seed)
        model = M.MLP(int(np.prod(train[0].shape[1:])), hidden, 10, dropout=p)
        rows = []
        hist = fit(model, train, test, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                   device=device, progress=False,
                   on_epoch=lambda e, h, m, rows=rows: rows.append(evaluate(m, train)) and False)
        runs[p] = dict(train_acc=np.array([r["acc"] for r in rows]),
                       train_loss=np.array([r["loss"] for r in rows]),
                       test_acc=np.array(hist["test_acc"]), test_loss=np.array(hist["test_loss"]))
    return runs


def dropout_table(runs, last=5):
    """{p: {"train", "test", "gap", "loss"}}: accuracies and test loss averaged over ``last`` epochs."""
    _check_runs(runs, ("train_acc", "test_acc", "test_loss"), "dropout_runs")
    epochs = min(len(r["test_acc"]) for r in runs.values())
    last = check_int(last, "last", 1, epochs)                  # [-0:] would average every epoch
    return {p: dict(train=float(r["train_acc"][-last:].mean()),
                    test=float(r["test_acc"][-last:].mean()),
                    gap=float((r["train_acc"] - r["test_acc"])[-last:].mean()),
                    loss=float(r["test_loss"][-last:].mean())) for p, r in runs.items()}


def dropout_figure(runs, title):
    """Accuracy (train dashed, test solid), train-test gap and test loss per epoch, per p."""
    _check_runs(runs, ("train_acc", "test_acc", "test_loss"), "dropout_runs")
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for i, (p, r) in enumerate(runs.items()):
        e = np.arange(1, len(r["test_acc"]) + 1)
        c = f"C{i}"
        axes[0].plot(e, r["train_acc"], color=c, ls="--")
        axes[0].plot(e, r["test_acc"], color=c, label=f"p = {p}")
        axes[1].plot(e, r["train_acc"] - r["test_acc"], color=c, label=f"p = {p}")
        axes[2].plot(e, r["test_loss"], color=c, label=f"p = {p}")
    axes[0].set(title="精度（破線: 訓練、実線: テスト）", ylim=(0.8, 1.005))
    axes[1].set(title="訓練精度 − テスト精度（過学習の度合い）")
    axes[2].set(title="テスト損失")
    for ax in axes:
        ax.set_xlabel("エポック")
        ax.legend(fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_runs(runs, keys, maker):
    """Raise unless ``runs`` is a non-empty dict of results with ``keys``, as ``maker`` returns."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be the non-empty dict that {maker} returns; got {runs!r:.60}")
    for name, r in runs.items():
        if not (isinstance(r, dict) and set(keys) <= set(r)):
            raise ValueError(f"runs[{name!r}] must hold {list(keys)}, as {maker} returns")


def _numbers(values, name, *bounds, **kw):
    """``values`` (unchanged) if it is a non-empty list of numbers that pass
    ``check_number(v, ..., *bounds, **kw)``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a non-empty list of numbers; got {values!r}")
    for i, v in enumerate(values):
        check_number(v, f"{name}[{i}]", *bounds, **kw)
    return values
