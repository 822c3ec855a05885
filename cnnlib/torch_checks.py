"""Argument checks for tensors, models and devices: the torch side of ``cnnlib.checks``.

Same style as ``cnnlib.checks`` (TypeError for the wrong kind of value, ValueError for a value
that is not allowed; the message names the argument, what it got and what is allowed).
"""
import contextlib

import torch
from torch import nn

__all__ = ["check_tensor", "check_module", "check_device", "check_labels", "check_tensor_pair",
           "explain_misfit"]

_DEVICES = "a torch.device or a device string such as 'cpu', 'cuda', 'cuda:0' or 'mps'"


def check_tensor(x, name, ndim=None, layout="", floating=None, nonempty=False):
    """``x`` if it is a torch.Tensor with ``ndim`` dimensions (``layout`` names them, e.g.
    "(N, C, H, W)"), floating point or not as ``floating`` asks, and non-empty if asked.

    本書: 章のコードからは直接使いません
    """
    if not torch.is_tensor(x):
        hint = "; convert it with torch.as_tensor(...)" if hasattr(x, "__array__") else ""
        raise TypeError(f"{name} must be a torch.Tensor{f' {layout}' if layout else ''}; got "
                        f"{type(x).__name__}{hint}")
    if ndim is not None and x.dim() != ndim:
        raise ValueError(f"{name} must be a {ndim}-D tensor{f' {layout}' if layout else ''}; got "
                         f"shape {tuple(x.shape)}")
    if floating is True and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got dtype {x.dtype}")
    if floating is False and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must be an integer tensor; got dtype {x.dtype}")
    if nonempty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(x.shape)}")
    return x


def check_module(model, name="model"):
    """``model`` if it is a torch.nn.Module.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(model).__name__}")
    return model


def check_device(device, name="device", present=True):
    """``device`` as a torch.device: cpu, cuda or mps, and (if ``present``) one this machine has.

    本書: 章のコードからは直接使いません
    """
    if isinstance(device, torch.device):
        d = device
    elif isinstance(device, str):
        try:
            d = torch.device(device)
        except RuntimeError:
            raise ValueError(f"{name} must be {_DEVICES}; got {device!r}") from None
    else:
        raise TypeError(f"{name} must be {_DEVICES}; got {device!r} ({type(device).__name__})")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None
                 and torch.backends.mps.is_available()}
    if d.type not in available:
        raise ValueError(f"{name} must be a cpu, cuda or mps device; got {device!r}")
    if present and not available[d.type]:
        raise ValueError(f"{name}={device!r}: this machine has no {d.type} device; allowed: "
                         f"{', '.join(repr(k) for k, v in available.items() if v)}")
    if present and d.type == "cuda" and d.index is not None and d.index >= torch.cuda.device_count():
        raise ValueError(f"{name}={device!r}: this machine has {torch.cuda.device_count()} CUDA "
                         f"device(s), so the index must be < {torch.cuda.device_count()}")
    return d


def check_labels(y, name, num_classes=None):
    """``y`` if it is a 1-D integer tensor of class indices in [0, num_classes).

    本書: 章のコードからは直接使いません
    """
    check_tensor(y, name, 1, "(N,) of class indices", floating=False)
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class indices >= 0; got {int(y.min())}")
    if num_classes is not None and len(y) and int(y.max()) >= num_classes:
        raise ValueError(f"{name} must hold class indices in [0, {num_classes - 1}] (the model "
                         f"has {num_classes} classes); got {int(y.max())}")
    return y


def check_tensor_pair(data, name, nonempty=True):
    """``data`` as a pair ``(X, y)`` of tensors with one label per example.

    本書: 章のコードからは直接使いません
    """
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a pair (X, y) of tensors; got {type(data).__name__}")
    X, y = data
    check_tensor(X, f"{name}[0] (X)")
    check_tensor(y, f"{name}[1] (y)")
    if X.dim() == 0 or y.dim() == 0 or len(X) != len(y):
        raise ValueError(f"{name}: X and y must hold the same number of examples; got X of shape "
                         f"{tuple(X.shape)} and y of shape {tuple(y.shape)}")
    if nonempty and len(X) == 0:
        raise ValueError(f"{name} must hold at least one example; got 0")
    return X, y


@contextlib.contextmanager
def explain_misfit(name, x, active=True):
    """Around a model's forward pass on ``x``: torch's error for an input the model cannot take
    (a RuntimeError from deep inside a layer) becomes a ValueError naming ``name`` and x's shape.

    本書: 章のコードからは直接使いません
    """
    try:
        yield
    except RuntimeError as err:
        if not active or isinstance(err, torch.cuda.OutOfMemoryError):
            raise
        raise ValueError(f"the model cannot take {name} (shape {tuple(x.shape)}, {x.dtype}): "
                         f"{str(err).strip()}") from err
