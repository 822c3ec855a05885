"""Training loop, model builders and a PyTorch twin for the NumPy-from-scratch chapter."""
import time

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import layers as L
from .checks import check_array, check_int, check_ints, check_number
from .torch_checks import check_device, check_module

__all__ = ["evaluate", "fit", "small_cnn", "mlp", "mlp_like", "to_torch", "fit_torch",
           "evaluate_torch", "feature_maps"]


def _check_data(model, X, y, names=("X", "y")):
    """Raise unless X is an ndarray batch the model takes and y its integer class labels."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.layers.Sequential; got {type(model).__name__}")
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


def evaluate(model, X, y, batch_size=1000):
    """(mean loss, accuracy) of a NumPy model on X, y in eval mode."""
    _check_data(model, X, y)
    logits = model.predict(X, batch_size)
    loss = L.SoftmaxCrossEntropy()(logits, y)
    return loss, float((logits.argmax(axis=1) == y).mean())


def _batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def fit(model, X, y, optimizer, epochs=1, batch_size=64, val=None, evals_per_epoch=4,
        lr_decay=1.0, seed=0, progress=True, desc="NumPy"):
    """Mini-batch training of a NumPy Sequential; returns the history (losses, accuracies, time).

    ``val=(X_val, y_val)`` is evaluated ``evals_per_epoch`` times per epoch; the times in
    ``history`` (wall clock ``epoch_time``/``train_time`` and this process's CPU time
    ``epoch_cpu``) count the training steps only, not these evaluations. The learning rate
    is multiplied by ``lr_decay`` after every epoch.
    """
    _check_data(model, X, y)
    if val is not None:
        if not (isinstance(val, (tuple, list)) and len(val) == 2):
            raise TypeError(f"val must be None or a pair (X_val, y_val); got {type(val).__name__}")
        _check_data(model, *val, names=("X_val", "y_val"))
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "lr")):
        raise TypeError(f"optimizer must be a cnnlib.layers optimizer (SGD, Adam); got "
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
                vl, va = evaluate(model, *val)
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
    """conv -> ReLU -> 2x2 max pool, twice, then linear (28x28 MNIST in, 'same' padding)."""
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


def mlp(hidden, in_features=784, num_classes=10, seed=0):
    """Flatten -> (Linear -> ReLU) per hidden width -> Linear."""
    hidden, seed = check_ints(hidden, "hidden", 1, nonempty=False), check_int(seed, "seed", 0)
    sizes, net = (in_features, *hidden), [L.Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        net += [L.Linear(a, b, seed=seed + i), L.ReLU()]
    net.append(L.Linear(sizes[-1], num_classes, seed=seed + len(hidden)))
    return L.Sequential(*net)


def mlp_like(num_params, depth=2, in_features=784, num_classes=10, seed=0):
    """An MLP with ``depth`` equal hidden layers whose parameter count is closest to num_params."""
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


# ---------------------------------------------------------------- torch twin
def _torch_layer(layer):
    """The torch module computing the same function as one NumPy layer (weights copied)."""
    if isinstance(layer, L.Conv2d):
        m = nn.Conv2d(layer.C, layer.F, layer.k, layer.s, layer.p)
    elif isinstance(layer, L.Linear):
        m = nn.Linear(layer.n_in, layer.n_out)
    else:
        simple = {L.ReLU: nn.ReLU, L.Flatten: nn.Flatten,
                  L.GlobalAvgPool2d: lambda: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())}
        if isinstance(layer, (L.MaxPool2d, L.AvgPool2d)):
            cls = nn.MaxPool2d if isinstance(layer, L.MaxPool2d) else nn.AvgPool2d
            return cls(layer.k, layer.s, layer.p)
        if isinstance(layer, L.Dropout):
            return nn.Dropout(layer.p)
        if type(layer) not in simple:
            raise TypeError(f"no torch equivalent for {layer!r}")
        return simple[type(layer)]()
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(layer.params["W"]))
        m.bias.copy_(torch.from_numpy(layer.params["b"]))
    return m


def to_torch(model):
    """An nn.Sequential with the same layers and the same (copied) weights as a NumPy model."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.layers.Sequential; got {type(model).__name__}")
    return nn.Sequential(*[_torch_layer(layer) for layer in model.layers])


def fit_torch(net, X, y, epochs=1, batch_size=64, lr=1e-3, optimizer=None, scheduler=None,
              seed=0, device=None, progress=True, desc="PyTorch"):
    """Train a torch model (Adam(lr) unless ``optimizer`` is given) on in-memory tensors.

    The mini-batches come in the same order as ``fit(..., seed=seed)`` draws them for a NumPy
    model, so a twin made by ``to_torch`` sees exactly the batches its NumPy original saw.
    ``scheduler.step()`` runs after every epoch. Returns {'loss' (per step), 'epoch_time',
    'epoch_cpu' (this process's CPU time), 'train_time'} (seconds).
    """
    check_module(net, "net")
    device = torch.device("cpu") if device is None else check_device(device)
    epochs, batch_size = check_int(epochs, "epochs", 1), check_int(batch_size, "batch_size", 1)
    lr, seed = check_number(lr, "lr", 0, open_min=True), check_int(seed, "seed", 0)
    X, y = _xy_tensors(X, y, device)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be None or a torch.optim.Optimizer; got "
                        f"{type(optimizer).__name__}")
    net.to(device).train()
    opt = optimizer or torch.optim.Adam(net.parameters(), lr=lr)
    crit = nn.CrossEntropyLoss()
    rng, losses, times, cpu = np.random.default_rng(seed), [], [], []
    for epoch in range(epochs):
        batches = _batches(len(X), batch_size, rng)
        t0, c0 = time.perf_counter(), time.process_time()
        for idx in tqdm(batches, desc=f"{desc} エポック {epoch + 1}/{epochs}", disable=not progress,
                        mininterval=1.0):
            idx = torch.from_numpy(idx).to(device)
            opt.zero_grad(set_to_none=True)
            loss = crit(net(X[idx]), y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if scheduler is not None:
            scheduler.step()
    net.eval()
    return {"loss": losses, "epoch_time": times, "epoch_cpu": cpu, "train_time": sum(times)}


def _xy_tensors(X, y, device=None):
    """X and y as tensors (on ``device``) with one integer label per example, at least one."""
    X, y = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
    if X.dim() < 2 or y.dim() != 1 or len(X) != len(y):
        raise ValueError(f"X must be a batch (N, ...) and y its N labels; got shapes "
                         f"{tuple(X.shape)} and {tuple(y.shape)}")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class labels; got dtype {y.dtype}")
    if len(X) == 0:
        raise ValueError("X must hold at least one example; got 0")
    return X, y


@torch.no_grad()
def evaluate_torch(net, X, y, batch_size=1000, device=None):
    """Accuracy of a torch model on X, y."""
    check_module(net, "net")
    device = next(net.parameters()).device if device is None else check_device(device)
    X, y = _xy_tensors(X, y)
    batch_size = check_int(batch_size, "batch_size", 1)
    net.eval()
    correct = sum(int((net(X[i:i + batch_size].to(device)).argmax(1).cpu()
                       == y[i:i + batch_size]).sum()) for i in range(0, len(X), batch_size))
    return correct / len(X)


def feature_maps(model, x):
    """Outputs of every layer for one image x (C, H, W): list of (layer, array)."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.layers.Sequential; got {type(model).__name__}")
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
    """
    W = check_array(W, "W", 4, "(F, C, k, k)", finite=True).astype(np.float64)
    a = np.concatenate([W[..., :, :-1].ravel(), W[..., :-1, :].ravel()])
    b = np.concatenate([W[..., :, 1:].ravel(), W[..., 1:, :].ravel()])
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        raise ValueError(f"W must hold kernels of at least 2 pixels that are not constant (the "
                         f"correlation is undefined otherwise); got shape {W.shape}")
    return float(np.corrcoef(a, b)[0, 1])


def source_text(fn):
    """Source of a function, dedented, with the padding before end-of-line comments shortened."""
    import inspect
    import re
    import textwrap
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isclass(fn)):
        raise TypeError(f"fn must be a function, method or class defined in Python; got "
                        f"{type(fn).__name__}")
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    return "\n".join(re.sub(r"(\S)\s{2,}#", r"\1  #", line) for line in lines)


# ---------------------------------------------------------------- figures
def smooth(values, window=50):
    """Moving average (valid part) for noisy per-step curves."""
    values = check_array(values, "values", 1, "(steps,)").astype(float)
    window = check_int(window, "window", 1)
    if len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_history(histories, steps_per_epoch, window=50):
    """Loss (smoothed per step) and validation accuracy per epoch for several runs."""
    import matplotlib.pyplot as plt
    from . import viz  # noqa: F401  (Japanese font)
    steps_per_epoch, window = check_int(steps_per_epoch, "steps_per_epoch", 1), check_int(
        window, "window", 1)
    if not isinstance(histories, dict) or not histories:
        raise TypeError(f"histories must be a non-empty dict {{name: history of fit}}; got "
                        f"{type(histories).__name__}")
    for name, h in histories.items():
        if not (isinstance(h, dict) and {"loss", "eval_step", "val_acc"} <= set(h)):
            raise ValueError(f"histories[{name!r}] must be a history returned by fit (with "
                             f"'loss', 'eval_step' and 'val_acc'); got {type(h).__name__}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, h in histories.items():
        loss = smooth(h["loss"], window)
        x = (np.arange(len(loss)) + min(window, len(h["loss"]))) / steps_per_epoch
        ax1.plot(x, loss, label=name)
        ax2.plot(np.asarray(h["eval_step"]) / steps_per_epoch, h["val_acc"], "o-", label=name)
    ax1.set(xlabel="エポック", ylabel="訓練損失（移動平均）", title="損失の推移", yscale="log")
    ax2.set(xlabel="エポック", ylabel="検証データの正解率", title="正解率の推移")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def filter_mosaic(W, max_in=8):
    """Filters (F, C, k, k) tiled into one image: rows = input channels, columns = filters.

    Each input channel's row is scaled by its largest |weight| to [-1, 1]; NaN separates tiles.
    """
    W = check_array(W, "W", 4, "(F, C, k, k)").astype(np.float64)
    F_, C, kh, kw = W.shape
    C = min(C, check_int(max_in, "max_in", 1))
    out = np.full((C * (kh + 1) - 1, F_ * (kw + 1) - 1), np.nan)
    for c in range(C):
        lim = np.abs(W[:, c]).max() or 1.0
        for f in range(F_):
            out[c * (kh + 1):c * (kh + 1) + kh, f * (kw + 1):f * (kw + 1) + kw] = W[f, c] / lim
    return out


def plot_filters(W, title, max_in=8):
    """Filters W (F, C, k, k) as one mosaic: a row per input channel (up to max_in), a column per filter."""
    import matplotlib.pyplot as plt
    from . import viz  # noqa: F401
    mosaic = filter_mosaic(W, max_in)
    F_, C = np.asarray(W).shape[0], min(np.asarray(W).shape[1], max_in)
    unit = 0.9 if C <= 2 else 0.55                       # single-row mosaics drawn larger
    fig, ax = plt.subplots(figsize=(min(unit * F_ + 0.6, 10), unit * C + 0.7))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_maps(maps, title, ncols=8):
    """Feature maps (K, H, W) of one image as a grid, all on one grey scale (0, or the smallest
    value if negative, = black; the largest value in ``maps`` = white), each map labelled with its
    channel number above it."""
    import matplotlib.pyplot as plt
    from . import viz  # noqa: F401
    maps, ncols = check_array(maps, "maps", 3, "(K, H, W)"), check_int(ncols, "ncols", 1)
    nrows = -(-len(maps) // ncols)
    vmin = min(0.0, float(maps.min()))
    vmax = float(maps.max()) if maps.max() > vmin else vmin + 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.35 * nrows + 0.5), squeeze=False,
                             gridspec_kw=dict(hspace=0.3, wspace=0.15))
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, m) in enumerate(zip(axes.flat, maps)):
        ax.imshow(m, cmap="gray", vmin=vmin, vmax=vmax)
        ax.set_title(f"チャネル {k}", fontsize=8, pad=3)
    fig.suptitle(title, fontsize=10)
    return fig
