"""Checkpoints: save and load a model's weights with plain metadata, with errors that say what
is wrong (corrupt file, other format, mismatched model)."""
import os
import pickle
from pathlib import Path

import torch

from ..torch_checks import check_module

__all__ = ["CHECKPOINT_FORMAT", "CheckpointError", "book_checkpoint_path", "save_checkpoint",
           "load_checkpoint"]


CHECKPOINT_FORMAT = "cnnlib-checkpoint-v1"


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, of another format, or does not match the model.

    本書: 章のコードからは直接使いません
    """


def book_checkpoint_path():
    """Where the CIFAR-10 chapter saves its trained model (the Grad-CAM chapter loads it).

    本書: 第8章
    """
    from ..data import cache_dir
    return cache_dir() / "checkpoints" / "cifar10_book.pt"


def save_checkpoint(path, model, **meta):
    """Save ``model``'s weights and plain ``meta`` (str/int/float/list/dict/tensor) to ``path``.

    本書: 章のコードからは直接使いません
    """
    path, model = _path(path), check_module(model)
    if path.is_dir():
        raise ValueError(f"path must be a file to write; {path} is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save({"format": CHECKPOINT_FORMAT, "state_dict": state, "meta": meta}, tmp)
        _read_checkpoint(tmp)
    except (CheckpointError, AttributeError, TypeError, pickle.PicklingError) as e:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"meta must hold only str/int/float/bool/list/dict/tensor values: {e}") from e
    os.replace(tmp, path)
    return path


def _read_checkpoint(path):
    """torch.load(weights_only=True) with errors that say what is wrong."""
    path = _path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for truncated/garbage files
        raise CheckpointError(f"{path} is not a readable checkpoint "
                              f"(corrupt, truncated or not saved by torch): {e}") from e
    if not (isinstance(ckpt, dict) and ckpt.get("format") == CHECKPOINT_FORMAT):
        raise CheckpointError(f"{path} is a torch file but not a cnnlib checkpoint "
                              f"(expected format {CHECKPOINT_FORMAT!r})")
    return ckpt


def load_checkpoint(path, model=None):
    """Read a checkpoint; if ``model`` is given, load its weights (strictly). Returns the dict.

    本書: 章のコードからは直接使いません
    """
    if model is not None:
        check_module(model)
    ckpt = _read_checkpoint(path)
    if model is not None:
        own = model.state_dict()
        sd = ckpt["state_dict"]
        missing, extra = sorted(set(own) - set(sd)), sorted(set(sd) - set(own))
        bad = [f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
               for k in own if k in sd and own[k].shape != sd[k].shape]
        if missing or extra or bad:
            raise CheckpointError(
                f"checkpoint {path} does not match {type(model).__name__}: "
                f"missing keys {missing[:5]}, unexpected keys {extra[:5]}, shape mismatches {bad[:5]}")
        model.load_state_dict(sd)
    return ckpt


def _path(path):
    """``path`` (a str or os.PathLike) as a Path."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise TypeError(f"path must be a file path (str or pathlib.Path); got {path!r}")
    return Path(path)
