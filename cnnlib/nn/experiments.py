"""The table of chapter 6's dropout runs; the figures of chapters 4-6's experiments are in
``cnnlib.figures.experiments``.

The experiments themselves (chapter 4's gradient flow, chapter 5's BN at several learning rates,
chapter 6's dropout rates) are written out in the chapters around the book's training loop,
``cnnlib.nn.loop.train``.
"""
import numpy as np

from ..checks import check_int

__all__ = ["dropout_table"]


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
