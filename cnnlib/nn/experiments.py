"""Small training experiments of chapters 5-6, each as data; the figures are in
``cnnlib.figures.experiments``.

- batch norm: per-step loss with and without BN at several learning rates
  (``bn_lr_runs`` / ``bn_lr_figure``);
- dropout: train and validation accuracy (eval mode) per epoch for several drop rates and seeds,
  the final models' test accuracy (``dropout_runs`` / ``dropout_figure`` / ``dropout_table``).

Training goes through ``cnnlib.nn.train.fit``; every run starts from ``set_seed(seed)``.
"""
import numpy as np
import torch
from tqdm.auto import tqdm

from . import models as M
from ..checks import check_int, check_ints, check_numbers
from ..torch_checks import check_tensor_pair
from .train import evaluate, fit
from ..utils import set_seed

__all__ = ["bn_lr_runs", "dropout_runs", "dropout_table"]


def bn_lr_runs(train, test, lrs, epochs=2, batch_size=64, widths=(16, 32, 64), seed=0,
               device=None):
    """SimpleCNN with and without BN, plain SGD at each lr: per-step loss and test accuracy.

    Returns ``{(lr, batch_norm): {"loss": array, "test_acc": float}}``.

    本書: 第5章
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


def dropout_runs(train, val, ps, seeds=(0,), hidden=(512, 512), epochs=30, lr=3e-4, batch_size=64,
                 eval_every=1, test=None, device=None):
    """An MLP for every dropout rate p and seed: train and validation accuracy/loss (eval mode).

    Both splits are measured after every ``eval_every``-th epoch and after the last one. The
    validation split is for choosing p; ``test`` (optional) is evaluated once, on the final model.
    Returns ``{(p, seed): {"epoch", "train_acc", "train_loss", "val_acc", "val_loss" (arrays),
    "test_acc", "test_loss" (floats, None without ``test``), "model"}}``.

    本書: 第6章
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

    本書: 第6章
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


_DROPOUT_KEYS = ("epoch", "train_acc", "val_acc", "val_loss", "test_acc", "test_loss")


def _check_runs(runs, keys, maker, name="runs"):
    """Raise unless ``runs`` is a non-empty dict of results with ``keys``, as ``maker`` returns."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"{name} must be the non-empty dict that {maker} returns; got {runs!r:.60}")
    for key, r in runs.items():
        if not (isinstance(r, dict) and set(keys) <= set(r)):
            raise ValueError(f"{name}[{key!r}] must hold {list(keys)}, as {maker} returns")
