"""Small training experiments of chapters 4-6, each as data; the figures are in
``cnnlib.figures.experiments``.

- gradient flow: per-layer weight-gradient norms of a plain net against the same net
  with residual connections (``grad_flow_runs`` / ``grad_flow_figure``);
- batch norm and dropout: chapters 5 and 6 write their runs out in the page around the book's
  training loop (``cnnlib.nn.loop.train``); here are only the table of the dropout runs
  (``dropout_table``); their figures are ``bn_lr_figure`` and ``dropout_figure``.

Training goes through ``cnnlib.nn.train.fit``; every run starts from ``set_seed(seed)``.
"""
import numpy as np
import torch
from tqdm.auto import tqdm

from . import models as M
from ..checks import check_int, check_number
from ..torch_checks import check_module, check_tensor_pair
from .train import fit
from ..utils import set_seed

__all__ = ["weight_grad_norms", "grad_flow_runs", "dropout_table"]

PLAIN, RESIDUAL = "プレーン", "残差接続あり"


def weight_grad_norms(model):
    """Gradient norm of every conv/linear weight on the main path, input side first.

    本書: 章のコードからは直接使いません
    """
    check_module(model)
    return [p.grad.norm().item() for name, p in model.named_parameters()
            if p.dim() > 1 and "shortcut" not in name and p.grad is not None]


def grad_flow_runs(X, y, depth=56, widths=(8, 16, 32), steps=50, batch_size=32, lr=0.05,
                   seed=0, device=None):
    """Train a plain and a residual CIFAR-style ResNet for ``steps`` SGD steps on (X, y).

    Returns ``{name: {"loss": [...], "norms": {step: [...]}}}`` with the weight-gradient
    norms at the first and the last step (float32, no autocast).

    本書: 第4章
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


def dropout_table(runs, last=1):
    """``{p: {"train", "val", "gap", "val_loss", "test": array over seeds}}`` of chapter 6's runs.

    ``runs`` is ``{(p, seed): {"epoch", "train_acc", "val_acc", "val_loss" (one value per
    evaluation), "test_acc" (the final model's, or None)}}``. Train/validation values are averaged
    over each run's ``last`` evaluations (``gap`` = train accuracy - validation accuracy); ``test``
    is the final model's (NaN where it is None).

    本書: 第6章
    """
    evals = _check_dropout_runs(runs)
    last = check_int(last, "last", 1, evals)                   # [-0:] would average every one
    table = {}
    for (p, seed), r in runs.items():
        row = table.setdefault(p, {k: [] for k in ("train", "val", "gap", "val_loss", "test")})
        train, val = np.asarray(r["train_acc"], float), np.asarray(r["val_acc"], float)
        row["train"].append(train[-last:].mean())
        row["val"].append(val[-last:].mean())
        row["gap"].append((train - val)[-last:].mean())
        row["val_loss"].append(np.asarray(r["val_loss"], float)[-last:].mean())
        row["test"].append(np.nan if r["test_acc"] is None else r["test_acc"])
    return {p: {k: np.array(v, dtype=float) for k, v in row.items()} for p, row in table.items()}


_DROPOUT_KEYS = ("epoch", "train_acc", "val_acc", "val_loss", "test_acc")


def _check_dropout_runs(runs):
    """Raise unless ``runs`` is chapter 6's ``{(p, seed): record}``; return the evaluations per run."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict {{(p, seed): record}} as chapter 6's loop "
                        f"builds it; got {runs!r:.60}")
    for key, r in runs.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise TypeError(f"runs' keys must be (p, seed) pairs; got {key!r}")
        if not (isinstance(r, dict) and set(_DROPOUT_KEYS) <= set(r)):
            raise ValueError(f"runs[{key!r}] must hold {list(_DROPOUT_KEYS)}")
        lengths = {k: len(r[k]) for k in _DROPOUT_KEYS[:4]}
        if len(set(lengths.values())) != 1 or not lengths["epoch"]:
            raise ValueError(f"runs[{key!r}] must hold one value per evaluation (at least one) in "
                             f"each of {list(lengths)}; got lengths {lengths}")
    evals = {len(r["epoch"]) for r in runs.values()}
    if len(evals) != 1:
        raise ValueError(f"every run must be evaluated equally often; got {sorted(evals)} evaluations")
    return evals.pop()


def _check_runs(runs, keys, maker, name="runs"):
    """Raise unless ``runs`` is a non-empty dict of results with ``keys``, as ``maker`` returns."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"{name} must be the non-empty dict that {maker} returns; got {runs!r:.60}")
    for key, r in runs.items():
        if not (isinstance(r, dict) and set(keys) <= set(r)):
            raise ValueError(f"{name}[{key!r}] must hold {list(keys)}, as {maker} returns")
