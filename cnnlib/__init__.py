"""cnnlib: the small, tested library behind the CNN textbook, in layers.

A figure about topic T drawn with the torch side lives in ``cnnlib/<layer>/<topic>.py``.
Import-linter (contracts in pyproject.toml, run by tests/test_layers_contract.py) keeps the layers:
scratch imports no torch, matplotlib or other layer; data, nn, figures, widgets and tools may
each import only the layers listed before them.

========  ===========================================================  ===================
layer     modules                                                      chapters
========  ===========================================================  ===================
scratch   functional (reference ops), fast (threaded conv2d), layers,  1, 2, 3, 5, 6
          gradcheck, train (from-scratch loop), convmath, pooling
data      mnist, cifar10, images, augment, lessons                     1, 2, 3, 4, 5, 6, 7, 8
nn        models, architectures, summarize, train, metrics,            3, 4, 5, 6, 7, 8
          checkpoints, recipes, transfer, experiments, cam, twin
figures   images, scratch, architectures, experiments, training, cam   1, 3, 4, 5, 6, 7, 8
widgets   convolution, pooling, batchnorm, cifar, gradcam, answers     1, 2, 3, 4, 5, 6, 7, 8
tools     bench, timing, source (show_source)                          1, 3, 4, 5, 6, 7, 8
(top)     checks, torch_checks, claims, prose, utils                   every chapter
========  ===========================================================  ===================

Nothing is imported until used: ``cnnlib.scratch`` loads no torch, and ``cnnlib.set_seed``,
``cnnlib.get_device`` and ``cnnlib.summary`` load their modules on first use (PEP 562).
"""
import importlib as _importlib
import os as _os

# Idle OpenMP threads sleep instead of spinning: on a shared, busy CPU spinning made small torch
# ops 3-25x slower (measured in the CIFAR-10 work). Only effective if torch is not imported yet.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

_FUNCTIONS = {"set_seed": "utils", "get_device": "utils", "summary": "nn.summarize"}
_MODULES = ("scratch", "data", "nn", "figures", "widgets", "tools", "checks", "torch_checks",
            "claims", "prose", "utils")
__all__ = [*_FUNCTIONS, *_MODULES]


def __getattr__(name):
    """``cnnlib.set_seed`` / ``get_device`` / ``summary`` and the subpackages, on first use."""
    if name in _FUNCTIONS:
        return getattr(_importlib.import_module(f".{_FUNCTIONS[name]}", __name__), name)
    if name in _MODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'cnnlib' has no attribute {name!r}")
