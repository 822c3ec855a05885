"""A NumPy network you can train: one small class per layer, each with forward and backward.

Contract (as in deep-learning-from-scratch and cs231n): ``forward(x)`` caches what
``backward`` needs; ``backward(dy)`` takes dL/d(output) and returns dL/d(input), storing
dL/d(parameter) in ``layer.grads`` under the same names as ``layer.params``. Optimizers
update ``params`` in place. Arrays are NCHW. Parameters are float32 by default (fast
training); ``Sequential.astype(np.float64)`` gives the precision gradient checks need.
"""
import functools
import math

import numpy as np

from . import functional as F
from ..checks import check_array, check_bool, check_int, check_ints, check_number, check_pair

__all__ = ["Layer", "Conv2d", "ReLU", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten",
           "Linear", "Dropout", "SoftmaxCrossEntropy", "Sequential", "SGD", "Adam",
           "he_normal", "shape_str"]


def shape_str(shape):
    """A per-sample shape as text: (1, 28, 28) -> '(1, 28, 28)'.

    本書: 章のコードからは直接使いません
    """
    return str(check_ints(shape, "shape", nonempty=False))


def _rng(seed):
    """A numpy Generator from an int seed, a Generator, or None (seed 0)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(0 if seed is None else check_int(
        seed, "seed", 0, kind="an int seed (>= 0), a numpy Generator or None"))


def _float_dtype(dtype):
    """``dtype`` as a NumPy floating dtype (float32, float64), or a TypeError."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        d = None
    if d is None or d.kind != "f":
        raise TypeError(f"dtype must be a floating NumPy dtype such as np.float32 or np.float64; "
                        f"got {dtype!r}")
    return d


def _batch(x, name="x"):
    """``x`` if it is an ndarray batch (N, ...): layers cache their input, so no conversion."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray batch (N, ...); got {type(x).__name__} "
                        f"(convert it with np.asarray)")
    if x.ndim < 2:
        raise ValueError(f"{name} must be a batch (N, ...) of at least 2 dimensions; got shape "
                         f"{x.shape}")
    return x


def he_normal(shape, fan_in, rng, dtype):
    """He initialisation: N(0, 2 / fan_in), right for layers followed by ReLU.

    本書: 章のコードからは直接使いません
    """
    shape, fan_in = check_ints(shape, "shape", 0, nonempty=False), check_int(fan_in, "fan_in", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)); got "
                        f"{type(rng).__name__}")
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(_float_dtype(dtype))


def _checked_forward(forward):
    """``forward`` that refuses a non-array input and remembers its output's shape."""
    @functools.wraps(forward)
    def checked(self, x):
        y = forward(self, _batch(x))
        self._y_shape = y.shape
        return y
    return checked


def _checked_backward(backward):
    """``backward`` that runs only after forward, on a dy of exactly the output's shape."""
    @functools.wraps(backward)
    def checked(self, dy):
        return backward(self, self._dy(dy))
    return checked


class Layer:
    """Base class: no parameters, identity shape; subclasses override what they change.

    Every subclass's ``forward`` and ``backward`` are checked here, so their bodies stay the
    equations: forward takes an ndarray batch (N, ...); backward needs a forward before it and
    a dy of exactly the shape forward returned (a transposed or broadcastable dy would give a
    wrong gradient without an error).

    本書: 章のコードからは直接使いません
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, check in (("forward", _checked_forward), ("backward", _checked_backward)):
            if name in vars(cls):
                setattr(cls, name, check(vars(cls)[name]))

    def __init__(self):
        self.params, self.grads, self.training = {}, {}, True

    def __call__(self, x):
        return self.forward(x)

    def output_shape(self, shape):
        """Per-sample output shape for a per-sample input ``shape`` (raises if it doesn't fit)."""
        return check_ints(shape, "shape", 1, nonempty=False)

    def _fail(self, message):
        raise ValueError(f"{self!r}: {message}")

    def _dy(self, dy):
        """``dy`` checked against the last forward's output: the same shape, no broadcasting."""
        if getattr(self, "_y_shape", None) is None:
            raise ValueError(f"{self!r}.backward needs what forward cached: call forward(x) "
                             f"before backward(dy)")
        if not isinstance(dy, np.ndarray) or dy.shape != self._y_shape:
            got = dy.shape if isinstance(dy, np.ndarray) else type(dy).__name__
            raise ValueError(f"{self!r}: dy must have the shape of the last forward's output "
                             f"{self._y_shape}; got {got}")
        return dy

    def _check_ndim(self, shape, ndim, layout):
        if len(shape) != ndim:
            self._fail(f"expects per-sample input {layout} ({ndim}-D), got {shape_str(shape)}")

    def __repr__(self):
        return f"{type(self).__name__}()"


# ---------------------------------------------------------------- convolution
class Conv2d(Layer):
    """2-D cross-correlation, Y = W * X + b, computed as one matrix product on im2col columns.

    本書: 第2章、第3章
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 seed=None, dtype=np.float32):
        super().__init__()
        self.C = check_int(in_channels, "in_channels", 1)
        self.F = check_int(out_channels, "out_channels", 1)
        self.k, self.s = check_pair(kernel_size, "kernel_size"), check_pair(stride, "stride")
        self.p = check_pair(padding, "padding", 0)
        fan_in = self.C * self.k[0] * self.k[1]
        self.params = {"W": he_normal((self.F, self.C, *self.k), fan_in, _rng(seed), dtype),
                       "b": np.zeros(self.F, dtype=dtype)}

    def output_shape(self, shape):
        shape = super().output_shape(shape)
        self._check_ndim(shape, 3, "(C, H, W)")
        if shape[0] != self.C:
            self._fail(f"expects {self.C} input channels, got input {shape_str(shape)} with "
                       f"{shape[0]}; set in_channels={shape[0]} or fix the previous layer")
        try:
            out = [F.conv_output_size(n, k, p, s) for n, k, p, s in
                   zip(shape[1:], self.k, self.p, self.s)]
        except ValueError as err:
            self._fail(f"does not fit input {shape_str(shape)}: {err}")
        return (self.F, *out)

    def forward(self, x):
        N, out = x.shape[0], self.output_shape(x.shape[1:])
        W, b = self.params["W"], self.params["b"]
        self.x_shape = x.shape
        self.cols = F.im2col(x.astype(W.dtype, copy=False), self.k, self.s, self.p)  # X_col
        Y = np.matmul(W.reshape(self.F, -1), self.cols) + b[:, None]    # Y = W X_col + b
        return Y.reshape(N, *out)

    def backward(self, dy):
        W = self.params["W"]
        dY = dy.reshape(dy.shape[0], self.F, -1)                             # (N, F, L)
        self.grads["b"] = dY.sum(axis=(0, 2))                                # dL/db = sum dY
        dW = np.matmul(dY, self.cols.transpose(0, 2, 1)).sum(axis=0)      # dL/dW = sum_n dY_n X_col,n^T
        self.grads["W"] = dW.reshape(W.shape)
        dcols = np.matmul(W.reshape(self.F, -1).T, dY)                       # dL/dX_col = W^T dY
        return F.col2im(dcols, self.x_shape, self.k, self.s, self.p)         # fold: overlaps add

    def __repr__(self):
        return (f"Conv2d({self.C}, {self.F}, kernel_size={self.k}, stride={self.s}, "
                f"padding={self.p})")


class ReLU(Layer):
    """max(0, x); its derivative is 1 where x > 0 and 0 elsewhere.

    本書: 第3章
    """

    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0)                                          # y = max(0, x)

    def backward(self, dy):
        return dy * self.mask                                           # dx = dy * [x > 0]


# ---------------------------------------------------------------- pooling
class _Pool2d(Layer):
    """Shared geometry of max and average pooling (stride defaults to the kernel size)."""

    pad_value = 0.0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.k = check_pair(kernel_size, "kernel_size")
        self.s = self.k if stride is None else check_pair(stride, "stride")
        self.p = check_pair(padding, "padding", 0)
        if any(2 * p > k for p, k in zip(self.p, self.k)):
            raise ValueError(f"{self!r}: padding may be at most half the kernel (p <= k // 2)")

    def output_shape(self, shape):
        shape = super().output_shape(shape)
        self._check_ndim(shape, 3, "(C, H, W)")
        try:
            out = [F.conv_output_size(n, k, p, s) for n, k, p, s in
                   zip(shape[1:], self.k, self.p, self.s)]
        except ValueError as err:
            self._fail(f"does not fit input {shape_str(shape)}: {err}")
        return (shape[0], *out)

    def _windows(self, x):
        """Every window of every channel as columns (N*C, KH*KW, OH*OW)."""
        N, C, H, W = x.shape
        self.x_shape, self.out = x.shape, self.output_shape(x.shape[1:])
        return F.im2col(x.reshape(N * C, 1, H, W), self.k, self.s, self.p, 1, self.pad_value)

    def _fold(self, dcols):
        """Sum the window gradients back onto the input (overlapping windows add up)."""
        N, C, H, W = self.x_shape
        return F.col2im(dcols, (N * C, 1, H, W), self.k, self.s, self.p).reshape(self.x_shape)

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.k}, stride={self.s}, padding={self.p})"


class MaxPool2d(_Pool2d):
    """Maximum of each window; the gradient goes to the (first) position that won.

    本書: 第2章、第3章
    """

    pad_value = -np.inf

    def forward(self, x):
        cols = self._windows(x)
        self.argmax = cols.argmax(axis=1)[:, None]                      # winner of each window
        y = np.take_along_axis(cols, self.argmax, axis=1)               # y = max over window
        return y.reshape(x.shape[0], *self.out)

    def backward(self, dy):
        N, C = self.x_shape[:2]
        dcols = np.zeros((N * C, self.k[0] * self.k[1], dy[0, 0].size), dtype=dy.dtype)
        np.put_along_axis(dcols, self.argmax, dy.reshape(N * C, 1, -1), axis=1)
        #                                   dL/dx = dL/dy at the winner, 0 elsewhere
        return self._fold(dcols)                                         # sum over windows


class AvgPool2d(_Pool2d):
    """Mean of each window (zero padding counts, as PyTorch's default).

    本書: 第2章、第3章
    """

    def forward(self, x):
        cols = self._windows(x)
        return cols.mean(axis=1).reshape(x.shape[0], *self.out)         # y = sum / (KH KW)

    def backward(self, dy):
        N, C = self.x_shape[:2]
        kk = self.k[0] * self.k[1]
        dY = dy.reshape(N * C, 1, -1) / dy.dtype.type(kk)                # dL/dy / (KH KW)
        return self._fold(np.broadcast_to(dY, (N * C, kk, dY.shape[2])))  # to every input


class GlobalAvgPool2d(Layer):
    """Mean over all of H x W: (N, C, H, W) -> (N, C).

    本書: 第2章
    """

    def output_shape(self, shape):
        shape = super().output_shape(shape)
        self._check_ndim(shape, 3, "(C, H, W)")
        return (shape[0],)

    def forward(self, x):
        self.output_shape(x.shape[1:])
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))                                        # y_c = mean x_c

    def backward(self, dy):
        H, W = self.x_shape[2:]
        dx = dy[:, :, None, None] / dy.dtype.type(H * W)                 # dL/dx = dL/dy / (HW)
        return np.broadcast_to(dx, self.x_shape).copy()


# ---------------------------------------------------------------- dense part
class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W), the same order as torch.flatten(x, 1).

    本書: 第3章
    """

    def output_shape(self, shape):
        return (math.prod(super().output_shape(shape)),)

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def backward(self, dy):
        return dy.reshape(self.x_shape)


class Linear(Layer):
    """Fully connected layer y = x W^T + b, with W shaped (out, in) as in PyTorch.

    本書: 第3章
    """

    def __init__(self, in_features, out_features, seed=None, dtype=np.float32):
        super().__init__()
        self.n_in = check_int(in_features, "in_features", 1)
        self.n_out = check_int(out_features, "out_features", 1)
        self.params = {"W": he_normal((self.n_out, self.n_in), self.n_in, _rng(seed), dtype),
                       "b": np.zeros(self.n_out, dtype=dtype)}

    def output_shape(self, shape):
        shape = super().output_shape(shape)
        if len(shape) != 1:
            self._fail(f"expects a flat input ({self.n_in},), got {shape_str(shape)}; put "
                       f"Flatten() before it")
        if shape[0] != self.n_in:
            self._fail(f"expects {self.n_in} input features, got input {shape_str(shape)}; "
                       f"set in_features={shape[0]} or fix the previous layer")
        return (self.n_out,)

    def forward(self, x):
        self.output_shape(x.shape[1:])
        W = self.params["W"]
        self.x = x.astype(W.dtype, copy=False)
        return self.x @ W.T + self.params["b"]                           # y = x W^T + b

    def backward(self, dy):
        self.grads["W"] = dy.T @ self.x                                  # dL/dW = dy^T x
        self.grads["b"] = dy.sum(axis=0)                                 # dL/db = sum_n dy
        return dy @ self.params["W"]                                     # dL/dx = dy W

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out})"


class Dropout(Layer):
    """Inverted dropout: keep each unit with probability 1-p and scale it by 1/(1-p).

    本書: 第3章
    """

    def __init__(self, p=0.5, seed=None):
        super().__init__()
        self.p, self.rng = check_number(p, "p", 0, 1, open_max=True), _rng(seed)

    def forward(self, x):
        if not self.training or self.p == 0:
            self.mask = None
            return x                                                     # eval: identity
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)       # m / (1 - p)
        return x * self.mask                                             # y = x * m / (1-p)

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask               # dx = dy * m / (1-p)

    def __repr__(self):
        return f"Dropout(p={self.p})"


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    本書: 第3章
    """

    def forward(self, logits, labels):
        logits, labels = check_array(logits, "logits"), np.asarray(labels)
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(f"SoftmaxCrossEntropy expects logits (N, K) and labels (N,); got "
                             f"{logits.shape} and {labels.shape}")
        if logits.shape[0] == 0 or logits.shape[1] == 0:
            raise ValueError(f"logits must hold at least one example and one class (N, K >= 1); "
                             f"got shape {logits.shape}")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer class indices; got dtype {labels.dtype}")
        if labels.min() < 0 or labels.max() >= logits.shape[1]:
            raise ValueError(f"labels must be integers in [0, {logits.shape[1] - 1}]; got "
                             f"{labels.min() if labels.min() < 0 else labels.max()}")
        z = logits - logits.max(axis=1, keepdims=True)                    # stable: shift by max
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))          # log softmax
        self.p, self.labels = np.exp(log_p), labels
        return float(-log_p[np.arange(len(labels)), labels].mean())      # L = -mean log p_y

    __call__ = forward

    def backward(self):
        if getattr(self, "p", None) is None:
            raise ValueError("SoftmaxCrossEntropy.backward needs what forward cached: call "
                             "forward(logits, labels) before backward()")
        dz = self.p.copy()
        dz[np.arange(len(self.labels)), self.labels] -= 1                 # p - onehot(y)
        return dz / dz.dtype.type(len(self.labels))                       # / N for the mean


# ---------------------------------------------------------------- container
class Sequential:
    """Layers applied in order; ``check`` runs the shapes through before any training.

    本書: 第2章、第3章
    """

    def __init__(self, *layers, input_shape=None):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be a cnnlib.scratch.layers.Layer; got {layer!r}")
        self.layers = list(layers)
        self.input_shape = None
        if input_shape is not None:
            self.check(input_shape)

    def check(self, input_shape):
        """Dry run of the per-sample shapes; a misfit raises naming the layer and the shapes."""
        shape = input_shape = check_ints(input_shape, "input_shape", 1)
        trail = [f"input {shape_str(shape)}"]
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except ValueError as err:
                raise ValueError(f"layer {i} {err}\n  shapes so far: {' -> '.join(trail)}") from None
            trail.append(f"[{i}] {type(layer).__name__} {shape_str(shape)}")
        self.input_shape = input_shape
        return shape

    def shapes(self, input_shape):
        """(layer, output shape, number of parameters) for every layer."""
        rows, shape = [], tuple(input_shape)
        self.check(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
            rows.append((layer, shape, sum(p.size for p in layer.params.values())))
        return rows

    def forward(self, x):
        if tuple(_batch(x).shape[1:]) != self.input_shape:
            self.check(x.shape[1:])
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def train(self, mode=True):
        mode = check_bool(mode, "mode")
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self):
        return self.train(False)

    def astype(self, dtype):
        """Cast every parameter (float64 for gradient checks, float32 for speed)."""
        dtype = _float_dtype(dtype)
        for layer in self.layers:
            for name, value in layer.params.items():
                layer.params[name] = value.astype(dtype)
        return self

    @property
    def num_params(self):
        return sum(p.size for layer in self.layers for p in layer.params.values())

    def predict(self, X, batch_size=1000):
        """Logits for X in eval mode, in batches (restores the previous mode)."""
        X, batch_size = _batch(X, "X"), check_int(batch_size, "batch_size", 1)
        mode = [layer.training for layer in self.layers]
        self.eval()
        try:                                            # an empty X gives an empty (0, K) result
            return np.concatenate([self.forward(X[i:i + batch_size])
                                   for i in range(0, max(len(X), 1), batch_size)])
        finally:
            for layer, m in zip(self.layers, mode):
                layer.training = m

    def __repr__(self):
        body = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{body}\n)"


# ---------------------------------------------------------------- optimizers
class _Optimizer:
    """Updates every layer's ``params[name]`` in place from ``grads[name]``."""

    def __init__(self, model, lr):
        self.layers = model.layers if isinstance(model, Sequential) else model
        if isinstance(self.layers, (str, bytes)) or not isinstance(self.layers, (list, tuple)) \
                or not all(isinstance(layer, Layer) for layer in self.layers):
            raise TypeError(f"model must be a Sequential or a list of cnnlib.scratch.layers.Layer; got "
                            f"{model!r:.80}")
        self.layers = list(self.layers)
        self.lr, self.state = check_number(lr, "lr", 0, open_min=True), {}

    def pairs(self):
        """(key, parameter, gradient) for every parameter that has a gradient."""
        for i, layer in enumerate(self.layers):
            for name, param in layer.params.items():
                if name not in layer.grads:
                    raise ValueError(f"{layer!r} has no gradient for {name}: call backward "
                                     f"before step")
                yield (i, name), param, layer.grads[name]

    def zero_grad(self):
        for layer in self.layers:
            layer.grads.clear()


class SGD(_Optimizer):
    """SGD with momentum as PyTorch: v = mu v + g; theta -= lr v.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, model, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(model, lr)
        self.mu = check_number(momentum, "momentum", 0, 1, open_max=True)
        self.wd = check_number(weight_decay, "weight_decay", 0)

    def step(self):
        for key, theta, g in self.pairs():
            if self.wd:
                g = g + self.wd * theta                                  # L2: g + wd theta
            if self.mu:
                v = self.state.get(key)
                v = g.copy() if v is None else self.mu * v + g            # v = mu v + g
                self.state[key], g = v, v
            theta -= (self.lr * g).astype(theta.dtype, copy=False)        # theta -= lr v


class Adam(_Optimizer):
    """Adam (Kingma & Ba) with bias correction, as torch.optim.Adam.

    本書: 第3章
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(model, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1); got {betas!r}")
        self.b1, self.b2 = (check_number(b, f"betas[{i}]", 0, 1, open_max=True)
                            for i, b in enumerate(betas))
        self.eps = check_number(eps, "eps", 0, open_min=True)
        self.wd, self.t = check_number(weight_decay, "weight_decay", 0), 0

    def step(self):
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for key, theta, g in self.pairs():
            if self.wd:
                g = g + self.wd * theta
            m, v = self.state.get(key, (np.zeros_like(theta), np.zeros_like(theta)))
            m = self.b1 * m + (1 - self.b1) * g                           # m = b1 m + (1-b1) g
            v = self.b2 * v + (1 - self.b2) * g * g                       # v = b2 v + (1-b2) g^2
            self.state[key] = (m, v)
            step = (m / c1) / (np.sqrt(v / c2) + self.eps)                # m_hat / (sqrt(v_hat)+eps)
            theta -= (self.lr * step).astype(theta.dtype, copy=False)
