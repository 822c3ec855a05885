"""The book's one short training loop, written out in chapter 3 and reused in chapters 4-6.

Chapter 3 shows ``train`` and ``accuracy`` in a code cell with exactly this text (a test compares
them), the way d2l saves a function it has written in the page. Chapters 4-6 import them and write
their experiments (skip connections, BatchNorm, Dropout) around them in the page. Everything else
a real run needs (bf16 autocast, channels-last, schedules, augmentation, early stopping, progress
bars) is ``cnnlib.nn.train.fit``'s plumbing, used from chapter 7 on.
"""
import torch
from torch.nn import functional as TF

from ..checks import check_int, check_number
from ..torch_checks import check_labels, check_module, check_tensor, check_tensor_pair, explain_misfit

__all__ = ["train", "accuracy"]


def train(model, data, *, epochs=1, lr=0.01, batch_size=64, optimizer=None, seed=0, on_step=None):
    """Mini-batch SGD (or ``optimizer``) on ``data = (X, y)``; returns the loss of every step.

    ``on_step(step, model)`` runs after each update (to record gradients or weights).

    本書: 第4章、第5章、第6章
    """
    X, y = _checked(model, data)
    epochs, batch_size = check_int(epochs, "epochs", 1), check_int(batch_size, "batch_size", 1)
    opt = optimizer or torch.optim.SGD(model.parameters(), lr=check_number(lr, "lr", 0, open_min=True))
    order = torch.Generator().manual_seed(check_int(seed, "seed", 0))
    losses = []
    model.train()
    for epoch in range(epochs):
        for idx in torch.randperm(len(X), generator=order).split(batch_size):
            loss = TF.cross_entropy(model(X[idx]), y[idx])   # forward
            opt.zero_grad()
            loss.backward()                                  # backward: every p.grad
            opt.step()                                       # update: p -= lr * p.grad
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses) - 1, model)
    model.eval()
    return losses


@torch.no_grad()
def accuracy(model, data, batch_size=1000):
    """Fraction of ``data = (X, y)`` that ``model`` (in eval mode) classifies right.

    本書: 第5章、第6章
    """
    X, y = _checked(model, data)
    batch_size = check_int(batch_size, "batch_size", 1)
    right = sum((model(xb).argmax(1) == yb).sum().item()
                for xb, yb in zip(X.split(batch_size), y.split(batch_size)))
    return right / len(X)


@torch.no_grad()
def _checked(model, data):
    """(X, y) of ``data`` after checking it and that ``model`` (left in eval mode) takes X."""
    check_module(model, "model")
    X, y = check_tensor_pair(data, "data")
    check_tensor(X, "data[0] (X)", floating=True)
    check_labels(y, "data[1] (y)")
    model.eval()
    with explain_misfit("data[0] (X)", X):
        out = model(X[:2])
    if out.dim() != 2 or int(y.max()) >= out.shape[1]:
        raise ValueError(f"the model must output (N, classes) logits with more classes than the "
                         f"largest label {int(y.max())}; got output shape {tuple(out.shape)}")
    return X, y
