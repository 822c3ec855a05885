"""cnnlib: the small, tested library behind the CNN textbook, in layers.

Layer first, topic second: code about topic T lives in ``cnnlib/<layer>/<topic>.py``, where the
layer says what it is made with (NumPy only, torch, matplotlib, widgets, tools) and the topic
what it is about (e.g. the figures of chapter 8's Grad-CAM: ``cnnlib/figures/cam.py``).
Import-linter (contracts in pyproject.toml, run by tests/test_import_contracts.py) keeps the layers:
scratch imports no torch, matplotlib or other layer; data, nn, figures, widgets and tools may
each import only the layers listed before them.

========  =================================================================  ==============
layer     module: what it holds                                               chapters
========  =================================================================  ==============
scratch   functional: reference ops (the code the chapters show)              1, 2, 4, 5, 6
          fast: conv2d and conv2d_backward in threaded chunks, same API       (bench, tests)
          layers: one class per layer, backward line by line                  2, 3
          gradcheck: numerical gradients                                      1, 2, 3, 5, 6
          train: the from-scratch training loop and model builders            3
          convmath, pooling: the lessons' maths                               1; 2
data      mnist, cifar10, images, augment, lessons; balanced_indices          1-8
nn        models                                                              4, 5, 6, 7
          architectures; experiments (dropout_table)                          4; 6
          loop: the book's training loop (train, accuracy)                    3, 4, 5, 6
          summarize (``cnnlib.summary``); train                               4, 6, 7; 4-8
          metrics; checkpoints; recipes; transfer                             7; 8; 7, 8; 7
          cam: Grad-CAM and friends; twin: the torch twin of scratch.train     8; 3
figures   (the package sets the Japanese font once) images; pooling; scratch  1; 2; 3
          geometry: windows, padding, dense-vs-conv, equivariance, volumes   1
          architectures, blocks; batchnorm; experiments; training; cam        4; 5; 4-6; 7; 8
          recipes: the recipe's build-up                                      7
widgets   convolution; pooling; batchnorm; cifar; gradcam; answers            1; 2; 5; 7; 8; 1-7
tools     source (show_source); timing; bench                                 1, 3-6; 1, 3, 7, 8; 7
(top)     claims, prose, utils (``cnnlib.set_seed``, ``cnnlib.get_device``)   1-8
          checks, torch_checks: argument checks                               (library)
========  =================================================================  ==============

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
