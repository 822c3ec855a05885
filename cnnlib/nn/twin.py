"""The PyTorch twin of the from-scratch NumPy models (chapter 3): same layers, same weights,
the same mini-batches."""
import time

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..checks import check_int, check_number
from ..scratch import layers as L
from ..scratch.train import _batches
from ..torch_checks import check_device, check_module

__all__ = ["torch_twin", "fit_torch", "evaluate_torch"]


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


def torch_twin(model):
    """An nn.Sequential with the same layers and the same (copied) weights as a NumPy model.

    本書: 第3章
    """
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib.scratch.layers.Sequential; got {type(model).__name__}")
    return nn.Sequential(*[_torch_layer(layer) for layer in model.layers])


def fit_torch(net, X, y, epochs=1, batch_size=64, lr=1e-3, optimizer=None, scheduler=None,
              seed=0, device=None, progress=True, desc="PyTorch"):
    """Train a torch model (Adam(lr) unless ``optimizer`` is given) on in-memory tensors.

    The mini-batches come in the same order as ``fit_numpy(..., seed=seed)`` draws them for a NumPy
    model, so a twin made by ``torch_twin`` sees exactly the batches its NumPy original saw.
    ``scheduler.step()`` runs after every epoch. Returns {'loss' (per step), 'epoch_time',
    'epoch_cpu' (this process's CPU time), 'train_time'} (seconds).

    本書: 第3章
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
    """Accuracy of a torch model on X, y.

    本書: 章のコードからは直接使いません
    """
    check_module(net, "net")
    device = next(net.parameters()).device if device is None else check_device(device)
    X, y = _xy_tensors(X, y)
    batch_size = check_int(batch_size, "batch_size", 1)
    net.eval()
    correct = sum(int((net(X[i:i + batch_size].to(device)).argmax(1).cpu()
                       == y[i:i + batch_size]).sum()) for i in range(0, len(X), batch_size))
    return correct / len(X)
