"""Bad input for the chapters' experiment and figure helpers: recipes, experiments, architectures,
trainplots, viz and the bench command line (see tests/badinput.py for what a case must do)."""
import argparse
import contextlib
import io
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from badinput import case_test, table
from cnnlib.figures import architectures as FA
from cnnlib.figures import batchnorm as FB
from cnnlib.figures import blocks as FBL
from cnnlib.figures import cam as FC
from cnnlib.figures import experiments as FE
from cnnlib.figures import geometry as GEO
from cnnlib.figures import images as FI
from cnnlib.figures import pooling as FP
from cnnlib.figures import recipes as FR
from cnnlib.figures import scratch as FS
from cnnlib.figures import training as TP
from cnnlib.nn import architectures as AR
from cnnlib.scratch import convmath as CMATH
from cnnlib.nn import experiments as E
from cnnlib.nn import models as M
from cnnlib.nn import recipes as R
from cnnlib.nn import train as T
from cnnlib.tools import bench as B
from cnnlib.tools import source as SRC

TV, VE = TypeError, ValueError
MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def cifar(n=8, size=8):
    g = torch.Generator().manual_seed(0)
    return (torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g),
            torch.arange(n) % 4)


def hist(accs=(0.5, 0.8, 0.9)):
    h = T.History()
    for e, a in enumerate(accs, 1):
        h.append(epoch=e, train_loss=1.0, train_acc=a, test_loss=1.0, test_acc=a, time=10.0 * e)
    return h


def in_tmp(fn):
    with tempfile.TemporaryDirectory() as d:
        return fn(Path(d))


def saved_book_model(d, **meta_changes):
    """A checkpoint written like save_book_model, with ``meta_changes`` merged into its meta."""
    model = M.fast_cifar_net((4, 4, 4))
    path = R.save_book_model(model, mean=MEAN, std=STD, source="test", path=d / "m.pt")
    ckpt = torch.load(path, weights_only=True)
    for k, v in meta_changes.items():
        ckpt["meta"][k] = v if not isinstance(v, dict) else {**ckpt["meta"].get(k, {}), **v}
    torch.save(ckpt, path)
    return path


# ---------------------------------------------------------------- cnnlib.nn.recipes
CASES = table("cnnlib.nn.recipes", [
    ("triangle", "total 0", lambda: R.triangle(0), VE, "total", ">= 1"),
    ("triangle", "negative start (gradient ascent)", lambda: R.triangle(10, start=-0.2), VE,
     "start", ">= 0"),
    ("triangle", "peak_at 2", lambda: R.triangle(10, peak_at=2), VE, "peak_at", "[0, 1]"),
    ("triangle", "shape", lambda: [R.triangle(10, 0.2, 0.5, 0.0)(i) for i in (0, 5, 10)], None,
     lambda v: np.allclose(v, [0.2, 1.0, 0.0])),
    ("book_optimizer", "missing momentum", lambda: R.book_optimizer(
        M.fast_cifar_net((4, 4, 4)), {"lr": 1.0, "weight_decay": 0.0, "bias_scaler": 1.0}, 8), VE,
     "hyp must be a dict", "['momentum']"),
    ("book_optimizer", "momentum 1", lambda: R.book_optimizer(
        M.fast_cifar_net((4, 4, 4)), {**R.BOOK_HYP, "momentum": 1.0}, 8), VE,
     "hyp['momentum']", "[0, 1)"),
    ("book_optimizer", "batch_size 0", lambda: R.book_optimizer(M.fast_cifar_net((4, 4, 4)),
                                                                R.BOOK_HYP, 0), VE, "batch_size",
     ">= 1"),
    ("Lookahead", "every 0", lambda: R.Lookahead(nn.Linear(2, 2), 10, every=0), VE, "every",
     ">= 1"),
    ("Lookahead", "decay 1.5", lambda: R.Lookahead(nn.Linear(2, 2), 10, decay=1.5), VE, "decay",
     "[0, 1]"),
    ("Lookahead", "model not a module", lambda: R.Lookahead("model", 10), TV, "model must be",
     "nn.Module"),
    ("Lookahead.__call__", "ends on the average", lambda: _lookahead_ends_on_average(), None, bool),
    ("train_book", "numpy data", lambda: R.train_book((np.zeros((8, 3, 8, 8)), np.zeros(8)),
                                                      mean=MEAN, std=STD), TV,
     "train[0] (X) must be a torch.Tensor", "torch.as_tensor"),
    ("train_book", "float images", lambda: R.train_book((torch.rand(8, 3, 8, 8), torch.zeros(
        8, dtype=torch.long)), mean=MEAN, std=STD), VE, "train must be (X, y) with X uint8",
     "float32"),
    ("train_book", "tta before training", lambda: R.train_book(cifar(), cifar(), mean=MEAN,
                                                               std=STD, tta="flop"), VE,
     "tta must be one of", "'flip-translate'"),
    ("train_book", "std 0", lambda: R.train_book(cifar(), mean=MEAN, std=(0.2, 0, 0.2)), VE,
     "std must be positive", "every channel"),
    ("train_book", "unknown hyperparameter", lambda: R.train_book(cifar(), mean=MEAN, std=STD,
                                                                  hyp={"epoch": 1}), VE,
     "unknown hyperparameters ['epoch']", "allowed"),
    ("train_book", "seed 'a'", lambda: R.train_book(cifar(), mean=MEAN, std=STD, seed="a"), TV,
     "seed", "an int"),
    ("train_book", "switch 'yes'", lambda: R.train_book(cifar(), mean=MEAN, std=STD,
                                                        hyp={"whiten": "yes"}), TV,
     "hyp['whiten'] must be True or False", "'yes'"),
    ("train_book", "label smoothing 1", lambda: R.train_book(cifar(), mean=MEAN, std=STD,
                                                             hyp={"label_smoothing": 1.0}), VE,
     "hyp['label_smoothing']", "[0, 1)"),
    ("buildup_hyp", "unknown step", lambda: R.buildup_hyp("tta"), VE,
     "step must be a name of BUILDUP", "'whiten'"),
    ("buildup_hyp", "index past the end", lambda: R.buildup_hyp(len(R.BUILDUP)), VE,
     "step must be a name of BUILDUP", "0..6"),
    ("buildup_hyp", "base not a dict", lambda: R.buildup_hyp(0, base=[1]), TV,
     "base must be a dict", "list"),
    ("buildup_hyp", "last step is the book's recipe", lambda: R.buildup_hyp(-1 % len(R.BUILDUP)),
     None, lambda h: h == R.BOOK_HYP),
    ("lesson_transforms", "std 0", lambda: R.lesson_transforms(MEAN, (0.2, 0.0, 0.2)), VE,
     "std must be positive", "every channel"),
    ("lesson_loaders", "batch_size 0", lambda: R.lesson_loaders(cifar(), None, batch_size=0), VE,
     "batch_size", ">= 1"),
    ("lesson_loaders", "grey images", lambda: R.lesson_loaders((torch.zeros(
        2, 1, 8, 8, dtype=torch.uint8), torch.zeros(2, dtype=torch.long)), None), VE,
     "train must be (X, y) with X uint8 RGB images", "(2, 1, 8, 8)"),
    ("train_lesson", "epochs 0", lambda: R.train_lesson(cifar(), epochs=0, progress=False), VE,
     "epochs", ">= 1"),
    ("train_lesson", "on_epoch not callable", lambda: R.train_lesson(cifar(), on_epoch=1), TV,
     "on_epoch must be", "function"),
    ("time_to", "acc in percent", lambda: R.time_to(hist(), 80), VE, "acc must be", "[0, 1]"),
    ("time_to", "not a history", lambda: R.time_to([0.5, 0.9], 0.8), TV, "hist must be",
     "History"),
    ("time_to", "reached", lambda: R.time_to(hist(), 0.8), None, lambda t: t == 20.0),
    ("save_book_model", "another model", lambda: in_tmp(lambda d: R.save_book_model(
        M.lenet5(), mean=MEAN, std=STD, source="s", path=d / "m.pt")), TV, "model must be",
     "FastCIFARNet"),
    ("save_book_model", "classes of another length", lambda: in_tmp(lambda d: R.save_book_model(
        M.fast_cifar_net((4, 4, 4)), mean=MEAN, std=STD, source="s", classes=("a", "b"),
        path=d / "m.pt")), VE, "classes must hold one name per output", "(10)"),
    ("save_book_model", "std 0", lambda: in_tmp(lambda d: R.save_book_model(
        M.fast_cifar_net((4, 4, 4)), mean=MEAN, std=(0, 0, 0), source="s", path=d / "m.pt")), VE,
     "std must be positive", "every channel"),
    ("load_book_model", "config with an unknown key", lambda: in_tmp(lambda d: R.load_book_model(
        saved_book_model(d, config={"depth": 3}))), VE, "unknown keys ['depth']", "allowed"),
    ("load_book_model", "unknown architecture", lambda: in_tmp(lambda d: R.load_book_model(
        saved_book_model(d, arch="torch"))), VE, "unknown architecture", "'torch'"),
    ("load_book_model", "config not building a model", lambda: in_tmp(lambda d: R.load_book_model(
        saved_book_model(d, config={"widths": [0]}))), VE, "does not build fast_cifar_net",
     "widths[0]"),
    ("load_book_model", "round trip", lambda: in_tmp(lambda d: R.load_book_model(
        saved_book_model(d))[1]["config"]), None, lambda c: c["widths"] == [4, 4, 4]),
])


def _lookahead_ends_on_average():
    model = nn.Linear(1, 1, bias=False)
    la = R.Lookahead(model, total=4, start=0.0, every=1)
    for w in (1.0, 2.0, 3.0, 4.0):
        with torch.no_grad():
            model.weight.fill_(w)
        la({})
    return 1.0 < float(model.weight.detach()) < 4.0


# ---------------------------------------------------------------- cnnlib.nn.experiments
def _runs(**extra):
    """Chapter 6's runs for p = 0 and seed 0: three evaluations."""
    return {(0.0, 0): {"epoch": np.arange(1, 4), "train_acc": np.ones(3), "val_acc": np.ones(3),
                       "val_loss": np.ones(3), "test_acc": 1.0, **extra}}


CASES += table("cnnlib", [
    ("figures.experiments.grad_flow_figure", "empty runs", lambda: FE.grad_flow_figure({}, 8), TV, "runs must be",
     "a plain and a residual net"),
    ("figures.experiments.grad_flow_figure", "norms of a middle step", lambda: FE.grad_flow_figure(
        {"a": {"loss": [1.0, 1.0, 1.0], "norms": {0: [1.0], 1: [1.0]}},
         "b": {"loss": [1.0, 1.0, 1.0], "norms": {0: [1.0], 2: [1.0]}}}, 8), VE,
     "runs['a']['norms'] must hold the first and the last step", "[0, 2]", "got steps [0, 1]"),
    ("figures.experiments.grad_flow_figure", "no loss", lambda: FE.grad_flow_figure(
        {"a": {"norms": {}}, "b": {"norms": {}}}, 8), VE, "runs['a'] must hold 'loss'", "'norms'"),
    ("figures.experiments.grad_flow_figure", "steps differ", lambda: FE.grad_flow_figure(
        {"a": {"loss": [1.0], "norms": {0: [1.0]}}, "b": {"loss": [1.0, 1.0], "norms": {0: [1.0], 1: [1.0]}}},
        8), VE, "same number of steps", "[1, 2]"),
    ("figures.experiments.grad_flow_figure", "depth 0", lambda: FE.grad_flow_figure(
        {"a": {"loss": [1.0], "norms": {0: [1.0]}}, "b": {"loss": [1.0], "norms": {0: [1.0]}}}, 0), VE,
     "depth", ">= 1"),
    ("figures.experiments.bn_lr_figure", "smooth 0", lambda: FE.bn_lr_figure({(0, 0.1, False): {"loss": np.ones(3),
                                                                              "test_acc": 0.5}}, 0),
     VE, "smooth", ">= 1"),
    ("figures.experiments.bn_lr_figure", "{seed: runs}, not {(seed, lr, bn): run}", lambda: FE.bn_lr_figure(
        {0: {(0.1, False): {"loss": np.ones(3), "test_acc": 0.5}}}), TV, "runs must be",
     "{(seed, lr, batch_norm): record}"),
    ("figures.experiments.bn_lr_figure", "seed a float", lambda: FE.bn_lr_figure(
        {(0.5, 0.1, False): {"loss": np.ones(3), "test_acc": 0.5}}), TV, "runs must be", "int seeds"),
    ("figures.experiments.bn_lr_figure", "missing keys", lambda: FE.bn_lr_figure({(0, 0.1, False): {"loss": []}}),
     VE, "runs[(0, 0.1, False)] must hold", "'test_acc'"),
    ("nn.experiments.dropout_table", "last 0 (would average every epoch)", lambda: E.dropout_table(_runs(), 0),
     VE, "last", "in [1, 3]"),
    ("nn.experiments.dropout_table", "last beyond the epochs", lambda: E.dropout_table(_runs(), 5), VE, "last",
     "in [1, 3]"),
    ("nn.experiments.dropout_table", "means", lambda: E.dropout_table(_runs(), 2)[0.0], None,
     lambda r: {k: v.tolist() for k, v in r.items()} == {
         "train": [1.0], "val": [1.0], "gap": [0.0], "val_loss": [1.0], "test": [1.0]}),
    ("nn.experiments.dropout_table", "empty", lambda: E.dropout_table({}), TV, "runs must be a non-empty dict",
     "(p, seed)"),
    ("nn.experiments.dropout_table", "key p only", lambda: E.dropout_table({0.0: _runs()[0.0, 0]}), TV,
     "keys must be (p, seed) pairs", "0.0"),
    ("nn.experiments.dropout_table", "no val_loss", lambda: E.dropout_table(
        {(0.0, 0): {k: v for k, v in _runs()[0.0, 0].items() if k != "val_loss"}}), VE,
     "runs[(0.0, 0)] must hold", "'val_loss'"),
    ("nn.experiments.dropout_table", "lengths differ", lambda: E.dropout_table(_runs(val_acc=np.ones(2))), VE,
     "one value per evaluation", "'val_acc': 2"),
    ("nn.experiments.dropout_table", "runs evaluated unequally", lambda: E.dropout_table(
        {**_runs(), (0.0, 1): {**_runs()[0.0, 0], **{k: np.ones(2) for k in ("epoch", "train_acc", "val_acc",
                                                                             "val_loss")}}}), VE,
     "evaluated equally often", "[2, 3]"),
    ("figures.experiments.dropout_figure", "not runs", lambda: FE.dropout_figure([1, 2], "t"), TV, "runs must be",
     "{(p, seed): record}"),
])

# ---------------------------------------------------------------- cnnlib.nn.architectures
STATS = {"A": {"year": 2000, "params": 10, "flops": 100, "idea": "x"}}
CASES += table("cnnlib", [
    ("nn.architectures.on_meta", "builder a model", lambda: AR.on_meta("vgg16"), TV, "builder must be",
     "function or class"),
    ("nn.architectures.on_meta", "weights on meta", lambda: AR.on_meta(M.lenet5).classifier.fc3.weight.device.type,
     None, lambda t: t == "meta"),
    ("nn.architectures.architecture_stats", "short row", lambda: AR.architecture_stats([(1998, "LeNet-5")]), VE,
     "archs[0] must be a row", "(year, name, builder, input size, idea)"),
    ("nn.architectures.architecture_stats", "one row", lambda: AR.architecture_stats(AR.ARCHITECTURES[:1]), None,
     lambda s: s["LeNet-5"]["params"] == 61706),
    ("figures.architectures.timeline_figure", "empty", lambda: FA.timeline_figure({}), TV, "stats must be",
     "architecture_stats"),
    ("figures.architectures.params_flops_figure", "missing flops", lambda: FA.params_flops_figure(
        {"A": {"params": 1}}), VE, "stats['A'] must hold", "'flops'"),
    ("figures.architectures.params_flops_figure", "one point", lambda: FA.params_flops_figure(STATS), None,
     lambda f: len(f.axes) == 1),
    ("nn.architectures.measured_receptive_field", "size 10**6 (would allocate 10^12 pixels)", lambda: AR.measured_receptive_field(
        [3], size=10**6), VE, "size must be", "[1, 4096]"),
    ("nn.architectures.measured_receptive_field", "even kernel", lambda: AR.measured_receptive_field([3, 4]), VE,
     "kernel_sizes must be odd", "[3, 4]"),
    ("nn.architectures.measured_receptive_field", "size '15'", lambda: AR.measured_receptive_field([3], size="15"), TV, "size",
     "an int"),
    ("nn.architectures.measured_receptive_field", "two 3x3 see 5", lambda: AR.measured_receptive_field([3, 3]), None,
     lambda r: r == 5),
])

# ---------------------------------------------------------------- cnnlib.figures.training, cnnlib.figures
CLASSES = ("a", "b", "c", "d")
_BUILDUP = {"steps": [{"name": "base"}, {"name": "whiten"}],
            "runs": [dict(step=st, seed=s, test_acc=0.8, tta_acc=0.81, train_time=10.0, cpu=20.0)
                     for s in (1, 2) for st in ("base", "whiten")]}
_LABELS = {"base": "基準", "whiten": "＋白色化", "tta": "＋TTA"}
CASES += table("cnnlib.figures.recipes", [
    ("buildup_figure", "the whole JSON file", lambda: FR.buildup_figure({"buildup": _BUILDUP},
                                                                        _LABELS), TV,
     "buildup must be the 'buildup' dict", "'runs'"),
    ("buildup_figure", "a run without cpu", lambda: FR.buildup_figure(
        {**_BUILDUP, "runs": [{k: v for k, v in r.items() if k != "cpu"}
                              for r in _BUILDUP["runs"]]}, _LABELS), VE,
     "every run must have", "'cpu'"),
    ("buildup_figure", "no label for TTA", lambda: FR.buildup_figure(
        _BUILDUP, {"base": "a", "whiten": "b"}), VE, "labels must be a dict", "'tta'"),
    ("buildup_figure", "two panels, a point per seed and step", lambda: FR.buildup_figure(
        _BUILDUP, _LABELS), None, lambda f: len(f.axes) == 2 and len(f.axes[0].lines) >= 2),
])
CASES += table("cnnlib.figures.training", [
    ("class_grid", "per_class 0", lambda: TP.class_grid(*cifar(), CLASSES, per_class=0), VE,
     "per_class", ">= 1"),
    ("class_grid", "label without a name", lambda: TP.class_grid(*cifar(), CLASSES[:3]), VE,
     "y must hold labels in [0, 2]", "0..3"),
    ("class_grid", "numpy labels, one per class", lambda: TP.class_grid(
        cifar()[0], cifar()[1].numpy(), CLASSES, per_class=1), None, lambda f: len(f.axes) == 4),
    ("class_grid", "labels of another length", lambda: TP.class_grid(cifar()[0], cifar()[1][:3],
                                                                     CLASSES), VE,
     "y must hold one integer label per image", "(3,)"),
    ("class_balance", "fewer legend labels", lambda: TP.class_balance([cifar()[1]] * 2, CLASSES,
                                                                      ["train"]), VE,
     "ys must be a non-empty list", "1 labels"),
    ("class_balance", "label without a name", lambda: TP.class_balance([torch.tensor([0, 5])],
                                                                       CLASSES, ["t"]), VE,
     "ys[0] must hold labels in [0, 3]", "0..5"),
    ("image_table", "empty", lambda: TP.image_table({}), VE, "rows must be a non-empty dict",
     "one image per row"),
    ("image_table", "col_titles short", lambda: TP.image_table({"r": list(cifar()[0][:3])},
                                                               col_titles=["a"]), VE,
     "col_titles must hold one title per column", "(3)"),
    ("learning_curves", "a list of losses", lambda: TP.learning_curves({"run": [1.0, 0.5]}), TV,
     "histories['run'] must be a History", "fit"),
    ("learning_curves", "one run", lambda: TP.learning_curves({"run": hist()}), None,
     lambda f: len(f.axes) == 2),
    ("confusion_heatmap", "classes of another length", lambda: TP.confusion_heatmap(
        torch.eye(3), CLASSES), VE, "cm must be a (K, K) matrix", "len(classes) = 4"),
    ("confusion_heatmap", "negative", lambda: TP.confusion_heatmap(-torch.eye(4), CLASSES), VE,
     "cm must be", "counts"),
    ("bar", "lengths", lambda: TP.bar([1, 2], ["a"], "y", "t"), VE, "values and labels",
     "one entry per bar"),
    ("bar", "fmt with a name", lambda: TP.bar([1.0], ["a"], "y", "t", fmt="{x:.2f}"), VE,
     "fmt must be a format string", "'{x:.2f}'"),
    ("prediction_grid", "ncols 0", lambda: TP.prediction_grid(*cifar(), cifar()[1], CLASSES,
                                                              ncols=0), VE, "ncols", ">= 1"),
    ("prediction_grid", "prediction without a name", lambda: TP.prediction_grid(
        *cifar(), cifar()[1] + 4, CLASSES), VE, "pred must hold labels in [0, 3]", "4..7"),
    ("prediction_grid", "n -1", lambda: TP.prediction_grid(*cifar(), cifar()[1], CLASSES, n=-1),
     VE, "n", ">= 1"),
])
CASES += table("cnnlib", [
    ("figures.images.show_images", "titles short", lambda: FI.show_images([np.zeros((2, 2))] * 2, ["a"]), VE,
     "one title per image", "1 titles"),
    ("figures.images.show_images", "no images", lambda: FI.show_images([], []), VE, "at least one image",
     "0 images"),
    ("figures.images.show_images", "ncols 0", lambda: FI.show_images([np.zeros((2, 2))], ["a"], ncols=0), VE,
     "ncols", ">= 1"),
    ("figures.images.show_images", "unknown cmap", lambda: FI.show_images([np.zeros((2, 2))], ["a"],
                                                          cmap="greyish"), VE, "cmap must be",
     "'gray'"),
    ("figures.images.show_images", "signed per image", lambda: FI.show_images([np.zeros((2, 2))] * 2, ["a", "b"],
                                                              signed=[True]), VE,
     "signed must be a bool", "one bool per image"),
    ("tools.source.show_source", "a number", lambda: SRC.show_source(3), TV, "obj must be",
     "written in Python"),
])

# ---------------------------------------------------------------- cnnlib.figures.geometry (chapter 1)
EQ = lambda: CMATH.shift_equivariance(np.arange(36.0).reshape(6, 6), np.ones((3, 3)), 1, 2)
CASES += table("cnnlib.figures.geometry", [
    ("conv_matrix_figure", "too many pixels", lambda: GEO.conv_matrix_figure(np.ones((3, 3)), (9, 9)),
     VE, "input_shape must have at most 64 pixels", "(9, 9)"),
    ("conv_matrix_figure", "1-D kernel", lambda: GEO.conv_matrix_figure(np.ones(3), (4, 4)), VE,
     "k must be a 2-D array", "(KH, KW)"),
    ("conv_matrix_figure", "drawn", lambda: GEO.conv_matrix_figure(np.ones((2, 2)), (3, 3)), None,
     lambda fig: len(fig.axes) == 2),
    ("equivariance_figure", "not the dict", lambda: GEO.equivariance_figure({"x": 1}, (1, 2)), TV,
     "maps must be the dict of shift_equivariance", "'diff'"),
    ("equivariance_figure", "shift not a pair", lambda: GEO.equivariance_figure(EQ(), 1), VE,
     "shift must be", "(dy, dx)"),
    ("equivariance_figure", "drawn", lambda: GEO.equivariance_figure(EQ(), (1, 2)), None,
     lambda fig: "= 0）" in fig.axes[4].get_title()),
    ("conv_window_figure", "too large", lambda: GEO.conv_window_figure(15, 3, padding=1), VE,
     "size + 2*padding must be <= 16", "size=15"),
    ("conv_window_figure", "position outside", lambda: GEO.conv_window_figure(5, 3, position=(3, 0)),
     VE, "position must be", "[0, 2]"),
    ("conv_window_figure", "kernel does not fit", lambda: GEO.conv_window_figure(5, 3, dilation=3),
     VE, "kernel_size=3", "size=5"),
    ("conv_window_figure", "stride 0", lambda: GEO.conv_window_figure(5, 3, stride=0), VE, "stride",
     ">= 1"),
    ("conv_window_figure", "size float", lambda: GEO.conv_window_figure(5.0, 3), TV, "size", "an int"),
    ("conv_window_animation", "interval 0", lambda: GEO.conv_window_animation(5, 3, interval=0), VE,
     "interval", "[50, 10000]"),
    ("conv_window_animation", "dpi text", lambda: GEO.conv_window_animation(5, 3, dpi="high"), TV,
     "dpi", "real number"),
    ("conv_window_animation", "padding -1", lambda: GEO.conv_window_animation(5, 3, padding=-1), VE,
     "padding", ">= 0"),
    ("animation_html", "a figure", lambda: GEO.animation_html(plt.figure()), TV,
     "anim must be a matplotlib Animation", "Figure"),
    ("animation_html", "mode", lambda: GEO.animation_html(GEO.conv_window_animation(3, 3), "bounce"),
     VE, "default_mode", "'reflect'"),
    ("animation_html", "alt empty", lambda: GEO.animation_html(GEO.conv_window_animation(3, 3), alt=" "),
     TV, "alt must be", "non-empty str"),
    ("animation_html", "offline", lambda: GEO.animation_html(GEO.conv_window_animation(3, 3)), None,
     lambda h: "https:" not in h.split("data:")[0] and "再生</button>" in h),
    ("conv_volume_figure", "9 kernels", lambda: GEO.conv_volume_figure(3, 7, 9, 3), VE,
     "out_channels", "[1, 8]"),
    ("conv_volume_figure", "no channels", lambda: GEO.conv_volume_figure(0, 7, 2, 3), VE,
     "in_channels", "[1, 16]"),
    ("conv_volume_figure", "kernel larger", lambda: GEO.conv_volume_figure(3, 2, 2, 3), VE,
     "kernel_size=3", "size=2"),
])


# ---------------------------------------------------------------- cnnlib.tools.bench (command line)
def cli(*argv):
    """main(argv)'s usage error: argparse prints it and exits with 2 (returns the message)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            B.main(list(argv))
        except SystemExit as stop:
            if stop.code == 2:
                raise ValueError(err.getvalue().strip().splitlines()[-1]) from None
            raise
    raise AssertionError(f"main{argv} ran instead of refusing its arguments")


def _raise_from_cnnlib(fn):
    """The usage message of a refused command line (argparse's, so it is judged as a result)."""
    try:
        fn()
    except ValueError as err:
        return str(err)
    return ""


CASES += table("cnnlib.tools.bench", [
    ("main", "--batch 0", lambda: _raise_from_cnnlib(lambda: cli("conv", "--batch", "0")), None,
     lambda m: "argument --batch: must be an int >= 1; got '0'" in m),
    ("main", "--repeats x", lambda: _raise_from_cnnlib(lambda: cli("conv", "--repeats", "x")),
     None, lambda m: "argument --repeats: must be an int >= 1; got 'x'" in m),
    ("main", "--threads 2,0", lambda: _raise_from_cnnlib(lambda: cli("conv", "--threads", "2,0")),
     None, lambda m: "argument --threads: must be comma-separated positive ints" in m),
    ("main", "--widths 32,x", lambda: _raise_from_cnnlib(lambda: cli("cifar10", "--widths",
                                                                     "32,x")), None,
     lambda m: "argument --widths: must be comma-separated positive ints" in m),
    ("main", "--lesson-budget nan", lambda: _raise_from_cnnlib(lambda: cli(
        "cifar10", "--lesson-budget", "nan")), None,
     lambda m: "argument --lesson-budget: must be a number >= 0" in m),
    ("cmd_conv", "not parsed arguments", lambda: B.cmd_conv({"batch": 1}), TV,
     "args must be the argparse.Namespace", "cnnlib.tools.bench conv"),
    ("cmd_cifar10", "missing options", lambda: B.cmd_cifar10(argparse.Namespace(recipes="lesson")),
     TV, "args must be the argparse.Namespace", "missing"),
    ("parse_recipe", "unknown preset", lambda: B.parse_recipe("book-bf16@1min", _args()), VE,
     "unknown recipe 'book-bf16@1min'", "book-bf16@8ep"),
    ("parse_recipe", "not a string", lambda: B.parse_recipe(None, _args()), TV, "spec must be",
     "'lesson'"),
    ("run_recipe", "unknown recipe", lambda: B.run_recipe("fast", cifar(), cifar(), _args(),
                                                          MEAN, STD), VE, "unknown recipe",
     "allowed"),
    ("throughput", "not an ImageSplit", lambda: B.throughput(cifar(), MEAN, STD, _args()), TV,
     "tr must be the ImageSplit", "load_cifar10"),
    ("interleaved", "repeats 0", lambda: B.interleaved({"a": lambda: None}, 0), VE, "repeats",
     ">= 1"),
    ("interleaved", "not callables", lambda: B.interleaved({"a": 1}, 1), TV, "fns must be",
     "name -> function"),
    ("speedups", "not run results", lambda: B.speedups([{"recipe": "lesson"}]), TV,
     "results must be the list of run_recipe dicts", "'t80'"),
    ("speedups", "a bound when the lesson never got there", lambda: B.speedups(
        [{"recipe": "book", "t80": 10.0}, {"recipe": "lesson", "t80": None,
                                           "total_time": 95.0}]), None,
     lambda lines: lines == ["book: the lesson did not reach 80% in 95 s; speed-up ≥ 9.5x"]),
    ("subcommand", "a lambda", lambda: B.subcommand(lambda args: None), TV, "fn must be",
     "cmd_<subcommand>"),
])


def _args():
    parser = argparse.ArgumentParser()
    B.cmd_cifar10.add_arguments(parser)
    return parser.parse_args([])


CASES += table("cnnlib.figures.training", [
    ("lr_sweep_plot", "one loss short", lambda: TP.lr_sweep_plot([1e-3, 1e-2], [2.3], xlabel="x",
                                                                 ylabel="y", title="t"), VE,
     "one loss per learning rate", "(1,)"),
    ("lr_sweep_plot", "lr 0 on a log axis", lambda: TP.lr_sweep_plot([0, 1e-2], [2.3, 2.2],
                                                                     xlabel="x", ylabel="y",
                                                                     title="t"), VE,
     "lrs must be positive", "log axis"),
    ("lr_sweep_plot", "every run diverged", lambda: TP.lr_sweep_plot(
        [1e-3, 1e-2], [np.nan, np.inf], xlabel="x", ylabel="y", title="t"), VE,
     "at least one finite loss", "diverged"),
    ("lr_sweep_plot", "strings", lambda: TP.lr_sweep_plot(["a"], [1.0], xlabel="x", ylabel="y",
                                                          title="t"), TV, "lrs must be",
     "numeric"),
    ("lr_sweep_plot", "a diverged run is marked, not dropped", lambda: TP.lr_sweep_plot(
        [1e-3, 1e-2, 1.0], [2.0, 1.5, np.nan], xlabel="x", ylabel="y", title="t"), None,
     lambda f: any(line.get_marker() == "x" for line in f.axes[0].lines)),
    ("grad_norm_plot", "a list", lambda: TP.grad_norm_plot([1.0, 2.0], title="t"), TV,
     "runs must be a non-empty dict", "label"),
    ("grad_norm_plot", "a 2-D run", lambda: TP.grad_norm_plot({"a": np.ones((2, 2))}, title="t"),
     VE, "runs['a'] must be a 1-D", "(2, 2)"),
])
CASES += table("cnnlib.tools.bench", [
    ("cmd_archs", "not parsed arguments", lambda: B.cmd_archs({"archs": "lenet5"}), TV,
     "args must be the argparse.Namespace", "cnnlib.tools.bench archs"),
    ("main", "archs --lr 0", lambda: _raise_from_cnnlib(lambda: cli("archs", "--lr", "0")), None,
     lambda m: "argument --lr: must be a number > 0" in m),
    ("main", "archs --val -1", lambda: _raise_from_cnnlib(lambda: cli("archs", "--val", "-1")),
     None, lambda m: "argument --val: must be an int >= 1" in m),
    ("cmd_buildup", "not parsed arguments", lambda: B.cmd_buildup({"steps": "base"}), TV,
     "args must be the argparse.Namespace", "cnnlib.tools.bench buildup"),
    ("cmd_buildup", "unknown step", lambda: B.main(["buildup", "--steps", "base,tta"]), VE,
     "--steps must name distinct steps", "'alternating_flip'"),
    ("main", "buildup --seeds 0", lambda: _raise_from_cnnlib(lambda: cli("buildup", "--seeds",
                                                                         "0")), None,
     lambda m: "argument --seeds: must be comma-separated positive ints" in m),
    ("buildup_plan", "no seeds", lambda: B.buildup_plan(["base"], []), VE,
     "steps and seeds must be non-empty lists", "[]"),
    ("speedup", "book never reached 80 %", lambda: B.speedup(
        {"t80": None}, {"t80": 100.0, "total_time": 100.0}), VE, "book must be",
     "reached 80 %"),
    ("speedup", "lesson without its time", lambda: B.speedup({"t80": 10.0}, {"t80": None}), VE,
     "lesson must be", "total_time"),
    ("speedup", "a ratio", lambda: B.speedup({"t80": 10.0}, {"t80": 95.0, "total_time": 99.0}),
     None, lambda r: r == (9.5, False)),
])


# ---------------------------------------------------------------- the chapters' figures
ARCH_RUN = {"val_acc": [0.5, 0.6], "test_acc": 0.6, "params": 1000, "mflops": 1.0}
CASES += table("cnnlib.figures", [
    ("pooling.shift_change_bars", "list", lambda: FP.shift_change_bars([0.1]), TV, "change must be",
     "dict"),
    ("pooling.shift_change_bars", "drawn", lambda: FP.shift_change_bars({"a": 0.1, "b": 0.2}), None,
     lambda fig: len(fig.axes[0].patches) == 2),
    ("pooling.pooling_views", "no rows", lambda: FP.pooling_views({}, [("x", None)]), TV,
     "rows must be", "non-empty dict"),
    ("pooling.pooling_views", "column not a pair", lambda: FP.pooling_views(
        {"a": np.zeros((1, 1, 4, 4))}, ["x"]), VE, "columns must be", "(title, pool or None)"),
    ("batchnorm.running_stats_figure", "empty", lambda: FB.running_stats_figure({}, 0, 1), TV,
     "curves must be", "non-empty dict"),
    ("batchnorm.running_stats_figure", "one column", lambda: FB.running_stats_figure(
        {0.1: np.zeros((5, 1))}, 0, 1), VE, "curves[0.1]", "(steps, 2)"),
    ("scratch.digit_row", "float idx", lambda: FS.digit_row(np.zeros((3, 1, 4, 4)), [0, 1, 2],
                                                            np.array([0.5])), VE, "idx must be",
     "integer index"),
    ("scratch.digit_row", "3-D X", lambda: FS.digit_row(np.zeros((3, 4, 4)), [0, 1, 2], [0]), VE,
     "X must be", "(N, 1, H, W)"),
    ("scratch.show_digit", "2-D digit", lambda: FS.show_digit(np.zeros((4, 4)), "t"), VE,
     "digit must be", "(1, H, W)"),
    ("training.early_stopping_plot", "not a history", lambda: TP.early_stopping_plot(
        [1, 2], 1, 2, "t"), TV, "history must be", "'train_loss'"),
    ("training.early_stopping_plot", "best epoch 0", lambda: TP.early_stopping_plot(
        hist(), 0, 2, "t"), VE, "best_epoch", ">= 1"),
    ("training.grad_norm_steps", "epochs 0", lambda: TP.grad_norm_steps([1.0, 2.0], 0), VE,
     "epochs", ">= 1"),
    ("training.grad_norm_steps", "2-D norms", lambda: TP.grad_norm_steps([[1.0]], 1), VE,
     "norms must be", "(steps,)"),
    ("training.architecture_panels", "missing key", lambda: TP.architecture_panels(
        {"a": {"val_acc": [0.5]}}, ["a"], "t"), TV, "runs must be", "'mflops'"),
    ("training.architecture_panels", "names short", lambda: TP.architecture_panels(
        {"a": ARCH_RUN, "b": ARCH_RUN}, ["a"], "t"), VE, "names must hold", "one name per run"),
    ("training.seed_bars", "empty runs", lambda: TP.seed_bars({"a": []}, 0.5, "y", "t"), TV,
     "results must be", "accuracy per seed"),
    ("training.seed_bars", "chance 2", lambda: TP.seed_bars({"a": [0.6]}, 2, "y", "t"), VE,
     "chance", "in [0, 1]"),
    ("cam.sanity_cascade_plot", "empty", lambda: FC.sanity_cascade_plot([], 0.1), VE,
     "cascade must be", "(layer name, correlation, ...)"),
    ("cam.sanity_cascade_plot", "chance 'a'", lambda: FC.sanity_cascade_plot([("l", 0.5)], "a"),
     TV, "chance", "a real number"),
])


# ---------------------------------------------------------------- cnnlib.figures.blocks
CASES += table("cnnlib.figures.blocks", [
    ("shape_text", "no batch", lambda: FBL.shape_text((6,)), VE, "shape must be", "batch first"),
    ("shape_text", "zero", lambda: FBL.shape_text((1, 0, 4)), VE, "shape must be", "positive ints"),
    ("shape_text", "float", lambda: FBL.shape_text((1, 2.0)), VE, "shape must be", "(1, 6, 28, 28)"),
    ("lenet_figure", "not a model", lambda: FBL.lenet_figure("lenet", (1, 1, 32, 32)), TV,
     "model must be", "torch.nn.Module"),
    ("lenet_figure", "names short", lambda: FBL.lenet_figure(M.lenet5_original(), (1, 1, 32, 32),
                                                             names=["C1"]), VE,
     "names must be a list of 7 strings", "features.conv1"),
    ("lenet_figure", "input 3-D", lambda: FBL.lenet_figure(M.MLP(4, (3,), 2), (1, 4)), VE,
     "input_size must be (1, C, H, W)", "(1, 4)"),
    ("lenet_figure", "too small", lambda: FBL.lenet_figure(M.lenet5_original(), (1, 1, 8, 8)), VE,
     "does not fit LeNet5", "(N, 1, 32, 32)"),
    ("residual_block_figure", "not a block", lambda: FBL.residual_block_figure(
        M.resnet_cifar(8), (1, 3, 32, 32), ["stem"]), VE, "names must be a non-empty list",
     "layer1.0"),
    ("residual_block_figure", "empty names", lambda: FBL.residual_block_figure(
        M.resnet_cifar(8), (1, 3, 32, 32), []), VE, "names must be", "basic blocks"),
    ("residual_block_figure", "plain block", lambda: FBL.residual_block_figure(
        M.resnet_cifar(8, residual=False), (1, 3, 32, 32), ["layer1.0"]), VE,
     "residual=False", "no shortcut"),
    ("residual_block_figure", "not a model", lambda: FBL.residual_block_figure(
        [M.BasicBlock(4, 4)], (1, 4, 8, 8), ["0"]), TV, "model must be", "torch.nn.Module"),
    ("residual_block_figure", "grey input", lambda: FBL.residual_block_figure(
        M.resnet_cifar(8), (1, 1, 32, 32), ["layer1.0"]), VE, "does not fit ResNet", "(N, 3, H, W)"),
    ("inception_figure", "not inception", lambda: FBL.inception_figure(nn.Conv2d(4, 4, 1), (1, 4, 8, 8)),
     TV, "module must be a cnnlib.nn.models.InceptionModule", "Conv2d"),
    ("inception_figure", "wrong channels", lambda: FBL.inception_figure(
        M.InceptionModule(8, 2, 2, 2, 2, 2, 2), (1, 3, 8, 8)), VE, "input", "8"),
    ("depthwise_separable_figure", "not the block", lambda: FBL.depthwise_separable_figure(
        nn.Conv2d(4, 4, 3), (1, 4, 8, 8)), TV, "module must be a cnnlib.nn.models.DepthwiseSeparableConv",
     "Conv2d"),
    ("depthwise_separable_figure", "bad size", lambda: FBL.depthwise_separable_figure(
        M.DepthwiseSeparableConv(4, 8), (1, 4, 0, 8)), VE, "input_size", ">= 1"),
])


test_case = case_test(CASES)
