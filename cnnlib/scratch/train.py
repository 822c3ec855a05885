"""The from-scratch training loop and model builders (NumPy only) for chapter 3."""
import time

import numpy as np
from tqdm.auto import tqdm

from . import layers as L
from ..checks import check_array, check_int, check_ints, check_number

__all__ = ["evaluate_numpy", "fit_numpy", "small_cnn", "filter_net", "mlp", "mlp_like",
           "feature_maps", "neighbour_correlation", "neighbour_correlation_per_filter",
           "random_neighbour_correlation", "relative_change", "minority_sign_share", "smooth"]

def _check_data(model, X, y, names=("X", "y")):
    """Raise unless X is an ndarray batch the model takes and y its integer class labels."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.scratch.layers.Sequential; got {type(model).__name__}")
    if not isinstance(X, np.ndarray) or X.ndim < 2:
        raise TypeError(f"{names[0]} must be an ndarray batch (N, ...); got "
                        f"{getattr(X, 'shape', type(X).__name__)}")
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise TypeError(f"{names[1]} must be a 1-D array of integer class labels; got shape "
                        f"{y.shape} of dtype {y.dtype}")
    if len(X) != len(y):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length; got {len(X)} "
                         f"and {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{names[0]} must hold at least one example; got 0")
    out = model.check(X.shape[1:])
    if len(out) == 1 and (y.min() < 0 or y.max() >= out[0]):
        raise ValueError(f"{names[1]} must hold class labels in [0, {out[0] - 1}] (the model has "
                         f"{out[0]} outputs); got {y.min() if y.min() < 0 else y.max()}")


def evaluate_numpy(model, X, y, batch_size=1000):
    """(mean loss, accuracy) of a NumPy model on X, y in eval mode.

    本書: 第3章
    """
    _check_data(model, X, y)
    logits = model.predict(X, batch_size)
    loss = L.SoftmaxCrossEntropy()(logits, y)
    return loss, float((logits.argmax(axis=1) == y).mean())


def _batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def fit_numpy(model, X, y, optimizer, epochs=1, batch_size=64, val=None, evals_per_epoch=4,
        lr_decay=1.0, seed=0, progress=True, desc="NumPy"):
    """Mini-batch training of a NumPy Sequential; returns the history (losses, accuracies, time).

    ``val=(X_val, y_val)`` is evaluated ``evals_per_epoch`` times per epoch; the times in
    ``history`` (wall clock ``epoch_time``/``train_time`` and this process's CPU time
    ``epoch_cpu``) count the training steps only, not these evaluations. The learning rate
    is multiplied by ``lr_decay`` after every epoch.

    本書: 第3章
    """
    _check_data(model, X, y)
    if val is not None:
        if not (isinstance(val, (tuple, list)) and len(val) == 2):
            raise TypeError(f"val must be None or a pair (X_val, y_val); got {type(val).__name__}")
        _check_data(model, *val, names=("X_val", "y_val"))
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "lr")):
        raise TypeError(f"optimizer must be a cnnlib.scratch.layers optimizer (SGD, Adam); got "
                        f"{type(optimizer).__name__}")
    if [id(layer) for layer in getattr(optimizer, "layers", model.layers)] != \
            [id(layer) for layer in model.layers]:
        raise ValueError("optimizer must update this model's layers; it was built for another "
                         "model (pass the same model to the optimizer and to fit)")
    epochs, batch_size = check_int(epochs, "epochs", 1), check_int(batch_size, "batch_size", 1)
    evals_per_epoch = check_int(evals_per_epoch, "evals_per_epoch", 1)
    lr_decay, seed = check_number(lr_decay, "lr_decay", 0, open_min=True), check_int(seed, "seed", 0)
    rng, criterion = np.random.default_rng(seed), L.SoftmaxCrossEntropy()
    hist = {"step": [], "loss": [], "acc": [], "eval_step": [], "val_loss": [], "val_acc": [],
            "epoch_time": [], "epoch_cpu": [], "train_time": 0.0, "lr": []}
    step = 0
    for epoch in range(epochs):
        batches = _batches(len(X), batch_size, rng)
        marks = set(np.linspace(0, len(batches), evals_per_epoch + 1, dtype=int)[1:] - 1)
        model.train()
        t_epoch = c_epoch = 0.0
        hist["lr"].append(optimizer.lr)
        for b, idx in enumerate(tqdm(batches, desc=f"{desc} エポック {epoch + 1}/{epochs}",
                                     disable=not progress, mininterval=1.0)):
            t0, c0 = time.perf_counter(), time.process_time()
            logits = model.forward(X[idx])
            loss = criterion(logits, y[idx])
            model.backward(criterion.backward())
            optimizer.step()
            t_epoch += time.perf_counter() - t0
            c_epoch += time.process_time() - c0
            step += 1
            hist["step"].append(step)
            hist["loss"].append(loss)
            hist["acc"].append(float((logits.argmax(axis=1) == y[idx]).mean()))
            if val is not None and b in marks:
                vl, va = evaluate_numpy(model, *val)
                model.train()
                hist["eval_step"].append(step)
                hist["val_loss"].append(vl)
                hist["val_acc"].append(va)
        hist["epoch_time"].append(t_epoch)
        hist["epoch_cpu"].append(c_epoch)
        hist["train_time"] += t_epoch
        optimizer.lr *= lr_decay
    model.eval()
    return hist


# ---------------------------------------------------------------- models
def small_cnn(kernel_size=3, channels=(8, 16), hidden=None, num_classes=10, seed=0):
    """conv -> ReLU -> 2x2 max pool, twice, then linear (28x28 MNIST in, 'same' padding).

    本書: 第3章
    """
    if check_int(kernel_size, "kernel_size", 1) % 2 == 0:
        raise ValueError(f"kernel_size must be odd (for 'same' padding); got {kernel_size}")
    c1, c2 = check_ints(channels, "channels", 1, length=2)
    hidden = None if hidden is None else check_int(hidden, "hidden", 0)
    num_classes, seed = check_int(num_classes, "num_classes", 1), check_int(seed, "seed", 0)
    p = kernel_size // 2
    net = [L.Conv2d(1, c1, kernel_size, padding=p, seed=seed), L.ReLU(), L.MaxPool2d(2),
           L.Conv2d(c1, c2, kernel_size, padding=p, seed=seed + 1), L.ReLU(), L.MaxPool2d(2),
           L.Flatten()]
    if hidden:
        net += [L.Linear(c2 * 7 * 7, hidden, seed=seed + 2), L.ReLU(),
                L.Linear(hidden, num_classes, seed=seed + 3)]
    else:
        net += [L.Linear(c2 * 7 * 7, num_classes, seed=seed + 2)]
    return L.Sequential(*net, input_shape=(1, 28, 28))


def filter_net(kernel_size=5, filters=16, init_std=None, num_classes=10, seed=0):
    """conv (``filters`` kernels, 'same' padding) -> ReLU -> 2x2 max pool -> linear: a one-layer
    CNN for 28x28 MNIST whose first-layer filters are easy to look at.

    ``init_std=None`` keeps the He initialisation; a number draws the conv weights from
    N(0, init_std**2) instead (ゼロから作る uses 0.01): the same random pattern for the same seed,
    only scaled, so the two starts differ in size alone.

    本書: 第3章
    """
    if check_int(kernel_size, "kernel_size", 1) % 2 == 0:
        raise ValueError(f"kernel_size must be odd (for 'same' padding); got {kernel_size}")
    filters, num_classes = check_int(filters, "filters", 1), check_int(num_classes, "num_classes", 1)
    seed = check_int(seed, "seed", 0)
    conv = L.Conv2d(1, filters, kernel_size, padding=kernel_size // 2, seed=seed)
    if init_std is not None:
        std = check_number(init_std, "init_std", 0, open_min=True)
        shape = conv.params["W"].shape
        conv.params["W"] = (np.random.default_rng(seed).standard_normal(shape) * std).astype(np.float32)
    return L.Sequential(conv, L.ReLU(), L.MaxPool2d(2), L.Flatten(),
                        L.Linear(filters * 14 * 14, num_classes, seed=seed + 1), input_shape=(1, 28, 28))


def mlp(hidden, in_features=784, num_classes=10, seed=0):
    """Flatten -> (Linear -> ReLU) per hidden width -> Linear.

    本書: 第3章
    """
    hidden, seed = check_ints(hidden, "hidden", 1, nonempty=False), check_int(seed, "seed", 0)
    sizes, net = (in_features, *hidden), [L.Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        net += [L.Linear(a, b, seed=seed + i), L.ReLU()]
    net.append(L.Linear(sizes[-1], num_classes, seed=seed + len(hidden)))
    return L.Sequential(*net)


def mlp_like(num_params, depth=2, in_features=784, num_classes=10, seed=0):
    """An MLP with ``depth`` equal hidden layers whose parameter count is closest to num_params.

    本書: 第3章
    """
    num_params, depth = check_int(num_params, "num_params", 1), check_int(depth, "depth", 1)
    in_features = check_int(in_features, "in_features", 1)
    num_classes = check_int(num_classes, "num_classes", 1)

    def count(h):                  # (in+1) h + (depth-1)(h+1) h + (h+1) classes
        return (in_features + 1) * h + (depth - 1) * (h + 1) * h + (h + 1) * num_classes
    if num_params > count(4096):
        raise ValueError(f"num_params must be at most {count(4096):,} (hidden width 4096) for "
                         f"depth={depth}; got {num_params:,}")
    best = min(range(1, 4097), key=lambda h: abs(count(h) - num_params))
    model = mlp((best,) * depth, in_features, num_classes, seed)
    model.check((1, 28, 28))
    return model


def feature_maps(model, x):
    """Outputs of every layer for one image x (C, H, W): list of (layer, array).

    本書: 第3章
    """
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.scratch.layers.Sequential; got {type(model).__name__}")
    x = check_array(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must be one image (C, H, W); got shape {x.shape} (for a batch, "
                         f"pass one image such as x[0])")
    mode = [layer.training for layer in model.layers]
    model.eval()
    out, h = [], x[None].astype(np.float32)
    for layer in model.layers:
        h = layer.forward(h)
        out.append((layer, h[0]))
    for layer, m in zip(model.layers, mode):
        layer.training = m
    return out


def neighbour_correlation(W):
    """Correlation of horizontally and vertically adjacent weights inside filters (F, C, k, k).

    About 0 for independent random weights; larger for smooth patterns such as edges.

    本書: 第3章
    """
    W = check_array(W, "W", 4, "(F, C, k, k)", finite=True).astype(np.float64)
    a = np.concatenate([W[..., :, :-1].ravel(), W[..., :-1, :].ravel()])
    b = np.concatenate([W[..., :, 1:].ravel(), W[..., 1:, :].ravel()])
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        raise ValueError(f"W must hold kernels of at least 2 pixels that are not constant (the "
                         f"correlation is undefined otherwise); got shape {W.shape}")
    return float(np.corrcoef(a, b)[0, 1])


def neighbour_correlation_per_filter(W):
    """``neighbour_correlation`` of each filter of W (F, C, k, k) on its own: an array (F,).

    本書: 第3章
    """
    W = check_array(W, "W", 4, "(F, C, k, k)", finite=True)
    return np.array([neighbour_correlation(W[f:f + 1]) for f in range(W.shape[0])])


def random_neighbour_correlation(kernel_size, draws=1000, seed=0):
    """``neighbour_correlation`` of ``draws`` single random filters (1, 1, k, k) with independent
    normal weights: the values that chance alone gives (any weight scale gives the same).

    本書: 第3章
    """
    k, draws = check_int(kernel_size, "kernel_size", 2), check_int(draws, "draws", 2)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    return np.array([neighbour_correlation(rng.standard_normal((1, 1, k, k))) for _ in range(draws)])


def relative_change(W0, W):
    """How far each filter moved from its initial value: ||W[f] - W0[f]|| / ||W0[f]||, an array (F,).

    本書: 第3章
    """
    W0 = check_array(W0, "W0", 4, "(F, C, k, k)", finite=True).astype(np.float64)
    W = check_array(W, "W", 4, "(F, C, k, k)", finite=True).astype(np.float64)
    if W.shape != W0.shape:
        raise ValueError(f"W must have the shape of W0 {W0.shape}; got {W.shape}")
    norm0 = np.linalg.norm(W0.reshape(len(W0), -1), axis=1)
    if not norm0.all():
        raise ValueError(f"W0 must have no all-zero filter (the relative change is undefined); "
                         f"filters {np.flatnonzero(norm0 == 0).tolist()} are zero")
    return np.linalg.norm((W - W0).reshape(len(W), -1), axis=1) / norm0


def minority_sign_share(W):
    """For each filter of W (F, C, k, k), the share of its total |weight| that has the rarer sign:
    about 0 for a one-signed blob, up to 0.5 when positive and negative parts weigh the same.

    本書: 第3章
    """
    W = check_array(W, "W", 4, "(F, C, k, k)", finite=True).astype(np.float64).reshape(len(W), -1)
    total = np.abs(W).sum(axis=1)
    if not total.all():
        raise ValueError(f"W must have no all-zero filter; filters "
                         f"{np.flatnonzero(total == 0).tolist()} are zero")
    pos, neg = np.clip(W, 0, None).sum(axis=1), -np.clip(W, None, 0).sum(axis=1)
    return np.minimum(pos, neg) / total


def smooth(values, window=50):
    """Moving average (valid part) for noisy per-step curves.

    本書: 章のコードからは直接使いません
    """
    values = check_array(values, "values", 1, "(steps,)").astype(float)
    window = check_int(window, "window", 1)
    if len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")
