"""Small training experiments of chapters 4-6, each as data plus a figure function.

- gradient flow: per-layer weight-gradient norms of a plain net against the same net
  with residual connections (``grad_flow_runs`` / ``grad_flow_figure``);
- batch norm: per-step loss with and without BN at several learning rates
  (``bn_lr_runs`` / ``bn_lr_figure``);
- dropout: train and validation accuracy (eval mode) per epoch for several drop rates and seeds,
  the final models' test accuracy (``dropout_runs`` / ``dropout_figure`` / ``dropout_table``).

Training goes through ``cnnlib.train.fit``; every run starts from ``set_seed(seed)``.
"""
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from . import models as M
from . import viz  # noqa: F401  (Japanese font)
from .checks import check_int, check_ints, check_number, check_numbers
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
    for residual in tqdm((False, True), desc=f"プレーン → 残差接続あり（シード {seed}）"):
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
            amp=None, seed=seed, on_batch=on_batch, device=device, progress=False)
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
    axes[2].legend(loc="lower left")
    fig.tight_layout()
    return fig


def bn_lr_runs(train, test, lrs, epochs=2, batch_size=64, widths=(16, 32, 64), seed=0,
               device=None):
    """SimpleCNN with and without BN, plain SGD at each lr: per-step loss and test accuracy.

    Returns ``{(lr, batch_norm): {"loss": array, "test_acc": float}}``.
    """
    check_tensor_pair(train, "train")
    check_tensor_pair(test, "test")
    lrs = check_numbers(lrs, "lrs", 0, open_min=True)
    results = {}
    grid = [(lr, bn) for lr in lrs for bn in (False, True)]
    for lr, bn in tqdm(grid, desc=f"学習率と BN の組み合わせ（シード {seed}）"):
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
    """One panel per learning rate: moving-average training loss with and without BN.

    ``results`` is ``{seed: bn_lr_runs(...)}``; every seed is drawn (first seed solid, then
    dashed, dotted, ...), so the figure shows how much the runs differ.
    """
    if not (isinstance(results, dict) and results
            and all(isinstance(seed, int) for seed in results)):
        raise TypeError(f"results must be a non-empty dict {{seed: bn_lr_runs(...)}} (int seeds); "
                        f"got {results!r:.60}")
    for seed, by_run in results.items():
        _check_runs(by_run, ("loss", "test_acc"), "bn_lr_runs", f"results[{seed}]")
    smooth = check_int(smooth, "smooth", 1)
    first = next(iter(results.values()))
    lrs = sorted({lr for lr, _ in first})
    fig, axes = plt.subplots(1, len(lrs), figsize=(5.5 * len(lrs), 3.8 + 0.4 * len(results)),
                             sharey=True, squeeze=False)
    styles = ("-", "--", ":", "-.")
    for ax, lr in zip(axes[0], lrs):
        for (seed, by_run), ls in zip(results.items(), styles * len(results)):
            for bn, color in ((False, "#c62828"), (True, "#1565c0")):
                r = by_run[lr, bn]
                note = "、発散して損失が NaN" if np.isnan(r["loss"]).any() else ""
                ax.plot(np.arange(smooth, len(r["loss"]) + 1), moving_average(r["loss"], smooth),
                        color=color, ls=ls,
                        label=f"BN {'あり' if bn else 'なし'}・シード {seed}（テスト正解率 "
                              f"{r['test_acc']:.3f}{note}）")
        ax.set(title=f"学習率 {lr}", xlabel="ステップ", ylim=(0, 3))
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25))  # below: no curve hidden
    axes[0, 0].set_ylabel(f"訓練損失（{smooth} ステップ移動平均）")
    fig.suptitle("BN の有無と学習率による収束の違い（MNIST）")
    fig.tight_layout()
    return fig


def dropout_runs(train, val, ps, seeds=(0,), hidden=(512, 512), epochs=30, lr=3e-4, batch_size=64,
                 eval_every=1, test=None, device=None):
    """An MLP for every dropout rate p and seed: train and validation accuracy/loss (eval mode).

    Both splits are measured after every ``eval_every``-th epoch and after the last one. The
    validation split is for choosing p; ``test`` (optional) is evaluated once, on the final model.
    Returns ``{(p, seed): {"epoch", "train_acc", "train_loss", "val_acc", "val_loss" (arrays),
    "test_acc", "test_loss" (floats, None without ``test``), "model"}}``.
    """
    check_int(eval_every, "eval_every", 1)
    seeds = check_ints(seeds, "seeds", 0)
    check_tensor_pair(train, "train")
    check_tensor_pair(val, "val")
    if test is not None:
        check_tensor_pair(test, "test")
    ps = check_numbers(ps, "ps", 0, 1, open_max=True)
    runs = {}
    for p, seed in tqdm([(p, s) for p in ps for s in seeds], desc="ドロップアウト率とシード"):
        set_seed(seed)
        model = M.MLP(int(np.prod(train[0].shape[1:])), hidden, 10, dropout=p)
        rec = {k: [] for k in ("epoch", "train_acc", "train_loss", "val_acc", "val_loss")}

        def on_epoch(epoch, hist, m, rec=rec):
            if epoch % eval_every == 0 or epoch == epochs:
                rec["epoch"].append(epoch)
                for split, data in (("train", train), ("val", val)):
                    r = evaluate(m, data)
                    rec[f"{split}_acc"].append(r["acc"])
                    rec[f"{split}_loss"].append(r["loss"])
            return False

        fit(model, train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
            progress=False, on_epoch=on_epoch)
        te = evaluate(model, test) if test is not None else {}
        runs[p, seed] = {**{k: np.array(v) for k, v in rec.items()}, "test_acc": te.get("acc"),
                         "test_loss": te.get("loss"), "model": model}
    return runs


def dropout_table(runs, last=1):
    """``{p: {"train", "val", "gap", "val_loss", "test", "test_loss": array over seeds}}``.

    Train/validation values are averaged over each run's ``last`` evaluations (``gap`` = train
    accuracy - validation accuracy); test values are the final model's (NaN without a test split).
    """
    _check_runs(runs, _DROPOUT_KEYS, "dropout_runs")
    evals = min(len(r["val_acc"]) for r in runs.values())
    last = check_int(last, "last", 1, evals)                   # [-0:] would average every one
    table = {}
    for (p, seed), r in runs.items():
        row = table.setdefault(p, {k: [] for k in ("train", "val", "gap", "val_loss", "test",
                                                   "test_loss")})
        row["train"].append(r["train_acc"][-last:].mean())
        row["val"].append(r["val_acc"][-last:].mean())
        row["gap"].append((r["train_acc"] - r["val_acc"])[-last:].mean())
        row["val_loss"].append(r["val_loss"][-last:].mean())
        row["test"].append(np.nan if r["test_acc"] is None else r["test_acc"])
        row["test_loss"].append(np.nan if r["test_loss"] is None else r["test_loss"])
    return {p: {k: np.array(v, dtype=float) for k, v in row.items()} for p, row in table.items()}


def dropout_figure(runs, title):
    """Per p, the mean over seeds (line) and the seeds' range (band) of: accuracy (train dashed,
    validation solid), train - validation accuracy, validation loss; one point per evaluation."""
    _check_runs(runs, _DROPOUT_KEYS, "dropout_runs")
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ps = sorted({p for p, _ in runs})
    for i, p in enumerate(ps):
        rs = [r for (q, _), r in runs.items() if q == p]
        e, c = rs[0]["epoch"], f"C{i}"
        curves = [(axes[0], "train_acc", "--", None), (axes[0], "val_acc", "-", f"p = {p}"),
                  (axes[1], "gap", "-", f"p = {p}"), (axes[2], "val_loss", "-", f"p = {p}")]
        for ax, key, ls, label in curves:
            v = np.array([r["train_acc"] - r["val_acc"] if key == "gap" else r[key] for r in rs])
            ax.plot(e, v.mean(0), color=c, ls=ls, label=label)
            ax.fill_between(e, v.min(0), v.max(0), color=c, alpha=0.15, lw=0)
    axes[0].set(title="正解率（破線: 訓練、実線: 検証）", ylim=(0.8, 1.005))
    axes[1].set(title="訓練正解率 − 検証正解率（過学習の度合い）")
    axes[2].set(title="検証損失")
    for ax in axes:
        ax.set_xlabel("エポック")
        ax.legend(fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_DROPOUT_KEYS = ("epoch", "train_acc", "val_acc", "val_loss", "test_acc", "test_loss")


def _check_runs(runs, keys, maker, name="runs"):
    """Raise unless ``runs`` is a non-empty dict of results with ``keys``, as ``maker`` returns."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"{name} must be the non-empty dict that {maker} returns; got {runs!r:.60}")
    for key, r in runs.items():
        if not (isinstance(r, dict) and set(keys) <= set(r)):
            raise ValueError(f"{name}[{key!r}] must hold {list(keys)}, as {maker} returns")
