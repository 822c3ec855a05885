"""Bad input for the NumPy side of cnnlib: checks, functional, layers, convmath, pooling, gradcheck.

Each case is an adversarial call (see tests/badinput.py): it must raise a clear error from cnnlib
that names the argument and what is allowed, or return the right result.
"""
import numpy as np
import pytest

from badinput import bad, ok, parametrize, record, run
from cnnlib import checks as C
from cnnlib import convmath as CM
from cnnlib import functional as F
from cnnlib import gradcheck as G
from cnnlib import layers as L
from cnnlib import pooling as P

R = np.random.default_rng(0)
X = R.standard_normal((2, 3, 5, 5))                 # (N, C, H, W)
W = R.standard_normal((4, 3, 3, 3))                 # (F, C, KH, KW)
DY = R.standard_normal((2, 4, 3, 3))                # conv2d(X, W)'s output shape
M = R.standard_normal((6, 6))
K = R.standard_normal((3, 3))
TV, VE = TypeError, ValueError


def _cases(prefix, rows):
    """Cases from rows (name, label, call, raises-or-None, words-or-check...)."""
    out = []
    for name, label, call, raises, *rest in rows:
        target = f"{prefix}.{name}"
        out.append(ok(target, label, call, rest[0]) if raises is None
                   else bad(target, label, call, raises, *rest))
    return out


# ---------------------------------------------------------------- cnnlib.checks
CASES = _cases("cnnlib.checks", [
    ("check_int", "str", lambda: C.check_int("3", "n"), TV, "n must be an int", "'3'"),
    ("check_int", "float", lambda: C.check_int(2.0, "n", 1), TV, "n must be an int", "2.0"),
    ("check_int", "np.bool_", lambda: C.check_int(np.bool_(True), "n"), TV, "n must be", "True"),
    ("check_int", "above max", lambda: C.check_int(np.int64(9), "k", 1, 7), VE, "k must be",
     "in [1, 7]"),
    ("check_int", "huge int kept exact", lambda: C.check_int(10**30, "n", 1),
     None, lambda v: v == 10**30 and type(v) is int),
    ("check_number", "huge int", lambda: C.check_number(10**400, "lr"), VE, "lr must be",
     "finite"),
    ("check_number", "complex", lambda: C.check_number(1j, "lr"), TV, "lr must be",
     "real number"),
    ("check_number", "string", lambda: C.check_number("0.1", "lr"), TV, "lr must be", "real"),
    ("check_number", "nan", lambda: C.check_number(np.float32("nan"), "lr"), VE, "lr must",
     "finite"),
    ("check_number", "open max", lambda: C.check_number(1.0, "p", 0, 1, open_max=True), VE,
     "p must be", "in [0, 1)"),
    ("check_number", "fraction ok", lambda: C.check_number(np.float16(0.5), "p", 0, 1), None,
     lambda v: v == 0.5 and type(v) is float),
    ("check_choice", "array", lambda: C.check_choice(np.array([1, 2]), "mode", (1, 2)), VE,
     "mode must be one of", "1, 2"),
    ("check_choice", "True is not 1", lambda: C.check_choice(True, "k", (1, 2)), VE,
     "k must be one of", "got True"),
    ("check_choice", "dict", lambda: C.check_choice({}, "mode", ("a",)), VE, "mode must be",
     "'a'"),
    ("check_bool", "string 'False'", lambda: C.check_bool("False", "training"), TV,
     "training must be True or False", "'False'"),
    ("check_bool", "int 0", lambda: C.check_bool(0, "flag"), TV, "flag must be", "True or False"),
    ("check_ints", "int", lambda: C.check_ints(5, "widths"), TV, "widths must be", "sequence"),
    ("check_ints", "string", lambda: C.check_ints("123", "widths"), TV, "widths must be",
     "list or tuple"),
    ("check_ints", "bad entry", lambda: C.check_ints((8, 0), "widths", 1), VE, "widths[1]",
     ">= 1"),
    ("check_ints", "length", lambda: C.check_ints((8,), "channels", 1, length=2), VE,
     "channels must be", "2 ints"),
    ("check_ints", "empty", lambda: C.check_ints((), "hidden"), VE, "hidden must hold",
     "at least one"),
    ("check_ints", "numpy ok", lambda: C.check_ints(np.array([3, 4]), "w", 1), None,
     lambda v: v == (3, 4) and all(type(i) is int for i in v)),
    ("check_pair", "three", lambda: C.check_pair((1, 2, 3), "stride"), VE, "stride must be",
     "(h, w) pair"),
    ("check_pair", "zero in pair", lambda: C.check_pair((1, 0), "stride"), VE, "stride must be",
     ">= 1"),
    ("check_pair", "float", lambda: C.check_pair(1.5, "stride"), TV, "stride must be",
     "an int or an (h, w) pair"),
    ("check_callable", "int", lambda: C.check_callable(3, "fn"), TV, "fn must be", "function"),
    ("check_callable", "None", lambda: C.check_callable(None, "fn"), TV, "fn must be",
     "function"),
    ("check_array", "strings", lambda: C.check_array(["a"], "x"), TV, "x must be",
     "real numeric array"),
    ("check_array", "ragged", lambda: C.check_array([[1, 2], [3]], "x"), VE, "x must be",
     "rectangular"),
    ("check_array", "complex", lambda: C.check_array(np.ones(2) * 1j, "x"), TV, "x must be",
     "float32 or float64"),
    ("check_array", "ndim", lambda: C.check_array(np.ones(3), "x", 2, "(H, W)"), VE,
     "x must be a 2-D array", "(H, W)"),
    ("check_array", "nan", lambda: C.check_array([np.nan], "x", finite=True), VE, "x must hold",
     "finite"),
    ("check_array", "object", lambda: C.check_array(np.array([None]), "x"), TV, "x must be",
     "numeric"),
    ("check_shape", "mismatch", lambda: C.check_shape((2, 3), "dy", (3, 2), "(N, K)"), VE,
     "dy must have shape", "(3, 2)"),
])

# ---------------------------------------------------------------- cnnlib.functional
CASES += _cases("cnnlib.functional", [
    ("conv_output_size", "size 0", lambda: F.conv_output_size(0, 3), VE, "size", ">= 1"),
    ("conv_output_size", "kernel too big", lambda: F.conv_output_size(4, 7), VE, "kernel_size",
     "size + 2*padding"),
    ("conv_output_size", "float stride", lambda: F.conv_output_size(8, 3, stride=1.5), TV,
     "stride", "an int"),
    ("conv_output_size", "negative padding", lambda: F.conv_output_size(8, 3, -1), VE,
     "padding", ">= 0"),
    ("conv_output_size", "bool dilation", lambda: F.conv_output_size(8, 3, dilation=True), TV,
     "dilation", "an int"),
    ("conv_output_size", "numpy ints ok", lambda: F.conv_output_size(np.int64(8), np.int32(3)),
     None, lambda v: v == 6),
    ("conv2d_naive", "channels", lambda: F.conv2d_naive(X, W[:, :2]), VE, "channel mismatch",
     "must be equal"),
    ("conv2d_naive", "3-D x", lambda: F.conv2d_naive(X[0], W), VE, "x must be a 4-D array",
     "(N, C, H, W)"),
    ("conv2d", "bias shape", lambda: F.conv2d(X, W, np.zeros(3)), VE, "b must have shape",
     "one bias per filter"),
    ("conv2d", "string x", lambda: F.conv2d(np.array([["a"]]), W), TV, "x must be",
     "numeric array"),
    ("conv2d", "stride triple", lambda: F.conv2d(X, W, stride=(1, 1, 1)), VE, "stride must be",
     "(h, w) pair"),
    ("conv2d", "zero-size filters", lambda: F.conv2d(X, np.zeros((0, 3, 3, 3))), VE, "w must",
     "at least one filter"),
    ("conv2d", "empty batch ok", lambda: F.conv2d(X[:0], W), None,
     lambda y: y.shape == (0, 4, 3, 3)),
    ("conv2d", "nan propagates", lambda: F.conv2d(np.full((1, 3, 3, 3), np.nan), W), None,
     lambda y: np.isnan(y).all()),
    ("conv2d_backward", "dy transposed", lambda: F.conv2d_backward(DY.transpose(0, 1, 3, 2)[:, :, :, :2], X, W), VE,
     "dy must have", "(N, F, OH, OW)"),
    ("conv2d_backward", "dy broadcastable", lambda: F.conv2d_backward(DY[:, :, :1, :1], X, W),
     VE, "dy must have", "(2, 4, 3, 3)"),
    ("im2col", "kernel does not fit", lambda: F.im2col(X, 7), VE, "kernel_size",
     "size + 2*padding"),
    ("im2col", "int input ok", lambda: F.im2col(np.ones((1, 1, 3, 3), int), 2), None,
     lambda c: c.dtype == np.float64 and c.shape == (1, 4, 4)),
    ("col2im", "x_shape 3 entries", lambda: F.col2im(np.zeros((1, 4, 4)), (1, 3, 3), 2), VE,
     "x_shape must be", "(N, C, H, W)"),
    ("col2im", "cols wrong", lambda: F.col2im(np.zeros((1, 4, 5)), (1, 1, 3, 3), 2), VE,
     "cols must have shape", "(1, 4, 4)"),
    ("col2im", "x_shape str", lambda: F.col2im(np.zeros((1, 4, 4)), "1133", 2), TV,
     "x_shape must be", "tuple"),
    ("max_pool2d", "padding > half", lambda: F.max_pool2d(X, 2, padding=2), VE, "padding",
     "at most half the kernel"),
    ("max_pool2d", "stride 0", lambda: F.max_pool2d(X, 2, 0), VE, "stride", ">= 1"),
    ("max_pool2d_backward", "dy wrong", lambda: F.max_pool2d_backward(np.ones((2, 3, 1, 2)), X, 2),
     VE, "dy must have", "(N, C, OH, OW)"),
    ("avg_pool2d", "kernel list of 3", lambda: F.avg_pool2d(X, [2, 2, 2]), VE, "kernel_size",
     "(h, w) pair"),
    ("avg_pool2d_backward", "dy transposed",
     lambda: F.avg_pool2d_backward(np.ones((2, 3, 2, 1)), X[..., :4, :2], (2, 1)), VE,
     "dy must have", "(2, 3, 2, 2)"),
    ("batch_norm2d", "momentum 2", lambda: F.batch_norm2d(X, np.ones(3), np.zeros(3), momentum=2),
     VE, "momentum", "[0, 1]"),
    ("batch_norm2d", "momentum True", lambda: F.batch_norm2d(X, np.ones(3), np.zeros(3),
                                                            momentum=True), TV, "momentum",
     "real number"),
    ("batch_norm2d", "eps 0", lambda: F.batch_norm2d(X, np.ones(3), np.zeros(3), eps=0), VE,
     "eps", "> 0"),
    ("batch_norm2d", "training 'False'", lambda: F.batch_norm2d(X, np.ones(3), np.zeros(3),
                                                                training="False"), TV,
     "training", "True or False"),
    ("batch_norm2d", "gamma shape", lambda: F.batch_norm2d(X, np.ones(2), np.zeros(3)), VE,
     "gamma must have shape", "(3,)"),
    ("batch_norm2d", "only running_mean", lambda: F.batch_norm2d(X, np.ones(3), np.zeros(3),
                                                                 running_mean=np.zeros(3)), VE,
     "running_var", "together"),
    ("batch_norm2d", "one value per channel", lambda: F.batch_norm2d(X[:1, :, :1, :1],
                                                                     np.ones(3), np.zeros(3)),
     VE, "N*H*W > 1", "got x of shape"),
    ("batch_norm2d_backward", "dy shape", lambda: F.batch_norm2d_backward(X[:1], X, np.ones(3)),
     VE, "dy must have the shape of x", "(2, 3, 5, 5)"),
    ("batch_norm2d_backward", "eps negative",
     lambda: F.batch_norm2d_backward(X, X, np.ones(3), eps=-1e-5), VE, "eps", "> 0"),
    ("batch_norm2d_backward", "training 1",
     lambda: F.batch_norm2d_backward(X, X, np.ones(3), training=1), TV, "training",
     "True or False"),
    ("dropout", "p 1.5", lambda: F.dropout(X, 1.5), VE, "p must be", "[0, 1]"),
    ("dropout", "p string", lambda: F.dropout(X, "0.5"), TV, "p must be", "real number"),
    ("dropout", "rng RandomState", lambda: F.dropout(X, 0.5, rng=np.random.RandomState(0)), TV,
     "rng must be", "Generator"),
    ("dropout", "training 'no'", lambda: F.dropout(X, 0.5, training="no"), TV, "training",
     "True or False"),
    ("dropout", "negative seed", lambda: F.dropout(X, 0.5, rng=-1), VE, "rng", ">= 0"),
    ("dropout_backward", "shape", lambda: F.dropout_backward(X, X[:1]), VE, "dy and mask",
     "same shape"),
])

# ---------------------------------------------------------------- cnnlib.layers
def _forwarded(layer, x):
    layer.forward(x)
    return layer


def _conv():
    return L.Conv2d(3, 4, 3, seed=0, dtype=np.float64)


def _lin():
    return L.Linear(6, 2, seed=0, dtype=np.float64)


def _seq():
    return L.Sequential(L.Flatten(), L.Linear(75, 3, seed=0), input_shape=(3, 5, 5))


def _conv_dy_transposed():
    layer = _forwarded(L.Conv2d(3, 2, (2, 3), seed=0, dtype=np.float64), X)   # out (2, 2, 4, 3)
    return layer.backward(np.ones((2, 2, 3, 4)))


_LAYERS = {   # name: (layer factory, x, a dy of the wrong shape that would broadcast)
    "Conv2d": (_conv, X, np.ones((2, 4, 3, 1))),
    "ReLU": (L.ReLU, X, np.ones((1, 3, 5, 5))),
    "MaxPool2d": (lambda: L.MaxPool2d(2), X, np.ones((2, 3, 1, 2))),
    "AvgPool2d": (lambda: L.AvgPool2d(2), X, np.ones((2, 3, 2, 1))),
    "GlobalAvgPool2d": (L.GlobalAvgPool2d, X, np.ones((2, 1))),
    "Flatten": (L.Flatten, X, np.ones((2, 75, 1))),
    "Linear": (_lin, R.standard_normal((4, 6)), np.ones((4, 1))),
    "Dropout": (lambda: L.Dropout(0.5, seed=0), X, np.ones((1, 3, 5, 5))),
}
for _name, (_make, _x, _dy) in _LAYERS.items():
    CASES += _cases("cnnlib.layers", [
        (f"{_name}.backward", "before forward", lambda m=_make: m().backward(np.ones(3)), VE,
         "backward", "forward"),
        (f"{_name}.backward", "dy of a broadcastable shape",
         lambda m=_make, x=_x, dy=_dy: _forwarded(m(), x).backward(dy), VE, "dy must have",
         "shape"),
        (f"{_name}.forward", "list input", lambda m=_make, x=_x: m().forward(x.tolist()), TV,
         "x must be", "ndarray"),
    ])
CASES += _cases("cnnlib.layers", [
    ("Conv2d.backward", "dy transposed (OH and OW swapped)", _conv_dy_transposed, VE,
     "dy must have", "(2, 2, 4, 3)"),
    ("Conv2d", "in_channels 0", lambda: L.Conv2d(0, 4, 3), VE, "in_channels", ">= 1"),
    ("Conv2d", "out_channels 2.0", lambda: L.Conv2d(3, 2.0, 3), TV, "out_channels", "an int"),
    ("Conv2d", "kernel 0", lambda: L.Conv2d(3, 4, 0), VE, "kernel_size", ">= 1"),
    ("Conv2d", "int dtype", lambda: L.Conv2d(3, 4, 3, dtype=np.int32), TV, "dtype",
     "floating"),
    ("Conv2d", "seed string", lambda: L.Conv2d(3, 4, 3, seed="a"), TV, "seed",
     "Generator"),
    ("Conv2d", "seed negative", lambda: L.Conv2d(3, 4, 3, seed=-1), VE, "seed", ">= 0"),
    ("Conv2d.forward", "wrong channels", lambda: _conv().forward(X[:, :2]), VE, "expects 3 input",
     "in_channels=2"),
    ("Conv2d.output_shape", "2-D shape", lambda: _conv().output_shape((5, 5)), VE, "(C, H, W)",
     "got (5, 5)"),
    ("Layer.output_shape", "not a shape", lambda: L.Layer().output_shape(5), TV, "shape",
     "tuple"),
    ("MaxPool2d", "padding > half", lambda: L.MaxPool2d(2, padding=2), VE, "padding",
     "at most half"),
    ("AvgPool2d", "stride 0", lambda: L.AvgPool2d(2, 0), VE, "stride", ">= 1"),
    ("GlobalAvgPool2d.output_shape", "flat", lambda: L.GlobalAvgPool2d().output_shape((4,)), VE,
     "(C, H, W)", "got (4,)"),
    ("Flatten.output_shape", "negative dims", lambda: L.Flatten().output_shape((3, -2)), VE,
     "shape", ">= 1"),
    ("Linear", "in_features 0", lambda: L.Linear(0, 2), VE, "in_features", ">= 1"),
    ("Linear", "out_features -1", lambda: L.Linear(3, -1), VE, "out_features", ">= 1"),
    ("Linear.forward", "4-D input", lambda: _lin().forward(X), VE, "expects a flat input",
     "Flatten()"),
    ("Linear.output_shape", "features", lambda: _lin().output_shape((5,)), VE, "expects 6",
     "in_features=5"),
    ("Dropout", "p 1", lambda: L.Dropout(1), VE, "p must be", "[0, 1)"),
    ("Dropout", "p nan", lambda: L.Dropout(float("nan")), VE, "p must be", "finite"),
    ("Dropout", "seed float", lambda: L.Dropout(0.5, seed=1.5), TV, "seed", "int"),
    ("SoftmaxCrossEntropy.forward", "float labels",
     lambda: L.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0])), TV, "labels",
     "integer"),
    ("SoftmaxCrossEntropy.forward", "label 3 of 3 classes",
     lambda: L.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 3])), VE, "labels",
     "[0, 2]"),
    ("SoftmaxCrossEntropy.forward", "empty batch",
     lambda: L.SoftmaxCrossEntropy()(np.zeros((0, 3)), np.zeros(0, int)), VE, "logits",
     "at least one"),
    ("SoftmaxCrossEntropy.forward", "list logits",
     lambda: L.SoftmaxCrossEntropy()([[0.0, 1.0]], np.array([1])), None,
     lambda v: abs(v - np.log(1 + np.exp(-1))) < 1e-12),
    ("SoftmaxCrossEntropy.forward", "labels (N, 1)",
     lambda: L.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([[0], [1]])), VE,
     "labels (N,)", "(2, 1)"),
    ("SoftmaxCrossEntropy.backward", "before forward", lambda: L.SoftmaxCrossEntropy().backward(),
     VE, "backward", "forward"),
    ("Sequential", "not a layer", lambda: L.Sequential(L.ReLU(), np.tanh), TV, "layer 1",
     "cnnlib.layers.Layer"),
    ("Sequential", "input_shape string", lambda: L.Sequential(L.ReLU(), input_shape="3x5"), TV,
     "input_shape", "sequence of ints"),
    ("Sequential.check", "input_shape int", lambda: _seq().check(75), TV, "input_shape",
     "sequence of ints"),
    ("Sequential.check", "input_shape zero", lambda: _seq().check((3, 0, 5)), VE, "input_shape",
     ">= 1"),
    ("Sequential.shapes", "misfit", lambda: _seq().shapes((3, 4, 4)), VE, "layer 1",
     "in_features=48"),
    ("Sequential.forward", "list", lambda: _seq().forward(X.tolist()), TV, "x must be",
     "ndarray"),
    ("Sequential.forward", "1-D", lambda: _seq().forward(np.ones(3)), VE, "batch", "(N, ...)"),
    ("Sequential.backward", "before forward", lambda: _seq().backward(np.ones((2, 3))), VE,
     "backward", "forward"),
    ("Sequential.backward", "dy wrong", lambda: _forwarded(_seq(), X).backward(np.ones((1, 3))),
     VE, "dy must have", "(2, 3)"),
    ("Sequential.train", "mode string", lambda: _seq().train("no"), TV, "mode", "True or False"),
    ("Sequential.astype", "int dtype", lambda: _seq().astype(np.int64), TV, "dtype",
     "floating"),
    ("Sequential.astype", "not a dtype", lambda: _seq().astype("banana"), TV, "dtype",
     "floating"),
    ("Sequential.predict", "batch_size 0", lambda: _seq().predict(X, 0), VE, "batch_size",
     ">= 1"),
    ("Sequential.predict", "batch_size -1", lambda: _seq().predict(X, -1), VE, "batch_size",
     ">= 1"),
    ("Sequential.predict", "empty X", lambda: _seq().predict(X[:0]), None,
     lambda y: y.shape == (0, 3)),
    ("SGD", "lr inf", lambda: L.SGD(_seq(), lr=float("inf")), VE, "lr", "finite"),
    ("SGD", "lr 0", lambda: L.SGD(_seq(), lr=0), VE, "lr", "> 0"),
    ("SGD", "momentum negative", lambda: L.SGD(_seq(), momentum=-0.5), VE, "momentum",
     "[0, 1)"),
    ("SGD", "momentum 1", lambda: L.SGD(_seq(), momentum=1.0), VE, "momentum", "[0, 1)"),
    ("SGD", "weight_decay nan", lambda: L.SGD(_seq(), weight_decay=float("nan")), VE,
     "weight_decay", "finite"),
    ("SGD", "weight_decay negative", lambda: L.SGD(_seq(), weight_decay=-1e-4), VE,
     "weight_decay", ">= 0"),
    ("SGD", "model string", lambda: L.SGD("model"), TV, "model", "Sequential"),
    ("SGD.step", "before backward", lambda: L.SGD(_seq()).step(), VE, "gradient",
     "call backward"),
    ("Adam", "beta1 1", lambda: L.Adam(_seq(), betas=(1.0, 0.999)), VE, "betas[0]", "[0, 1)"),
    ("Adam", "beta2 negative", lambda: L.Adam(_seq(), betas=(0.9, -0.1)), VE, "betas[1]",
     "[0, 1)"),
    ("Adam", "one beta", lambda: L.Adam(_seq(), betas=(0.9,)), VE, "betas", "pair"),
    ("Adam", "eps 0", lambda: L.Adam(_seq(), eps=0), VE, "eps", "> 0"),
    ("Adam", "lr -1", lambda: L.Adam(_seq(), lr=-1e-3), VE, "lr", "> 0"),
    ("Adam.step", "before backward", lambda: L.Adam(_seq()).step(), VE, "gradient",
     "call backward"),
    ("he_normal", "fan_in 0", lambda: L.he_normal((2, 2), 0, np.random.default_rng(0),
                                                  np.float32), VE, "fan_in", ">= 1"),
    ("he_normal", "rng None", lambda: L.he_normal((2, 2), 4, None, np.float32), TV, "rng",
     "Generator"),
    ("he_normal", "int dtype", lambda: L.he_normal((2, 2), 4, np.random.default_rng(0), int),
     TV, "dtype", "floating"),
    ("shape_str", "string", lambda: L.shape_str("ab"), TV, "shape", "ints"),
    ("shape_str", "numpy shape ok", lambda: L.shape_str(np.array([1, 28, 28])), None,
     lambda s: s == "(1, 28, 28)"),
])

# ---------------------------------------------------------------- cnnlib.convmath
CASES += _cases("cnnlib.convmath", [
    ("kernel", "unknown", lambda: CM.kernel("sobel"), VE, "unknown kernel", "sobel_x"),
    ("kernel", "not a string", lambda: CM.kernel(["blur"]), VE, "kernel", "available"),
    ("correlate2d", "3-D x", lambda: CM.correlate2d(X[0], K), VE, "x must be a 2-D array",
     "(H, W)"),
    ("correlate2d", "kernel larger", lambda: CM.correlate2d(K, M), VE, "larger than the input",
     "fit inside"),
    ("correlate2d", "empty kernel", lambda: CM.correlate2d(M, np.zeros((0, 3))), VE,
     "k must not be empty", "(0, 3)"),
    ("correlate2d", "strings", lambda: CM.correlate2d([["a"]], K), TV, "x must be",
     "numeric"),
    ("correlate2d", "ragged", lambda: CM.correlate2d([[1, 2], [3]], K), VE, "x must be",
     "rectangular"),
    ("convolve2d", "1-D kernel", lambda: CM.convolve2d(M, np.ones(3)), VE,
     "k must be a 2-D array", "(KH, KW)"),
    ("convolve2d", "bool input ok", lambda: CM.convolve2d(np.eye(3, dtype=bool), np.ones((2, 2))),
     None, lambda y: np.array_equal(y, [[2, 1], [1, 2]])),
    ("dilate", "stride 0", lambda: CM.dilate(DY, 0), VE, "stride", ">= 1"),
    ("dilate", "stride 1.5", lambda: CM.dilate(DY, 1.5), TV, "stride", "an int"),
    ("dilate", "3-D dy", lambda: CM.dilate(DY[0], 2), VE, "dy must be a 4-D array",
     "(N, C, OH, OW)"),
    ("conv2d_input_grad_full", "x_shape int", lambda: CM.conv2d_input_grad_full(DY, W, 5), TV,
     "x_shape must be", "(N, C, H, W)"),
    ("conv2d_input_grad_full", "x_shape strings",
     lambda: CM.conv2d_input_grad_full(DY, W, list("abcd")), TV, "x_shape[0]", "an int"),
    ("conv2d_input_grad_full", "dy wrong",
     lambda: CM.conv2d_input_grad_full(DY[:, :, :2], W, X.shape), VE, "dy must have shape",
     "(2, 4, 3, 3)"),
    ("conv2d_input_grad_full", "padding -1",
     lambda: CM.conv2d_input_grad_full(DY, W, X.shape, padding=-1), VE, "padding", ">= 0"),
    ("input_grad_stride1_formula", "x_shape negative",
     lambda: CM.input_grad_stride1_formula(np.ones((4, 4)), K, (6, -6)), VE, "x_shape[1]",
     ">= 1"),
    ("input_grad_stride1_formula", "x_shape 3 entries",
     lambda: CM.input_grad_stride1_formula(np.ones((4, 4)), K, (6, 6, 1)), VE, "x_shape",
     "(H, W)"),
    ("input_grad_stride1_formula", "3-D dy",
     lambda: CM.input_grad_stride1_formula(DY[0], K, (6, 6)), VE, "dy must be a 2-D array",
     "(OH, OW)"),
])

# ---------------------------------------------------------------- cnnlib.pooling
CASES += _cases("cnnlib.pooling", [
    ("reduction_rate", "size 0", lambda: P.reduction_rate(0, 2, 2), VE, "size", ">= 1"),
    ("reduction_rate", "stride 0", lambda: P.reduction_rate(8, 2, 0), VE, "stride", ">= 1"),
    ("receptive_field", "kernel 0", lambda: P.receptive_field([("conv", 0, 1)]), VE,
     "kernel", ">= 1"),
    ("receptive_field", "stride 0", lambda: P.receptive_field([("pool", 2, 0)]), VE, "stride",
     ">= 1"),
    ("receptive_field", "row of two", lambda: P.receptive_field([("conv", 3)]), VE, "layers[0]",
     "(name, kernel, stride)"),
    ("receptive_field", "not a list", lambda: P.receptive_field(3), TV, "layers",
     "(name, kernel, stride)"),
    ("receptive_field", "float kernel", lambda: P.receptive_field([("c", 2.5, 1)]), TV,
     "kernel", "an int"),
    ("receptive_field", "empty ok", lambda: P.receptive_field([]), None, lambda r: r == []),
    ("shift", "fractional shift", lambda: P.shift(M, 1.5, 0), TV, "dy", "an int"),
    ("shift", "bool shift", lambda: P.shift(M, True, 0), TV, "dy", "an int"),
    ("shift", "1-D x", lambda: P.shift(np.ones(4), 1, 0), VE, "x", "at least 2-D"),
    ("shift", "huge shift ok", lambda: P.shift(M, 10**12, 0), None,
     lambda y: y.shape == M.shape and not y.any()),
    ("shift", "numpy int ok", lambda: P.shift(np.eye(3), np.int64(1), np.int64(-1)), None,
     lambda y: y[2, 0] == 1 and y.sum() == 1),
    ("pooled_change", "all zeros", lambda: P.pooled_change(np.zeros((4, 4)), 1, 0), VE, "x",
     "must not be all zeros"),
    ("pooled_change", "pool not callable", lambda: P.pooled_change(M, 1, 0, pool=2), TV, "pool",
     "function"),
    ("head_params", "negative channels", lambda: P.head_params(-8, 4, 4, 10), VE, "channels",
     ">= 1"),
    ("head_params", "hidden 0", lambda: P.head_params(8, 4, 4, 10, hidden=(0,)), VE,
     "hidden[0]", ">= 1"),
    ("head_params", "classes float", lambda: P.head_params(8, 4, 4, 10.0), TV, "classes",
     "an int"),
    ("winner_counts", "3-D x", lambda: P.winner_counts(X[0], 2), VE, "x must be a 2-D array",
     "(H, W)"),
    ("winner_counts", "kernel 0", lambda: P.winner_counts(M, 0), VE, "kernel_size", ">= 1"),
    ("max_pool_grad_lesson", "dz too big", lambda: P.max_pool_grad_lesson(M, np.ones((4, 4)), 2,
                                                                          2), VE,
     "dz must have shape", "(3, 3)"),
    ("max_pool_grad_lesson", "stride 0", lambda: P.max_pool_grad_lesson(M, np.ones((3, 3)), 2,
                                                                        0), VE, "stride", ">= 1"),
    ("max_pool_grad_lesson", "3-D x", lambda: P.max_pool_grad_lesson(X[0], np.ones((3, 3)), 2, 2),
     VE, "x must be a 2-D array", "(H, W)"),
])

# ---------------------------------------------------------------- cnnlib.gradcheck
CASES += _cases("cnnlib.gradcheck", [
    ("numerical_gradient", "float32 x", lambda: G.numerical_gradient(np.sum, np.ones(2, np.float32)),
     TV, "x as a float64 ndarray", "float32"),
    ("numerical_gradient", "h 0", lambda: G.numerical_gradient(np.sum, np.ones(2), h=0), VE,
     "h must be", "positive"),
    ("numerical_gradient", "f not callable", lambda: G.numerical_gradient(3, np.ones(2)), TV,
     "f must be", "function"),
    ("numerical_gradient", "f returns an array", lambda: G.numerical_gradient(lambda a: a, np.ones(2)),
     TV, "f must return a scalar", "shape (2,)"),
    ("numerical_gradient", "0-d x ok", lambda: G.numerical_gradient(lambda a: float(a) ** 2,
                                                                    np.array(3.0)), None,
     lambda g: abs(g - 6) < 1e-6),
    ("relative_error", "shapes", lambda: G.relative_error(np.ones(2), np.ones(3)), VE,
     "equal shapes", "(3,)"),
    ("relative_error", "strings", lambda: G.relative_error(["a"], ["b"]), TV,
     "real numeric arrays", "dtype"),
    ("relative_error", "opposite", lambda: G.relative_error([1.0], [-1.0]), None,
     lambda e: e == 1.0),
])


@parametrize(CASES)
def test_case(case, request):
    record(request, case)
    run(case)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield
