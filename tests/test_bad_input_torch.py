"""Bad input for the torch side of cnnlib: models, training, Grad-CAM, transfer, summary, and the
scratch chapter's helpers (see tests/badinput.py for what a case must do)."""
import importlib
import math
import os

import numpy as np
import torch
from torch import nn

from badinput import case_test, table
from cnnlib.figures import cam as CF
from cnnlib.figures import scratch as FS
from cnnlib.nn import cam as CAM
from cnnlib.nn import checkpoints as CK
from cnnlib.nn import loop as LP
from cnnlib.nn import metrics as MET
from cnnlib.nn import models as M
from cnnlib.nn import train as T
from cnnlib.nn import transfer as TR
from cnnlib.nn import twin as TW
from cnnlib.scratch import layers as L
from cnnlib.scratch import train as S
from cnnlib.tools import source as SRC
from cnnlib.tools import timing as TI
from cnnlib import utils as U

TV, VE, FNF = TypeError, ValueError, FileNotFoundError
from cnnlib.nn import summarize as SU


def TC():
    """cnnlib.torch_checks, imported when a case runs (code without it fails only its cases)."""
    return importlib.import_module("cnnlib.torch_checks")


def data(n=32, classes=4, seed=0):
    """(X, y): n 1x4x4 images, labels in [0, classes)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, classes, (n,), generator=g)


def net(classes=4):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(64, classes))


def fit(**kw):
    kw = {"epochs": 1, "batch_size": 8, "progress": False, "amp": None, **kw}
    model = kw.pop("model", None) or net()
    return T.fit(model, kw.pop("train_data", data()), kw.pop("test_data", None), **kw)


def with_env(name, value, fn):
    """fn() with the environment variable ``name`` set to ``value`` (then restored)."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return fn()
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def np_seq():
    return L.Sequential(L.Flatten(), L.Linear(16, 3, seed=0), input_shape=(1, 4, 4))


def np_data(n=8):
    r = np.random.default_rng(0)
    return r.standard_normal((n, 1, 4, 4)), r.integers(0, 3, n)


def np_fit(optimizer=None, y=None, **kw):
    """scratch.fit of np_seq() on np_data() with SGD on that model unless ``optimizer`` is given."""
    model, (X, y0) = np_seq(), np_data()
    return S.fit_numpy(model, X, y0 if y is None else y, L.SGD(model) if optimizer is None else optimizer,
                 **{"progress": False, **kw})


def cnn():
    """A small conv net whose conv layer is '0' and head '3' (for Grad-CAM and friends)."""
    return net(3).eval()


def images(n=2, size=4):
    return torch.randn(n, 1, size, size, generator=torch.Generator().manual_seed(1))


def history(n=3):
    h = T.History()
    for e in range(1, n + 1):
        h.append(epoch=e, train_loss=1.0 / e, train_acc=0.5, lr=0.1, time=float(e))
    return h


# ---------------------------------------------------------------- cnnlib.torch_checks
CASES = table("cnnlib.torch_checks", [
    ("check_tensor", "ndarray", lambda: TC().check_tensor(np.ones(3), "X"), TV,
     "X must be a torch.Tensor", "torch.as_tensor"),
    ("check_tensor", "ndim", lambda: TC().check_tensor(torch.ones(3), "x", 4, "(N, C, H, W)"), VE,
     "x must be a 4-D tensor", "(N, C, H, W)"),
    ("check_tensor", "int where float", lambda: TC().check_tensor(torch.ones(3, dtype=torch.int64),
                                                                  "x", floating=True), TV,
     "x must be a floating-point tensor", "int64"),
    ("check_tensor", "empty", lambda: TC().check_tensor(torch.ones(0, 3), "x", nonempty=True), VE,
     "x must not be empty", "(0, 3)"),
    ("check_module", "function", lambda: TC().check_module(lambda x: x), TV,
     "model must be a torch.nn.Module", "function"),
    ("check_device", "'gpu'", lambda: TC().check_device("gpu"), VE, "device must be",
     "'cuda:0'"),
    ("check_device", "int", lambda: TC().check_device(0), TV, "device must be", "'cpu'"),
    ("check_device", "meta", lambda: TC().check_device("meta"), VE, "device must be",
     "cpu, cuda or mps"),
    ("check_device", "cuda:99", lambda: TC().check_device("cuda:99"), VE, "device=", "cuda"),
    ("check_labels", "float", lambda: TC().check_labels(torch.zeros(3), "y"), TV,
     "y must be an integer tensor", "float32"),
    ("check_labels", "out of range", lambda: TC().check_labels(torch.tensor([0, 5]), "y", 5), VE,
     "y must hold class indices", "[0, 4]"),
    ("check_labels", "negative", lambda: TC().check_labels(torch.tensor([-1]), "y"), VE,
     "y must hold class indices", ">= 0"),
    ("check_tensor_pair", "one tensor", lambda: TC().check_tensor_pair(torch.ones(2), "data"), TV,
     "data must be a pair", "(X, y)"),
    ("check_tensor_pair", "lengths", lambda: TC().check_tensor_pair((torch.ones(2, 1), torch.ones(3)),
                                                                    "data"), VE,
     "X and y must hold the same number", "(3,)"),
    ("check_tensor_pair", "empty", lambda: TC().check_tensor_pair((torch.ones(0, 1), torch.ones(0)),
                                                                  "data"), VE,
     "data must hold at least one example", "got 0"),
    ("check_tensor_pair", "0-d y", lambda: TC().check_tensor_pair((torch.ones(2, 1), torch.tensor(1)),
                                                                  "data"), VE,
     "same number of examples", "shape ()"),
    ("explain_misfit", "wrong features", lambda: _misfit(), VE, "the model cannot take x",
     "(2, 5)"),
])


def _misfit():
    x = torch.ones(2, 5)
    with TC().explain_misfit("x", x):
        nn.Linear(4, 2)(x)


# ---------------------------------------------------------------- cnnlib.utils, cnnlib.tools.timing
CASES += table("cnnlib.utils", [
    ("set_seed", "string", lambda: U.set_seed("0"), TV, "seed must be an int", "'0'"),
    ("set_seed", "negative", lambda: U.set_seed(-1), VE, "seed must be", "[0, 4294967295]"),
    ("set_seed", "2**32", lambda: U.set_seed(2**32), VE, "seed must be", "[0, 4294967295]"),
    ("set_seed", "numpy int ok", lambda: U.set_seed(np.int64(3)).integers(10**6),
     None, lambda v: v == np.random.default_rng(3).integers(10**6)),
    ("get_device", "'gpu'", lambda: U.get_device("gpu"), VE, "prefer must be", "'cuda'"),
    ("get_device", "cuda absent", lambda: U.get_device("cuda") if not torch.cuda.is_available()
     else U.get_device("cuda:99"), VE, "prefer=", "cuda"),
    ("get_device", "torch.device ok", lambda: U.get_device(torch.device("cpu")), None,
     lambda d: d == torch.device("cpu")),
    ("num_threads", "CNNLIB_THREADS=many", lambda: with_env("CNNLIB_THREADS", "many", U.num_threads),
     VE, "CNNLIB_THREADS must be", "positive int"),
    ("env_threads", "CNNLIB_THREADS=-2", lambda: with_env("CNNLIB_THREADS", "-2", U.env_threads),
     VE, "CNNLIB_THREADS must be", "positive int"),
    ("env_threads", "CNNLIB_THREADS empty", lambda: with_env("CNNLIB_THREADS", " ", U.env_threads),
     None, lambda v: v is None),
])
CASES += table("cnnlib.tools.timing", [
    ("best_time", "fn not callable", lambda: TI.best_time(3), TV, "fn must be", "function"),
    ("best_time", "repeat 0", lambda: TI.best_time(lambda: None, 0), VE, "repeat", ">= 1"),
    ("best_time", "repeat 1.5", lambda: TI.best_time(lambda: None, 1.5), TV, "repeat", "an int"),
    ("timed", "fn not callable", lambda: TI.timed(3), TV, "fn must be", "function"),
    ("timed", "result and seconds", lambda: TI.timed(lambda: 7), None,
     lambda r: r[0] == 7 and r[1] >= 0),
    ("median_time", "fn not callable", lambda: TI.median_time("f"), TV, "fn must be", "function"),
    ("median_time", "repeat 0", lambda: TI.median_time(lambda: None, 0), VE, "repeat", ">= 1"),
    ("median_time", "warmup -1", lambda: TI.median_time(lambda: None, 3, -1), VE, "warmup", ">= 0"),
    ("torch_threads", "n 0", lambda: TI.torch_threads(0).__enter__(), VE, "n", ">= 1"),
    ("torch_threads", "restores the count", lambda: _threads_restored(), None, bool),
])


def _threads_restored():
    before = torch.get_num_threads()
    with TI.torch_threads(1):
        inside = torch.get_num_threads()
    return inside == 1 and torch.get_num_threads() == before

# ---------------------------------------------------------------- cnnlib.scratch
CASES += table("cnnlib", [
    ("scratch.train.evaluate_numpy", "float labels", lambda: S.evaluate_numpy(np_seq(), np_data()[0], np.zeros(8)), TV,
     "y must be a 1-D array", "integer class labels"),
    ("scratch.train.evaluate_numpy", "label 3 of 3 outputs", lambda: S.evaluate_numpy(np_seq(), np_data()[0], np.full(8, 3)),
     VE, "y must hold class labels", "[0, 2]"),
    ("scratch.train.evaluate_numpy", "lengths", lambda: S.evaluate_numpy(np_seq(), np_data()[0], np.zeros(7, int)), VE,
     "same length", "7"),
    ("scratch.train.evaluate_numpy", "list X", lambda: S.evaluate_numpy(np_seq(), np_data()[0].tolist(), np_data()[1]), TV,
     "X must be an ndarray", "(N, ...)"),
    ("scratch.train.evaluate_numpy", "torch model", lambda: S.evaluate_numpy(net(), *np_data()), TV, "model must be",
     "Sequential"),
    ("scratch.train.evaluate_numpy", "empty", lambda: S.evaluate_numpy(np_seq(), np.zeros((0, 1, 4, 4)), np.zeros(0, int)),
     VE, "X must hold at least one", "got 0"),
    ("scratch.train.fit_numpy", "lr_decay -1 (gradient ascent)", lambda: np_fit(lr_decay=-1), VE, "lr_decay", "> 0"),
    ("scratch.train.fit_numpy", "batch_size -1 (zero steps)", lambda: np_fit(batch_size=-1), VE, "batch_size",
     ">= 1"),
    ("scratch.train.fit_numpy", "epochs 0", lambda: np_fit(epochs=0), VE, "epochs", ">= 1"),
    ("scratch.train.fit_numpy", "evals_per_epoch 0", lambda: np_fit(evals_per_epoch=0, val=np_data()), VE,
     "evals_per_epoch", ">= 1"),
    ("scratch.train.fit_numpy", "optimizer of another model", lambda: np_fit(optimizer=L.SGD(np_seq())), VE,
     "optimizer must update this model", "another model"),
    ("scratch.train.fit_numpy", "optimizer string", lambda: np_fit(optimizer="sgd"), TV, "optimizer must be",
     "SGD, Adam"),
    ("scratch.train.fit_numpy", "val not a pair", lambda: np_fit(val=np_data()[0]), TV, "val must be",
     "(X_val, y_val)"),
    ("scratch.train.fit_numpy", "val labels out of range", lambda: np_fit(val=(np_data()[0], np.full(8, 9))), VE,
     "y_val must hold class labels", "[0, 2]"),
    ("scratch.train.fit_numpy", "seed string", lambda: np_fit(seed="a"), TV, "seed", "an int"),
    ("scratch.train.fit_numpy", "labels out of range", lambda: np_fit(y=np.full(8, 3)), VE,
     "y must hold class labels", "[0, 2]"),
    ("scratch.train.small_cnn", "kernel_size '3'", lambda: S.small_cnn(kernel_size="3"), TV, "kernel_size",
     "an int"),
    ("scratch.train.small_cnn", "kernel_size -1", lambda: S.small_cnn(kernel_size=-1), VE, "kernel_size",
     ">= 1"),
    ("scratch.train.small_cnn", "kernel_size 4", lambda: S.small_cnn(kernel_size=4), VE, "kernel_size must be odd",
     "got 4"),
    ("scratch.train.small_cnn", "one channel count", lambda: S.small_cnn(channels=(8,)), VE, "channels must be",
     "2 ints"),
    ("scratch.train.small_cnn", "hidden -5", lambda: S.small_cnn(hidden=-5), VE, "hidden", ">= 0"),
    ("scratch.train.small_cnn", "num_classes 0", lambda: S.small_cnn(num_classes=0), VE, "num_classes", ">= 1"),
    ("scratch.train.filter_net", "kernel_size 4", lambda: S.filter_net(kernel_size=4), VE,
     "kernel_size must be odd", "got 4"),
    ("scratch.train.filter_net", "filters 0", lambda: S.filter_net(filters=0), VE, "filters", ">= 1"),
    ("scratch.train.filter_net", "init_std 0", lambda: S.filter_net(init_std=0), VE, "init_std", "> 0"),
    ("scratch.train.filter_net", "init_std string", lambda: S.filter_net(init_std="0.01"), TV, "init_std",
     "number"),
    ("scratch.train.neighbour_correlation_per_filter", "3-D", lambda: S.neighbour_correlation_per_filter(
        np.ones((3, 3, 3))), VE, "W must be a 4-D array", "(F, C, k, k)"),
    ("scratch.train.neighbour_correlation_per_filter", "a constant filter", lambda:
        S.neighbour_correlation_per_filter(np.ones((2, 1, 3, 3))), VE, "not constant", "(1, 1, 3, 3)"),
    ("scratch.train.random_neighbour_correlation", "kernel_size 1", lambda: S.random_neighbour_correlation(1),
     VE, "kernel_size", ">= 2"),
    ("scratch.train.random_neighbour_correlation", "draws 1", lambda: S.random_neighbour_correlation(3, draws=1),
     VE, "draws", ">= 2"),
    ("scratch.train.relative_change", "shapes differ", lambda: S.relative_change(np.ones((2, 1, 3, 3)),
                                                                                 np.ones((3, 1, 3, 3))), VE,
     "W must have the shape of W0", "(3, 1, 3, 3)"),
    ("scratch.train.relative_change", "zero filter in W0", lambda: S.relative_change(np.zeros((2, 1, 3, 3)),
                                                                                     np.ones((2, 1, 3, 3))), VE,
     "W0 must have no all-zero filter", "[0, 1]"),
    ("scratch.train.relative_change", "NaN", lambda: S.relative_change(np.full((2, 1, 3, 3), np.nan),
                                                                       np.ones((2, 1, 3, 3))), VE, "W0", "finite"),
    ("scratch.train.minority_sign_share", "zero filter", lambda: S.minority_sign_share(np.zeros((1, 1, 3, 3))),
     VE, "no all-zero filter", "[0]"),
    ("scratch.train.minority_sign_share", "2-D", lambda: S.minority_sign_share(np.ones((3, 3))), VE,
     "W must be a 4-D array", "(F, C, k, k)"),
    ("scratch.train.mlp", "hidden int", lambda: S.mlp(5), TV, "hidden must be", "sequence of ints"),
    ("scratch.train.mlp", "hidden 0", lambda: S.mlp((8, 0)), VE, "hidden[1]", ">= 1"),
    ("scratch.train.mlp", "seed negative", lambda: S.mlp((8,), seed=-1), VE, "seed", ">= 0"),
    ("scratch.train.mlp_like", "num_params too large", lambda: S.mlp_like(10**12), VE, "num_params must be",
     "at most"),
    ("scratch.train.mlp_like", "depth 0", lambda: S.mlp_like(1000, depth=0), VE, "depth", ">= 1"),
    ("scratch.train.mlp_like", "num_params -5", lambda: S.mlp_like(-5), VE, "num_params", ">= 1"),
    ("scratch.train.mlp_like", "closest", lambda: S.mlp_like(S.mlp((32, 32)).num_params), None,
     lambda m: m.num_params == S.mlp((32, 32)).num_params),
    ("nn.twin.torch_twin", "torch model", lambda: TW.torch_twin(net()), TV, "model must be", "Sequential"),
    ("nn.twin.torch_twin", "unknown layer", lambda: TW.torch_twin(L.Sequential(_odd_layer())), TV,
     "no torch equivalent", "Odd"),
    ("nn.twin.fit_torch", "batch_size 0", lambda: TW.fit_torch(net(), *data(), batch_size=0,
                                                      progress=False), VE, "batch_size", ">= 1"),
    ("nn.twin.fit_torch", "lr inf", lambda: TW.fit_torch(net(), *data(), lr=math.inf, progress=False), VE,
     "lr", "finite"),
    ("nn.twin.fit_torch", "device 'gpu'", lambda: TW.fit_torch(net(), *data(), device="gpu",
                                                      progress=False), VE, "device must be",
     "'cpu'"),
    ("nn.twin.fit_torch", "float labels", lambda: TW.fit_torch(net(), data()[0], torch.zeros(32),
                                                      progress=False), TV, "y must hold",
     "integer class labels"),
    ("nn.twin.fit_torch", "net not a module", lambda: TW.fit_torch(np_seq(), *data(), progress=False), TV,
     "net must be", "nn.Module"),
    ("nn.twin.fit_torch", "epochs 0", lambda: TW.fit_torch(net(), *data(), epochs=0, progress=False), VE,
     "epochs", ">= 1"),
    ("nn.twin.evaluate_torch", "empty", lambda: TW.evaluate_torch(net(), torch.zeros(0, 1, 4, 4),
                                                         torch.zeros(0, dtype=torch.long)), VE,
     "X must hold at least one", "got 0"),
    ("nn.twin.evaluate_torch", "batch_size 0", lambda: TW.evaluate_torch(net(), *data(), batch_size=0), VE,
     "batch_size", ">= 1"),
    ("nn.twin.evaluate_torch", "lengths", lambda: TW.evaluate_torch(net(), data()[0], data()[1][:3]), VE,
     "X must be a batch (N, ...) and y its N labels", "(3,)"),
    ("scratch.train.feature_maps", "a batch instead of one image", lambda: S.feature_maps(np_seq(),
                                                                            np_data()[0]), VE,
     "x must be one image (C, H, W)", "x[0]"),
    ("scratch.train.feature_maps", "torch model", lambda: S.feature_maps(net(), np.zeros((1, 4, 4))), TV,
     "model must be", "Sequential"),
    ("scratch.train.neighbour_correlation", "1x1 kernels", lambda: S.neighbour_correlation(np.ones((4, 3, 1, 1))),
     VE, "W must hold kernels", "at least 2 pixels"),
    ("scratch.train.neighbour_correlation", "constant", lambda: S.neighbour_correlation(np.ones((4, 3, 3, 3))),
     VE, "W must hold kernels", "not constant"),
    ("scratch.train.neighbour_correlation", "2-D", lambda: S.neighbour_correlation(np.ones((3, 3))), VE,
     "W must be a 4-D array", "(F, C, k, k)"),
    ("scratch.train.neighbour_correlation", "NaN", lambda: S.neighbour_correlation(np.full((1, 1, 2, 2), np.nan)),
     VE, "W must hold", "finite"),
    ("tools.source.source_text", "int", lambda: SRC.source_text(3), TV, "fn must be", "function, method or class"),
    ("tools.source.source_text", "builtin", lambda: SRC.source_text(len), TV, "fn must be", "defined in Python"),
    ("scratch.train.smooth", "window 0", lambda: S.smooth([1.0, 2.0], 0), VE, "window", ">= 1"),
    ("scratch.train.smooth", "window 2.5", lambda: S.smooth([1.0, 2.0], 2.5), TV, "window", "an int"),
    ("scratch.train.smooth", "2-D values", lambda: S.smooth(np.ones((3, 3)), 2), VE, "values must be a 1-D",
     "(steps,)"),
    ("scratch.train.smooth", "short ok", lambda: S.smooth([1.0, 3.0], 5), None,
     lambda v: np.array_equal(v, [1.0, 3.0])),
    ("figures.scratch.plot_history", "steps_per_epoch 0", lambda: FS.plot_history({"a": _np_hist()}, 0), VE,
     "steps_per_epoch", ">= 1"),
    ("figures.scratch.plot_history", "not a history", lambda: FS.plot_history({"a": [1, 2]}, 10), VE,
     "histories['a'] must be", "'loss'"),
    ("figures.scratch.plot_history", "empty", lambda: FS.plot_history({}, 10), TV, "histories must be",
     "non-empty dict"),
    ("figures.scratch.filter_mosaic", "max_in 0", lambda: FS.filter_mosaic(np.ones((2, 3, 3, 3)), 0), VE,
     "max_in", ">= 1"),
    ("figures.scratch.filter_mosaic", "3-D", lambda: FS.filter_mosaic(np.ones((3, 3, 3))), VE,
     "W must be a 4-D array", "(F, C, k, k)"),
    ("figures.scratch.plot_filter_mosaic", "strings", lambda: FS.plot_filter_mosaic(np.array([["a"]]), "t"), TV,
     "W must be", "numeric"),
    ("figures.scratch.plot_filters_before_after", "two input channels", lambda: FS.plot_filters_before_after(
        np.ones((2, 2, 3, 3)), np.ones((2, 2, 3, 3)), "t"), VE, "single-channel filters", "(2, 2, 3, 3)"),
    ("figures.scratch.plot_filters_before_after", "shapes differ", lambda: FS.plot_filters_before_after(
        np.ones((2, 1, 3, 3)), np.ones((3, 1, 3, 3)), "t"), VE, "of one shape", "(3, 1, 3, 3)"),
    ("figures.scratch.plot_filters_before_after", "ncols 0", lambda: FS.plot_filters_before_after(
        np.ones((2, 1, 3, 3)), np.ones((2, 1, 3, 3)), "t", ncols=0), VE, "ncols", ">= 1"),
    ("figures.scratch.plot_maps", "ncols 0", lambda: FS.plot_maps(np.ones((2, 3, 3)), "t", ncols=0), VE, "ncols",
     ">= 1"),
    ("figures.scratch.plot_maps", "one map 2-D", lambda: FS.plot_maps(np.ones((3, 3)), "t"), VE,
     "maps must be a 3-D array", "(K, H, W)"),
])


def _odd_layer():
    class Odd(L.Layer):
        pass
    return Odd()


def _np_hist():
    return {"loss": [1.0, 0.5], "eval_step": [2], "val_acc": [0.5]}


# ---------------------------------------------------------------- cnnlib.nn.models
def img(c=3, s=32, n=1):
    return torch.zeros(n, c, s, s)


CASES += table("cnnlib.nn.models", [
    ("count_params", "not a module", lambda: M.count_params([torch.zeros(3)]), TV,
     "model must be", "nn.Module"),
    ("count_params", "trainable_only 'yes'", lambda: M.count_params(net(), "yes"), TV,
     "trainable_only", "True or False"),
    ("LeNet5", "0 channels", lambda: M.LeNet5(in_channels=0), VE, "in_channels", ">= 1"),
    ("LeNet5", "num_classes 0", lambda: M.LeNet5(num_classes=0), VE, "num_classes", ">= 1"),
    ("LeNet5", "numpy num_classes ok", lambda: M.LeNet5(num_classes=np.int64(7)), None,
     lambda m: m.classifier.fc3.out_features == 7),
    ("LeNet5", "input_size 30", lambda: M.LeNet5(input_size=30), VE, "input_size must be 28",
     "32"),
    ("LeNet5", "activation", lambda: M.LeNet5(activation="sigmoid"), VE, "activation must be",
     "relu"),
    ("LeNet5.forward", "32x32 into the 28x28 model", lambda: M.lenet5()(img(1, 32)), VE,
     "x must be a batch of shape", "(N, 1, 28, 28)"),
    ("LeNet5.forward", "3-D image", lambda: M.lenet5()(torch.zeros(1, 28, 28)), VE,
     "x must be a batch", "(N, 1, 28, 28)"),
    ("LeNet5.forward", "ndarray", lambda: M.lenet5()(np.zeros((1, 1, 28, 28))), TV,
     "x must be a torch.Tensor", "(N, 1, 28, 28)"),
    ("lenet5", "num_classes -1", lambda: M.lenet5(-1), VE, "num_classes", ">= 1"),
    ("lenet5_original", "num_classes 2.0", lambda: M.lenet5_original(2.0), TV, "num_classes",
     "an int"),
    ("AlexNet", "widths of 4", lambda: M.AlexNet(widths=(8, 8, 8, 8)), VE, "widths must be",
     "5 ints"),
    ("AlexNet", "dropout 1.5", lambda: M.AlexNet(dropout=1.5), VE, "dropout", "[0, 1)"),
    ("AlexNet", "widths string", lambda: M.AlexNet(widths="abcde"), TV, "widths must be",
     "list or tuple"),
    ("AlexNet.forward", "1 channel", lambda: M.AlexNet(10, (4,) * 5)(img(1, 64)), VE,
     "x must be a batch of shape", "(N, 3, H, W)"),
    ("alexnet_paper", "0 channels", lambda: M.alexnet_paper(in_channels=0), VE, "in_channels",
     ">= 1"),
    ("alexnet_torchvision", "num_classes 0", lambda: M.alexnet_torchvision(0), VE, "num_classes",
     ">= 1"),
    ("make_vgg_features", "lowercase m", lambda: M.make_vgg_features([8, "m"]), VE,
     "cfg must be", "'M'"),
    ("make_vgg_features", "0 channels", lambda: M.make_vgg_features([8, 0]), VE, "cfg must be",
     "ints >= 1"),
    ("make_vgg_features", "batch_norm 'yes'", lambda: M.make_vgg_features([8], batch_norm="yes"),
     TV, "batch_norm", "True or False"),
    ("make_vgg_features", "cfg string", lambda: M.make_vgg_features("M"), TV, "cfg must be",
     "list of channel counts"),
    ("VGG", "pool_size 0", lambda: M.VGG([8, "M"], pool_size=0), VE, "pool_size", ">= 1"),
    ("VGG", "hidden 0", lambda: M.VGG([8, "M"], hidden=0), VE, "hidden", ">= 1"),
    ("VGG", "only pools", lambda: M.VGG(["M", "M"]), VE, "cfg must be", "at least one int"),
    ("VGG.forward", "1 channel", lambda: M.vgg("vgg_cifar")(img(1)), VE,
     "x must be a batch of shape", "(N, 3, H, W)"),
    ("vgg", "unknown name", lambda: M.vgg("vgg13"), VE, "name must be one of", "vgg16"),
    ("vgg", "name list", lambda: M.vgg(["vgg16"]), VE, "name must be one of", "vgg16"),
    ("BasicBlock", "0 channels", lambda: M.BasicBlock(0, 4), VE, "in_channels", ">= 1"),
    ("BasicBlock", "stride 0", lambda: M.BasicBlock(4, 4, 0), VE, "stride", ">= 1"),
    ("BasicBlock", "residual 'no'", lambda: M.BasicBlock(4, 4, residual="no"), TV, "residual",
     "True or False"),
    ("BasicBlock.forward", "odd size, stride 2", lambda: M.BasicBlock(2, 4, 2)(img(2, 7)), None,
     lambda y: y.shape == (1, 4, 4, 4)),
    ("ResNet", "0 blocks", lambda: M.ResNet((2, 0), (8, 16)), VE, "blocks[1]", ">= 1"),
    ("ResNet", "0 width", lambda: M.ResNet((1,), (0,)), VE, "widths[0]", ">= 1"),
    ("ResNet", "blocks int", lambda: M.ResNet(2, (8,)), TV, "blocks must be", "sequence"),
    ("ResNet", "lengths", lambda: M.ResNet((1, 1), (8,)), VE, "blocks and widths",
     "equal length"),
    ("ResNet", "stem", lambda: M.ResNet((1,), (8,), stem="tiny"), VE, "stem must be",
     "'cifar'"),
    ("ResNet.forward", "1 channel", lambda: M.resnet_cifar(8)(img(1)), VE,
     "x must be a batch of shape", "(N, 3, H, W)"),
    ("resnet18", "0 channels", lambda: M.resnet18(in_channels=0), VE, "in_channels", ">= 1"),
    ("resnet_cifar", "depth 21", lambda: M.resnet_cifar(21), VE, "depth must be 6n + 2", "20"),
    ("resnet_cifar", "numpy depth ok", lambda: M.resnet_cifar(np.int64(8)), None,
     lambda m: m.num_stages == 3),
    ("small_resnet", "num_classes 0", lambda: M.small_resnet(0), VE, "num_classes", ">= 1"),
    ("InceptionModule", "0-channel branch", lambda: M.InceptionModule(8, 0, 4, 4, 4, 4, 4), VE,
     "ch1x1", ">= 1"),
    ("InceptionModule.forward", "odd size keeps it", lambda: M.InceptionModule(
        2, 1, 1, 2, 1, 3, 1)(img(2, 5)), None, lambda y: y.shape == (1, 7, 5, 5)),
    ("DepthwiseSeparableConv", "kernel 0", lambda: M.DepthwiseSeparableConv(4, 8, 0), VE,
     "kernel_size", ">= 1"),
    ("DepthwiseSeparableConv", "stride 0", lambda: M.DepthwiseSeparableConv(4, 8, stride=0), VE,
     "stride", ">= 1"),
    ("MLP", "dropout '0.5'", lambda: M.MLP(dropout="0.5"), TV, "dropout", "real number"),
    ("MLP", "hidden int", lambda: M.MLP(hidden=5), TV, "hidden must be", "sequence of ints"),
    ("MLP", "in_features 0", lambda: M.MLP(in_features=0), VE, "in_features", ">= 1"),
    ("MLP.forward", "wrong features", lambda: M.MLP(784)(torch.zeros(2, 1, 32, 32)), VE,
     "x must be a batch tensor", "784 features"),
    ("SimpleCNN", "0 channels", lambda: M.SimpleCNN(in_channels=0), VE, "in_channels", ">= 1"),
    ("SimpleCNN", "too small for the pools", lambda: M.SimpleCNN(input_size=4), VE,
     "input_size=4 is too small", "3 2x2 pools"),
    ("SimpleCNN", "dropout nan", lambda: M.SimpleCNN(dropout=float("nan")), VE, "dropout",
     "finite"),
    ("SimpleCNN.forward", "wrong size", lambda: M.SimpleCNN()(img(1, 32)), VE,
     "x must be a batch of shape", "(N, 1, 28, 28)"),
    ("CIFAR10Net", "num_classes 0", lambda: M.CIFAR10Net(0), VE, "num_classes", ">= 1"),
    ("CIFAR10Net.forward", "grey images", lambda: M.CIFAR10Net()(img(1)), VE,
     "x must be a batch of shape", "(N, 3, H, W)"),
    ("FrozenScaleBatchNorm", "0 features", lambda: M.FrozenScaleBatchNorm(0), VE,
     "num_features", ">= 1"),
    ("FrozenScaleBatchNorm", "eps 0", lambda: M.FrozenScaleBatchNorm(4, eps=0), VE, "eps",
     "> 0"),
    ("FrozenScaleBatchNorm", "momentum 2", lambda: M.FrozenScaleBatchNorm(4, momentum=2), VE,
     "momentum", "[0, 1]"),
    ("DiracConv2d", "padding 'valid!'", lambda: M.DiracConv2d(3, 4, padding="valid!"), TV,
     "padding", "'same' or an int"),
    ("DiracConv2d", "0 out", lambda: M.DiracConv2d(3, 0), VE, "cout", ">= 1"),
    ("FastBlock", "0 in", lambda: M.FastBlock(0, 4), VE, "cin", ">= 1"),
    ("FastBlock.forward", "channels", lambda: M.FastBlock(4, 8)(img(3, 8)), VE,
     "x must be a batch of shape", "(N, 4, H, W)"),
    ("FastCIFARNet", "no widths", lambda: M.FastCIFARNet(()), VE, "widths must hold",
     "at least one"),
    ("FastCIFARNet", "whiten_size 0", lambda: M.FastCIFARNet(whiten_size=0), VE, "whiten_size",
     ">= 1"),
    ("FastCIFARNet.init_whitening", "negative eps", lambda: M.fast_cifar_net((4, 4, 4))
     .init_whitening(torch.randn(8, 3, 8, 8), eps=-1e-3), VE, "eps", ">= 0"),
    ("FastCIFARNet.init_whitening", "uint8 images", lambda: M.fast_cifar_net((4, 4, 4))
     .init_whitening(torch.zeros(8, 3, 8, 8, dtype=torch.uint8)), VE,
     "X must be normalised float images", "uint8"),
    ("FastCIFARNet.init_whitening", "1x1 images", lambda: M.fast_cifar_net((4, 4, 4))
     .init_whitening(torch.randn(8, 3, 1, 1)), VE, "X must be", "H, W >= 2"),
    ("FastCIFARNet.forward", "grey", lambda: M.fast_cifar_net((4, 4, 4))(img(1)), VE,
     "x must be a batch of shape", "(N, 3, H, W)"),
    ("fast_cifar_net", "widths 0", lambda: M.fast_cifar_net((4, 0)), VE, "widths[1]", ">= 1"),
])

# ---------------------------------------------------------------- cnnlib.nn.train
CASES += table("cnnlib", [
    ("nn.train.History.append", "misspelt key", lambda: T.History().append(tset_acc=0.5), VE,
     "unknown keys ['tset_acc']", "allowed"),
    ("nn.train.History.best", "mode 'avg'", lambda: history().best("train_loss", "avg"), VE,
     "mode must be one of", "'min'"),
    ("nn.train.History.best", "unknown key", lambda: history().best("val_loss"), VE, "key must be one of",
     "'test_loss'"),
    ("nn.train.History.best", "no values", lambda: history().best("test_acc"), VE, "no values for",
     "test_acc"),
    ("nn.train.History.best", "min", lambda: history().best("train_loss", "min")["epoch"], None,
     lambda e: e == 3),
    ("nn.train.configure_threads", "n -1", lambda: T.configure_threads(-1), VE, "n must be", ">= 1"),
    ("nn.train.configure_threads", "n 1.5", lambda: T.configure_threads(1.5), TV, "n must be", "an int"),
    ("nn.train.configure_threads", "CNNLIB_THREADS junk",
     lambda: with_env("CNNLIB_THREADS", "2x", T.configure_threads), VE, "CNNLIB_THREADS",
     "positive int"),
    ("nn.train.bf16_supported", "'gpu'", lambda: T.bf16_supported("gpu"), VE, "device must be", "'cpu'"),
    ("nn.train.bf16_supported", "absent cuda is False", lambda: T.bf16_supported("cuda"), None,
     lambda v: v is torch.cuda.is_available() and v or v is False),
    ("nn.train.autocast_dtype", "fp16", lambda: T.autocast_dtype("cpu", "fp16"), VE, "amp must be",
     "'bf16'"),
    ("nn.train.autocast_dtype", "True", lambda: T.autocast_dtype("cpu", True), VE, "amp must be",
     "'auto'"),
    ("nn.train.TensorBatches", "numpy", lambda: T.TensorBatches(np.ones((4, 1)), np.ones(4)), TV,
     "must be a torch.Tensor", "torch.as_tensor"),
    ("nn.train.TensorBatches", "batch_size True", lambda: T.TensorBatches(*data(), batch_size=True), TV,
     "batch_size", "an int"),
    ("nn.train.TensorBatches", "generator int", lambda: T.TensorBatches(*data(), generator=0), TV,
     "generator must be", "torch.Generator"),
    ("nn.train.TensorBatches", "0-d", lambda: T.TensorBatches(torch.tensor(1.0), torch.tensor(1)), VE,
     "same number of examples", "shape ()"),
    ("nn.train.as_batches", "numpy pair", lambda: T.as_batches((np.ones((4, 1)), np.ones(4))), TV,
     "data[0] (X) must be a torch.Tensor", "torch.as_tensor"),
    ("nn.train.as_batches", "a string", lambda: T.as_batches("batches"), TV, "data must be",
     "(X, y) of tensors"),
    ("nn.train.as_batches", "one tensor", lambda: T.as_batches(torch.ones(4, 2)), TV, "data must be",
     "iterable of (xb, yb)"),
    ("nn.train.make_optimizer", "lr inf", lambda: T.make_optimizer("adam", net().parameters(), math.inf),
     VE, "lr", "finite"),
    ("nn.train.make_optimizer", "weight_decay -1", lambda: T.make_optimizer("sgd", net().parameters(),
                                                                   weight_decay=-1), VE,
     "weight_decay", ">= 0"),
    ("nn.train.make_optimizer", "no parameters", lambda: T.make_optimizer("adam", []), VE, "params must",
     "at least one"),
    ("nn.train.make_optimizer", "name list", lambda: T.make_optimizer(["adam"], net().parameters()), VE,
     "optimizer must be one of", "'adam'"),
    ("nn.train.make_schedule", "onecycle 0 steps", lambda: T.make_schedule("onecycle", _adam(), 0), VE,
     "total_steps", ">= 1"),
    ("nn.train.make_schedule", "not an optimizer", lambda: T.make_schedule("cosine", "adam", 10), TV,
     "opt must be", "Optimizer"),
    ("nn.train.make_schedule", "unknown", lambda: T.make_schedule("linear", _adam(), 10), VE,
     "schedule must be", "'cosine'"),
    ("nn.train.soft_cross_entropy", "label out of range", lambda: T.soft_cross_entropy(torch.zeros(2, 3),
                                                                              torch.tensor([0, 3])),
     VE, "y must hold class indices", "[0, 2]"),
    ("nn.train.soft_cross_entropy", "label_smoothing 1.5", lambda: T.soft_cross_entropy(
        torch.zeros(2, 3), torch.tensor([0, 1]), 1.5), VE, "label_smoothing", "[0, 1]"),
    ("nn.train.soft_cross_entropy", "soft targets of the wrong shape", lambda: T.soft_cross_entropy(
        torch.zeros(2, 3), torch.zeros(2, 4)), VE, "y must be class indices", "(2, 3)"),
    ("nn.train.soft_cross_entropy", "1-D logits", lambda: T.soft_cross_entropy(torch.zeros(3),
                                                                      torch.tensor(0)), VE,
     "logits must be a 2-D tensor", "(N, K)"),
    ("nn.train.soft_cross_entropy", "int32 labels ok", lambda: T.soft_cross_entropy(
        torch.zeros(2, 4), torch.tensor([1, 3], dtype=torch.int32)), None,
     lambda v: abs(float(v) - math.log(4)) < 1e-6),
    ("nn.train.predict", "empty data", lambda: T.predict(net(), (torch.zeros(0, 1, 4, 4),
                                                        torch.zeros(0, dtype=torch.long))), VE,
     "data must hold at least one example", "empty"),
    ("nn.train.predict", "model without parameters", lambda: T.predict(nn.Flatten(), data())[0].shape,
     None, lambda s: s == (32, 16)),
    ("nn.train.predict", "wrong image size", lambda: T.predict(net(), (torch.zeros(2, 1, 5, 5),
                                                              torch.zeros(2, dtype=torch.long))),
     VE, "the model cannot take the inputs in data", "(2, 1, 5, 5)"),
    ("nn.train.predict", "tta 'flip-flop'", lambda: T.predict(net(), data(), tta="flip-flop"), VE,
     "tta must be one of", "'flip'"),
    ("nn.train.predict", "batch_size 0", lambda: T.predict(net(), data(), batch_size=0), VE, "batch_size",
     ">= 1"),
    ("nn.train.evaluate", "loss_fn not callable", lambda: T.evaluate(net(), data(), loss_fn="ce"), TV,
     "loss_fn must be", "function"),
    ("nn.train.evaluate", "device 'gpu'", lambda: T.evaluate(net(), data(), device="gpu"), VE,
     "device must be", "'cpu'"),
    ("nn.train.evaluate", "labels out of range", lambda: T.evaluate(net(), data(classes=9)), VE,
     "y must hold class indices", "[0, 3]"),
    ("nn.metrics.confusion_matrix", "label >= num_classes", lambda: MET.confusion_matrix([0, 3], [0, 1], 3), VE,
     "class indices in [0, 2]", "got 3"),
    ("nn.metrics.confusion_matrix", "negative", lambda: MET.confusion_matrix([0, -1], [0, 1]), VE,
     "y_true must hold class indices", ">= 0"),
    ("nn.metrics.confusion_matrix", "floats", lambda: MET.confusion_matrix([0.0, 1.7], [0, 1]), TV,
     "y_true must be", "integer class indices"),
    ("nn.metrics.confusion_matrix", "empty without num_classes", lambda: MET.confusion_matrix([], []), TV,
     "y_true must be", "integer"),
    ("nn.metrics.confusion_matrix", "empty with num_classes", lambda: MET.confusion_matrix(
        torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long), 2), None,
     lambda cm: cm.tolist() == [[0, 0], [0, 0]]),
    ("nn.metrics.confusion_matrix", "num_classes 0", lambda: MET.confusion_matrix([0], [0], 0), VE,
     "num_classes", ">= 1"),
    ("nn.metrics.per_class_accuracy", "not square", lambda: MET.per_class_accuracy(torch.ones(2, 3)), VE,
     "cm must be a square", "(2, 3)"),
    ("nn.metrics.per_class_accuracy", "negative counts", lambda: MET.per_class_accuracy(-torch.eye(2)), VE,
     "cm must hold", "non-negative"),
    ("nn.metrics.most_confused", "k too large", lambda: MET.most_confused(torch.eye(3, dtype=torch.long), 7), VE,
     "k must be", "in [1, 6]"),
    ("nn.metrics.most_confused", "names short", lambda: MET.most_confused(torch.eye(3, dtype=torch.long), 2,
                                                             ["a"]), VE,
     "class_names must hold one name per class", "(3)"),
    ("nn.train.EarlyStopping", "key 'val_loss'", lambda: T.EarlyStopping(key="val_loss"), VE,
     "key must be one of", "'test_loss'"),
    ("nn.train.EarlyStopping", "patience 0", lambda: T.EarlyStopping(patience=0), VE, "patience", ">= 1"),
    ("nn.train.EarlyStopping", "mode 'avg'", lambda: T.EarlyStopping(mode="avg"), VE, "mode must be",
     "'min'"),
    ("nn.train.EarlyStopping.__call__", "no test data", lambda: T.EarlyStopping()(1, history(), net()), VE,
     "needs history['test_loss']", "test_data"),
    ("nn.train.fit", "numpy tuple", lambda: fit(train_data=(np.ones((8, 1, 4, 4)), np.zeros(8))), TV,
     "train_data[0] (X) must be a torch.Tensor", "torch.as_tensor"),
    ("nn.train.fit", "empty dataset", lambda: fit(train_data=(torch.zeros(0, 1, 4, 4),
                                                     torch.zeros(0, dtype=torch.long))), VE,
     "train_data must hold at least one example", "empty"),
    ("nn.train.fit", "empty test data", lambda: fit(test_data=(torch.zeros(0, 1, 4, 4),
                                                      torch.zeros(0, dtype=torch.long))), VE,
     "test_data must hold at least one example", "empty"),
    ("nn.train.fit", "labels out of range", lambda: fit(train_data=data(classes=7)), VE,
     "y must hold class indices", "[0, 3]"),
    ("nn.train.fit", "features of the wrong size", lambda: fit(train_data=(torch.zeros(8, 1, 5, 5),
                                                                  torch.zeros(8, dtype=torch.long))),
     VE, "the model cannot take the inputs in train_data", "(8, 1, 5, 5)"),
    ("nn.train.fit", "device 'gpu'", lambda: fit(device="gpu"), VE, "device must be", "'cuda'"),
    ("nn.train.fit", "threads -1", lambda: fit(threads=-1), VE, "threads", ">= 1"),
    ("nn.train.fit", "batch_size -1", lambda: fit(batch_size=-1), VE, "batch_size", ">= 1"),
    ("nn.train.fit", "epochs 0", lambda: fit(epochs=0), VE, "epochs", ">= 1"),
    ("nn.train.fit", "epochs True", lambda: fit(epochs=True), TV, "epochs", "an int"),
    ("nn.train.fit", "lr inf", lambda: fit(lr=math.inf), VE, "lr", "finite"),
    ("nn.train.fit", "lr -1", lambda: fit(lr=-1.0, optimizer="sgd"), VE, "lr", "> 0"),
    ("nn.train.fit", "grad_clip -1 (would flip the gradient)", lambda: fit(grad_clip=-1.0), VE,
     "grad_clip", "> 0"),
    ("nn.train.fit", "label_smoothing 2", lambda: fit(label_smoothing=2), VE, "label_smoothing",
     "[0, 1]"),
    ("nn.train.fit", "on_epoch not callable", lambda: fit(on_epoch="stop"), TV, "on_epoch must be",
     "function"),
    ("nn.train.fit", "optimizer of another model", lambda: fit(optimizer=_adam()), VE,
     "optimizer must update this model's parameters", "model.parameters()"),
    ("nn.train.fit", "eval_batch_size 0", lambda: fit(eval_batch_size=0), VE, "eval_batch_size", ">= 1"),
    ("nn.train.fit", "seed -1", lambda: fit(seed=-1), VE, "seed", "[0, 4294967295]"),
    ("nn.train.fit", "channels_last 'yes'", lambda: fit(channels_last="yes"), VE, "channels_last must be",
     "'auto', True or False"),
    ("nn.train.fit", "model not a module", lambda: T.fit(np_seq(), data(), epochs=1), TV, "model must be",
     "nn.Module"),
    ("nn.checkpoints.save_checkpoint", "path is a folder", lambda: _in_tmp(lambda d: CK.save_checkpoint(d, net())),
     VE, "path must be a file", "is a folder"),
    ("nn.checkpoints.save_checkpoint", "path None", lambda: CK.save_checkpoint(None, net()), TV, "path must be",
     "file path"),
    ("nn.checkpoints.save_checkpoint", "meta with a function", lambda: _in_tmp(
        lambda d: CK.save_checkpoint(d / "m.pt", net(), f=print)), VE, "meta must hold only",
     "str/int/float"),
    ("nn.checkpoints.save_checkpoint", "model not a module", lambda: _in_tmp(
        lambda d: CK.save_checkpoint(d / "m.pt", {"w": torch.ones(1)})), TV, "model must be",
     "nn.Module"),
    ("nn.checkpoints.load_checkpoint", "missing", lambda: _in_tmp(lambda d: CK.load_checkpoint(d / "none.pt")), FNF,
     "no checkpoint at", "none.pt"),
    ("nn.checkpoints.load_checkpoint", "folder", lambda: _in_tmp(lambda d: CK.load_checkpoint(d)), VE,
     "is a folder", "not a checkpoint file"),
    ("nn.checkpoints.load_checkpoint", "random bytes", lambda: _in_tmp(lambda d: CK.load_checkpoint(
        _write(d / "x.pt", os.urandom(256)))), VE, "not a readable checkpoint", "corrupt"),
    ("nn.checkpoints.load_checkpoint", "truncated", lambda: _in_tmp(lambda d: CK.load_checkpoint(_truncated(
        CK.save_checkpoint(d / "m.pt", net())))), VE, "not a readable checkpoint", "truncated"),
    ("nn.checkpoints.load_checkpoint", "a pickle that would run code", lambda: _in_tmp(lambda d: CK.load_checkpoint(
        _write(d / "x.pt", _code_pickle()))), VE, "not a readable checkpoint", "corrupt"),
    ("nn.checkpoints.load_checkpoint", "another architecture", lambda: _in_tmp(lambda d: CK.load_checkpoint(
        CK.save_checkpoint(d / "m.pt", net()), M.lenet5())), VE, "does not match LeNet5",
     "missing keys"),
    ("nn.train.GradNormRecorder.__call__", "no model", lambda: T.GradNormRecorder()({"loss": 1.0}), TV,
     "info must be", "'model'"),
    ("nn.train.lr_sweep", "steps 0", lambda: T.lr_sweep(net, data(), [0.1], steps=0), VE, "steps",
     ">= 1"),
    ("nn.train.lr_sweep", "negative lr", lambda: T.lr_sweep(net, data(), [0.1, -0.1], steps=2,
                                                   batch_size=8, progress=False), VE, "lrs[1]",
     "> 0"),
    ("nn.train.lr_sweep", "make_model a model", lambda: T.lr_sweep(net(), data(), [0.1]), TV,
     "make_model must be", "function"),
    ("nn.train.lr_sweep", "too few examples", lambda: T.lr_sweep(net, data(), [0.1], steps=10,
                                                        batch_size=8), VE,
     "steps * batch_size = 80", "32 examples"),
])


def _adam():
    return torch.optim.Adam(net().parameters())


def _in_tmp(fn):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        return fn(Path(d))


def _write(path, content):
    path.write_bytes(content)
    return path


def _truncated(path):
    path.write_bytes(path.read_bytes()[:-100])
    return path


class _RunsCode:
    def __reduce__(self):
        return (print, ("this ran while loading",))


def _code_pickle():
    import io
    buf = io.BytesIO()
    torch.save({"format": CK.CHECKPOINT_FORMAT, "meta": _RunsCode()}, buf)
    return buf.getvalue()


# ---------------------------------------------------------------- cnnlib.nn.transfer, cnnlib.summary
CASES += table("cnnlib.nn.transfer", [
    ("freeze", "a tensor", lambda: TR.freeze(torch.ones(2)), TV, "module must be", "nn.Module"),
    ("unfreeze", "a list", lambda: TR.unfreeze([net()]), TV, "module must be", "nn.Module"),
    ("count_trainable", "a function", lambda: TR.count_trainable(net), TV, "model must be",
     "nn.Module"),
    ("param_groups", "negative lr", lambda: TR.param_groups({net(): -1e-3}), VE, "the lr of",
     "> 0"),
    ("param_groups", "lr nan", lambda: TR.param_groups({net(): float("nan")}), VE, "the lr of",
     "finite"),
    ("param_groups", "not a dict", lambda: TR.param_groups([net()]), TV, "groups must be",
     "{module: lr}"),
    ("param_groups", "all frozen", lambda: TR.param_groups({TR.freeze(net()): 0.1}), VE,
     "no trainable parameters", "frozen"),
    ("new_head", "0 classes", lambda: TR.new_head(M.resnet_cifar(8), 0), VE, "num_classes",
     ">= 1"),
    ("new_head", "no fc", lambda: TR.new_head(net(), 5), TV, "model.fc must be", "nn.Linear"),
    ("new_head", "attr int", lambda: TR.new_head(M.resnet_cifar(8), 5, attr=3), TV, "attr must be",
     "name"),
    ("FrozenBN.attach", "a function", lambda: TR.FrozenBN.attach(net), TV, "module must be",
     "nn.Module"),
    ("FrozenBN.hook", "keeps BN in eval", lambda: _frozen_bn_stays_eval(), None, bool),
    ("FrozenBN.hook", "not a module", lambda: TR.FrozenBN.hook("bn", ()), TV, "module must be",
     "nn.Module"),
])


def _frozen_bn_stays_eval():
    model = M.resnet_cifar(8)
    TR.FrozenBN.attach(model.layer1)
    model.train()(torch.zeros(2, 3, 8, 8))
    return not model.layer1[0].bn1.training and model.stem.bn.training


CASES += table("cnnlib.nn.summarize", [
    ("summary", "input_size 0", lambda: SU.summary(net(), (1, 1, 0, 4)), VE, "input_size[2]",
     ">= 1"),
    ("summary", "input_size float", lambda: SU.summary(net(), (1, 1, 4.0, 4)), TV,
     "input_size[2]", "an int"),
    ("summary", "input_size int", lambda: SU.summary(net(), 4), TV, "input_size must be",
     "(1, 3, 32, 32)"),
    ("summary", "depth 0", lambda: SU.summary(net(), (1, 1, 4, 4), depth=0), VE, "depth must be",
     ">= 1"),
    ("summary", "depth 1.0", lambda: SU.summary(net(), (1, 1, 4, 4), depth=1.0), TV,
     "depth must be", "None (leaf layers) or a positive int"),
    ("summary", "wrong size names the layer", lambda: SU.summary(net(), (1, 1, 5, 5)), VE,
     "input_size (1, 1, 5, 5) does not fit", "'3' (Linear)"),
    ("summary", "torch.Size ok", lambda: SU.summary(net(), torch.Size([1, 1, 4, 4])).output_shape,
     None, lambda s: s == (1, 4)),
    ("format_count", "string", lambda: SU.format_count("12"), TV, "n must be", "real number"),
    ("format_count", "nan", lambda: SU.format_count(float("nan")), VE, "n must be", "finite"),
    ("format_count", "negative ok", lambda: SU.format_count(-2_500_000), None,
     lambda s: s == "-2.5 M"),
])

# ---------------------------------------------------------------- cnnlib.nn.cam
CASES += table("cnnlib", [
    ("nn.cam.resolve_layer", "unknown name", lambda: CAM.resolve_layer(cnn(), "conv1"), VE,
     "no layer named 'conv1'", "['0']"),
    ("nn.cam.resolve_layer", "int", lambda: CAM.resolve_layer(cnn(), 0), TV, "target layer must be",
     "dotted name"),
    ("nn.cam.expected_channels", "not a module", lambda: CAM.expected_channels("net"), TV,
     "model must be", "nn.Module"),
    ("nn.cam.check_images", "one image", lambda: CAM.check_images(cnn(), torch.zeros(1, 4, 4)), VE,
     "x must be a 4-D batch", "unsqueeze(0)"),
    ("nn.cam.check_images", "uint8", lambda: CAM.check_images(cnn(), torch.zeros(1, 1, 4, 4,
                                                                           dtype=torch.uint8)),
     TV, "x must be a floating-point tensor", "uint8"),
    ("nn.cam.class_indices", "1-D logits", lambda: CAM.class_indices(None, torch.zeros(3)), VE,
     "logits must be a 2-D tensor", "(B, K)"),
    ("nn.cam.class_indices", "out of range", lambda: CAM.class_indices(5, torch.zeros(2, 3)), VE,
     "class index 5 is out of range", "(0..2)"),
    ("nn.cam.eval_mode", "not a module", lambda: CAM.eval_mode("net").__enter__(), TV, "model must be",
     "nn.Module"),
    ("nn.cam.scale_maps", "2-D map", lambda: CAM.scale_maps(torch.ones(4, 4)), VE,
     "maps must be a 3-D tensor", "(B, H, W)"),
    ("nn.cam.scale_maps", "ndarray", lambda: CAM.scale_maps(np.ones((1, 4, 4))), TV,
     "maps must be a torch.Tensor", "(B, H, W)"),
    ("nn.cam.upsample_and_scale", "size 0", lambda: CAM.upsample_and_scale(torch.ones(1, 2, 2), (0, 4)), VE,
     "size", ">= 1"),
    ("nn.cam.upsample_and_scale", "raw 4-D", lambda: CAM.upsample_and_scale(torch.ones(1, 1, 2, 2), 4), VE,
     "raw must be a 3-D tensor", "(B, h, w)"),
    ("nn.cam.GradCAM", "model without conv layers", lambda: CAM.GradCAM(nn.Sequential(
        nn.Flatten(), nn.Linear(16, 3)), "conv"), VE, "has no layer named 'conv'",
     "its conv layers are []"),
    ("nn.cam.GradCAM.__call__", "a Linear target layer", lambda: CAM.GradCAM(cnn(), "3")(images()), VE,
     "must output feature maps (B, C, h, w)", "['0']"),
    ("nn.cam.GradCAM.__call__", "input of the wrong size", lambda: CAM.GradCAM(cnn(), "0")(images(size=6)),
     VE, "the model cannot take x", "(2, 1, 6, 6)"),
    ("nn.cam.GradCAM.__call__", "target out of range", lambda: CAM.GradCAM(cnn(), "0")(images(), 3), VE,
     "class index 3 is out of range", "3 classes"),
    ("nn.cam.GradCAM.__call__", "maps in [0, 1]", lambda: CAM.GradCAM(cnn(), "0")(images()), None,
     lambda m: m.shape == (2, 4, 4) and 0 <= float(m.min()) and float(m.max()) <= 1),
    ("nn.cam.GradCAMPlusPlus", "target not in the model", lambda: CAM.GradCAMPlusPlus(cnn(),
                                                                               nn.Conv2d(1, 1, 1)),
     VE, "not a submodule", "dotted name"),
    ("figures.cam.overlay", "unknown cmap", lambda: CF.overlay(np.zeros((4, 4, 3)), np.zeros((4, 4)),
                                                    cmap="rainbow-ish"), VE, "cmap must be",
     "'viridis'"),
    ("figures.cam.overlay", "NaN image", lambda: CF.overlay(np.full((4, 4, 3), np.nan), np.zeros((4, 4))), VE,
     "image values must be finite", "[0, 1]"),
    ("figures.cam.overlay", "0-255 image", lambda: CF.overlay(np.full((4, 4, 3), 200.0), np.zeros((4, 4))), VE,
     "image values must lie in [0, 1]", "normalisation"),
    ("nn.cam.occlusion", "stride 0", lambda: CAM.occlusion(cnn(), images(), size=2, stride=0), VE,
     "stride", ">= 1"),
    ("nn.cam.occlusion", "fill 'grey'", lambda: CAM.occlusion(cnn(), images(), size=2, fill="grey"), TV,
     "fill must be", "number"),
    ("nn.cam.occlusion", "size 2.0", lambda: CAM.occlusion(cnn(), images(), size=2.0), TV, "size",
     "an int"),
    ("nn.cam.occlusion", "input of the wrong size", lambda: CAM.occlusion(cnn(), images(size=6), size=2),
     VE, "the model cannot take x", "(2, 1, 6, 6)"),
    ("nn.cam.capture_activations", "layers int", lambda: CAM.capture_activations(cnn(), images(), 3), TV,
     "layers must be", "a dict"),
    ("nn.cam.capture_activations", "wrong size", lambda: CAM.capture_activations(cnn(), images(size=6),
                                                                          ["0"]), VE,
     "the model cannot take x", "(2, 1, 6, 6)"),
    ("nn.cam.randomize_weights", "seed string", lambda: CAM.randomize_weights(cnn(), ["0"], seed="a"), TV,
     "seed", "an int"),
    ("nn.cam.randomize_weights", "layers int", lambda: CAM.randomize_weights(cnn(), 0), TV,
     "layers must be", "names"),
    ("nn.cam.randomize_weights", "init", lambda: CAM.randomize_weights(cnn(), "0", init="xavier"), VE,
     "init must be", "'reset'"),
    ("nn.cam.spearman", "NaN", lambda: CAM.spearman(np.full((2, 2), np.nan), np.ones((2, 2))), VE,
     "a must hold", "finite"),
    ("nn.cam.spearman", "strings", lambda: CAM.spearman([["a"]], [["b"]]), TV, "a must be",
     "numeric"),
    ("nn.cam.spearman", "shapes", lambda: CAM.spearman(np.ones((2, 2)), np.ones((3, 3))), VE,
     "maps differ in shape", "(3, 3)"),
    ("nn.cam.spearman", "identical maps", lambda: CAM.spearman(np.arange(9.0).reshape(3, 3),
                                                        np.arange(9.0).reshape(3, 3)), None,
     lambda r: abs(r - 1) < 1e-12),
    ("nn.cam.filters_rgb", "grey filters", lambda: CAM.filters_rgb(torch.ones(4, 1, 3, 3)), VE,
     "RGB filters", "(F, 3, k, k)"),
    ("nn.cam.filters_rgb", "strings", lambda: CAM.filters_rgb([["a"]]), TV, "weight must be",
     "numeric"),
    ("nn.cam.compose_filters", "ndarrays", lambda: CAM.compose_filters(np.ones((1, 1, 3, 3)),
                                                                np.ones((1, 1, 3, 3))), TV,
     "outer must be a torch.Tensor", "(O, J, p, q)"),
    ("nn.cam.compose_filters", "channel mismatch", lambda: CAM.compose_filters(
        torch.ones(1, 2, 3, 3), torch.ones(3, 1, 3, 3)), VE, "need outer", "(J, C, k, l)"),
    ("figures.cam.plot_filters", "ncols 0", lambda: CF.plot_filters(torch.ones(2, 3, 3, 3), ncols=0), VE,
     "ncols", ">= 1"),
    ("figures.cam.plot_filters", "size -1", lambda: CF.plot_filters(torch.ones(2, 3, 3, 3), size=-1), VE,
     "size", "> 0"),
    ("figures.cam.plot_feature_maps", "empty", lambda: CF.plot_feature_maps({}), TV, "acts must be",
     "non-empty dict"),
    ("figures.cam.plot_feature_maps", "n 0", lambda: CF.plot_feature_maps({"a": torch.ones(2, 3, 3)}, n=0),
     VE, "n", ">= 1"),
    ("figures.cam.plot_feature_maps", "batched activation", lambda: CF.plot_feature_maps(
        {"a": torch.ones(1, 2, 3, 3)}), VE, "activation 'a' must be", "(C, h, w)"),
    ("figures.cam.plot_overlays", "too few maps", lambda: CF.plot_overlays([np.zeros((4, 4, 3))] * 2,
                                                                {"cam": np.zeros((1, 4, 4))}), VE,
     "columns['cam'] must hold one map per image", "(2)"),
    ("figures.cam.plot_overlays", "row titles", lambda: CF.plot_overlays([np.zeros((4, 4, 3))],
                                                              {"cam": np.zeros((1, 4, 4))},
                                                              row_titles=["a", "b"]), VE,
     "row_titles must hold one title per image", "(1)"),
])


# aliases: Layer.__call__ and Sequential.__call__ are forward, SoftmaxCrossEntropy.__call__ too
CASES += table("cnnlib.scratch.layers", [
    ("Layer.__call__", "list input", lambda: L.ReLU()([1.0, -1.0]), TV, "x must be", "ndarray"),
    ("Sequential.__call__", "1-D input", lambda: np_seq()(np.ones(16)), VE, "x must be a batch",
     "(N, ...)"),
    ("SoftmaxCrossEntropy.__call__", "labels of another length",
     lambda: L.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0])), VE, "labels (N,)",
     "(1,)"),
])

# the book's visible training loop (chapter 3 writes it out)
CASES += table("cnnlib.nn.loop", [
    ("train", "epochs 0", lambda: LP.train(net(), data(), epochs=0), VE, "epochs", ">= 1"),
    ("train", "lr -1", lambda: LP.train(net(), data(), lr=-1), VE, "lr", "> 0"),
    ("train", "batch_size 0", lambda: LP.train(net(), data(), batch_size=0), VE, "batch_size", ">= 1"),
    ("train", "float labels", lambda: LP.train(net(), (data()[0], torch.zeros(32))), TV,
     "data[1] (y)", "integer"),
    ("train", "labels beyond the classes", lambda: LP.train(net(classes=2), data(classes=4)), VE,
     "largest label", "(N, classes)"),
    ("train", "images the model cannot take", lambda: LP.train(net(), (torch.zeros(32, 3, 4, 4),
                                                                       data()[1])), VE,
     "cannot take data[0] (X)", "(32, 3, 4, 4)"),
    ("train", "a NumPy model", lambda: LP.train(np_seq(), data()), TV, "model must be", "nn.Module"),
    ("train", "X not a pair", lambda: LP.train(net(), data()[0]), TV, "data must be a pair", "(X, y)"),
    ("accuracy", "integer images", lambda: LP.accuracy(net(), (torch.zeros(32, 1, 4, 4, dtype=torch.long),
                                                              data()[1])), TV, "data[0] (X)", "floating"),
    ("accuracy", "batch_size 0", lambda: LP.accuracy(net(), data(), batch_size=0), VE, "batch_size",
     ">= 1"),
])


test_case = case_test(CASES)
