"""Classification metrics from predictions: confusion matrix, per-class accuracy, top confusions."""
import torch

from ..checks import check_int

__all__ = ["confusion_matrix", "per_class_accuracy", "most_confused"]


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts ``C[i, j]`` of true class i predicted as j (int64 tensor).

    本書: 第7章
    """
    y_true, y_pred = _class_indices(y_true, "y_true"), _class_indices(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}")
    if num_classes is None:
        if not len(y_true):
            raise ValueError("num_classes must be given for empty labels (it cannot be inferred)")
        K = int(max(y_true.max(), y_pred.max())) + 1
    else:
        K = check_int(num_classes, "num_classes", 1)
        top = int(max(y_true.max(), y_pred.max())) if len(y_true) else -1
        if top >= K:
            raise ValueError(f"y_true and y_pred must hold class indices in [0, {K - 1}] "
                             f"(num_classes={K}); got {top}")
    return torch.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)


def _class_indices(y, name):
    """``y`` (tensor, array or list) as a 1-D int64 tensor of indices >= 0."""
    y = torch.as_tensor(y)
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool or y.dim() != 1:
        raise TypeError(f"{name} must be a 1-D sequence of integer class indices; got {y.dtype} "
                        f"of shape {tuple(y.shape)}")
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class indices >= 0; got {int(y.min())}")
    return y.long()


def _confusion(cm):
    """``cm`` as a square (K, K) tensor of non-negative counts."""
    cm = torch.as_tensor(cm)
    if cm.dim() != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"cm must be a square confusion matrix (K, K) with K >= 1; got shape "
                         f"{tuple(cm.shape)}")
    if cm.is_complex() or cm.dtype == torch.bool or bool((cm < 0).any()):
        raise ValueError("cm must hold non-negative counts")
    return cm


def per_class_accuracy(cm):
    """Accuracy per true class from a confusion matrix (NaN for absent classes).

    本書: 第7章
    """
    cm = _confusion(cm).double()
    return cm.diagonal() / cm.sum(1)


def most_confused(cm, k=5, class_names=None):
    """The ``k`` largest off-diagonal entries as (true, predicted, count) tuples.

    本書: 第7章
    """
    cm = _confusion(cm).clone()
    K = cm.shape[0]
    k = check_int(k, "k", 1, K * (K - 1))                  # there are K (K - 1) off-diagonal entries
    if class_names is not None and len(class_names) != K:
        raise ValueError(f"class_names must hold one name per class ({K}); got {len(class_names)}")
    cm.fill_diagonal_(-1)
    vals, idx = cm.flatten().topk(k)
    name = (lambda i: class_names[i]) if class_names else (lambda i: i)
    return [(name(int(i) // K), name(int(i) % K), int(v)) for v, i in zip(vals, idx)]
