"""Training and evaluation: ``fit``, ``evaluate``, ``History`` (metrics and checkpoints are
in ``cnnlib.nn.metrics`` and ``cnnlib.nn.checkpoints``).

Typical use (data are in-memory tensors; ``X`` may be float or uint8)::

    from cnnlib.nn.train import fit, evaluate
    hist = fit(model, (X_train, y_train), (X_test, y_test), epochs=5, batch_size=128, lr=1e-3)
    hist["test_acc"]                  # one value per epoch (History is a dict of lists)
    hist.rows()                       # the same as a list of per-epoch dicts
    evaluate(model, (X_test, y_test)) # {"loss": ..., "acc": ...}

``fit(model, train_data, test_data=None, *, epochs, batch_size=128, optimizer="adam", lr=1e-3,
weight_decay=0.0, loss_fn=None, label_smoothing=0.0, schedule=None, prepare=None, augment=None,
on_batch=None, on_step=None, on_epoch=None, device=None, amp="auto", channels_last="auto", seed=None,
grad_clip=None, progress=True, threads=None)``

- ``train_data`` / ``test_data``: a tuple ``(X, y)`` of tensors (shuffled each epoch with a
  random permutation, no DataLoader workers) or any re-iterable of ``(xb, yb)`` batches.
- ``optimizer``: ``"adam"``, ``"adamw"``, ``"sgd"`` (momentum 0.9, Nesterov), a
  ``torch.optim.Optimizer`` instance, or a callable ``params -> optimizer``.
- ``schedule``: ``None``, ``"onecycle"``, ``"cosine"`` or a callable
  ``(optimizer, total_steps) -> scheduler``; stepped after every batch.
- ``prepare(xb)``: turns a raw batch on the device into model input (e.g. uint8 -> normalised
  float), used for training and evaluation. ``augment(xb, yb) -> (xb, yb)`` runs on training
  batches after ``prepare``; ``yb`` may come back as soft targets of shape ``(N, K)`` (Mixup).
- ``on_batch(info)`` runs after ``backward`` and before the optimizer step (``info`` has
  ``epoch``, ``step``, ``loss``, ``model``; e.g. to record gradient norms); ``on_step(info)`` runs
  after the optimizer step (e.g. weight averaging); ``on_epoch(epoch, history, model)`` runs
  after each epoch and stops training when it returns True (see ``EarlyStopping``).
- ``history["time"]`` is the cumulative training wall time in seconds, evaluation excluded.
- ``amp="auto"`` uses bf16 autocast where the device supports it (fp32 otherwise);
  ``amp=None`` forces fp32. ``channels_last="auto"`` uses it on CPU for 4-D inputs.
- ``threads``: torch intra-op threads (default: ``$CNNLIB_THREADS`` or torch's own choice).
- Ctrl-C (KeyboardInterrupt) ends training early: the history so far is returned with
  ``history.interrupted = True`` and the model is left in eval mode, usable.
"""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as TF
from tqdm.auto import tqdm

from ..checks import check_bool, check_callable, check_choice, check_int, check_number
from ..torch_checks import (check_device, check_module, check_tensor, check_tensor_pair,
                           explain_misfit)
from ..utils import env_threads, get_device, set_seed

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "time")


class History(dict):
    """Per-epoch metrics: a dict of equal-length lists, with ``rows()`` as a list of dicts.

    本書: 章のコードからは直接使いません
    """

    def __init__(self):
        super().__init__({k: [] for k in HISTORY_KEYS})
        self.interrupted = False

    def append(self, **row):
        """Add one epoch's metrics (missing keys get None)."""
        unknown = sorted(set(row) - set(self))
        if unknown:
            raise ValueError(f"History.append got unknown keys {unknown}; allowed: {list(self)}")
        for k in self:
            self[k].append(row.get(k))

    @property
    def epochs(self):
        """Number of finished epochs."""
        return len(self["epoch"])

    def rows(self):
        """The history as a list of per-epoch dicts."""
        return [{k: self[k][i] for k in self} for i in range(self.epochs)]

    def best(self, key="test_acc", mode="max"):
        """The row with the best value of ``key``."""
        check_choice(key, "key", tuple(self))
        check_choice(mode, "mode", ("max", "min"))
        vals = [(v, i) for i, v in enumerate(self[key]) if v is not None]
        if not vals:
            raise ValueError(f"history has no values for {key!r}")
        _, i = max(vals) if mode == "max" else min(vals)
        return self.rows()[i]


def configure_threads(n=None):
    """Set torch's intra-op threads to ``n``, else ``$CNNLIB_THREADS`` if set; returns the count.

    Without either, torch's default (one thread per core) is kept. On a busy shared CPU a
    single thread can be faster for small models: every parallel op waits for all threads.

    本書: 第4章、第5章、第6章
    """
    n = env_threads() if n is None else check_int(n, "n", 1)
    if n and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return torch.get_num_threads()


def bf16_supported(device):
    """True when bf16 autocast is fast and supported on ``device``.

    本書: 第7章
    """
    device = check_device(device, present=False)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def autocast_dtype(device, amp="auto"):
    """The autocast dtype for ``amp`` ("auto", "bf16", None/"fp32") on ``device``, or None.

    本書: 章のコードからは直接使いません
    """
    if amp in (None, False, "fp32"):
        return None
    if amp is True:
        raise ValueError(f"amp must be 'auto', 'bf16', 'fp32' or None, got {amp!r}")
    if amp == "auto":
        return torch.bfloat16 if bf16_supported(device) else None
    if amp == "bf16":
        if not bf16_supported(device):
            raise ValueError(f"amp='bf16' requested but {device} does not support bf16")
        return torch.bfloat16
    raise ValueError(f"amp must be 'auto', 'bf16', 'fp32' or None, got {amp!r}")


def _autocast(device, dtype):
    """An autocast context (a no-op one when ``dtype`` is None)."""
    return torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None)


class TensorBatches:
    """Re-iterable mini-batches of in-memory tensors ``(X, y)``, optionally shuffled.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, X, y, batch_size=128, shuffle=False, generator=None, drop_last=False):
        X, y = check_tensor_pair((X, y), "(X, y)", nonempty=False)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got "
                            f"{type(generator).__name__}")
        self.X, self.y, self.batch_size = X, y, check_int(batch_size, "batch_size", 1)
        self.shuffle, self.generator = check_bool(shuffle, "shuffle"), generator
        self.drop_last = check_bool(drop_last, "drop_last")

    def __len__(self):
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        n = len(self.X)
        idx = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for i in range(len(self)):
            j = idx[i * self.batch_size:(i + 1) * self.batch_size]
            yield self.X[j], self.y[j]


def as_batches(data, batch_size=128, shuffle=False, generator=None, name="data"):
    """``(X, y)`` tensors -> ``TensorBatches``; an iterable of batches is returned unchanged.

    ``name`` is the argument's name in error messages.

    本書: 章のコードからは直接使いません
    """
    if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], (tuple, list)):
        return TensorBatches(*check_tensor_pair(data, name, nonempty=False), batch_size,
                             shuffle, generator)
    if not hasattr(data, "__iter__") or isinstance(data, (str, bytes, dict)) \
            or torch.is_tensor(data) or hasattr(data, "__array__"):
        raise TypeError(f"{name} must be a tuple (X, y) of tensors or an iterable of (xb, yb) "
                        f"batches, got {type(data).__name__}")
    return data


def make_optimizer(optimizer, params, lr=1e-3, weight_decay=0.0):
    """An optimizer from a name ('adam', 'adamw', 'sgd'), an instance, or a factory callable.

    本書: 章のコードからは直接使いません
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(params)
    params = list(params)
    if not params:
        raise ValueError("params must hold at least one parameter to train; got none (is the "
                         "model empty, or all of it frozen?)")
    lr, weight_decay = check_number(lr, "lr", 0, open_min=True), check_number(
        weight_decay, "weight_decay", 0)
    names = {"adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=weight_decay),
             "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay),
             "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True,
                                            weight_decay=weight_decay)}
    if not isinstance(optimizer, str) or optimizer not in names:
        raise ValueError(f"optimizer must be one of {sorted(names)}, an Optimizer or a callable, "
                         f"got {optimizer!r}")
    return names[optimizer]()


def make_schedule(schedule, opt, total_steps):
    """A per-batch LR scheduler: None, 'onecycle', 'cosine' or a callable(opt, total_steps).

    本書: 章のコードからは直接使いません
    """
    if schedule is None:
        return None
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"opt must be a torch.optim.Optimizer; got {type(opt).__name__}")
    total_steps = check_int(total_steps, "total_steps", 1)
    if callable(schedule):
        return schedule(opt, total_steps)
    if schedule == "onecycle":
        max_lr = [g["lr"] for g in opt.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps,
                                                   cycle_momentum=False)
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, total_steps))
    raise ValueError(f"schedule must be None, 'onecycle', 'cosine' or a callable, got {schedule!r}")


def soft_cross_entropy(logits, y, label_smoothing=0.0):
    """Cross-entropy for integer labels or soft targets of shape (N, K).

    本書: 章のコードからは直接使いません
    """
    check_tensor(logits, "logits", 2, "(N, K)", floating=True)
    check_tensor(y, "y")
    label_smoothing = check_number(label_smoothing, "label_smoothing", 0, 1)
    N, K = logits.shape
    if y.is_floating_point() and tuple(y.shape) != (N, K):
        raise ValueError(f"y must be class indices (N,) or soft targets (N, K) = {(N, K)}; got "
                         f"a float tensor of shape {tuple(y.shape)}")
    if not y.is_floating_point():
        if tuple(y.shape) != (N,) or y.dtype == torch.bool or y.is_complex():
            raise ValueError(f"y must be class indices (N,) = ({N},) or soft targets (N, K); "
                             f"got {y.dtype} of shape {tuple(y.shape)}")
        if N and bool(((y < 0) | (y >= K)).any()):
            bad = y[(y < 0) | (y >= K)][0]
            raise ValueError(f"y must hold class indices in [0, {K - 1}] (the model has {K} "
                             f"outputs); got {int(bad)}")
        y = y.long()
    return TF.cross_entropy(logits.float(), y, label_smoothing=label_smoothing)


def _to_input(xb, device, prepare, channels_last):
    """Move a batch to ``device``, apply ``prepare`` and the memory format."""
    xb = xb.to(device, non_blocking=True)
    xb = prepare(xb) if prepare is not None else xb
    if channels_last and xb.dim() == 4:
        xb = xb.contiguous(memory_format=torch.channels_last)
    return xb


def _use_channels_last(channels_last, device, model):
    """Resolve channels_last='auto' (on for CPU models with Conv2d layers)."""
    if isinstance(channels_last, str) and channels_last == "auto":
        has_conv = any(isinstance(m, nn.Conv2d) for m in model.modules())
        return torch.device(device).type == "cpu" and has_conv
    if not isinstance(channels_last, bool):
        raise ValueError(f"channels_last must be 'auto', True or False, got {channels_last!r}")
    return channels_last


def _hard_labels(y):
    """Integer labels from integer or soft (N, K) targets."""
    return y.argmax(1) if y.dim() == 2 else y


TTA_MODES = (None, "flip", "flip-translate")


def _tta_logits(model, xb, tta):
    """Logits of ``xb`` averaged over test-time views: ``"flip"`` averages the image and its
    mirror; ``"flip-translate"`` (airbench's level 2) gives that weight 1/2 and 1/4 each to the
    same pair shifted one pixel up-left and down-right (reflect padding)."""
    def mirror(x):
        return (model(x).float() + model(x.flip(-1)).float()) / 2
    if tta is None:
        return model(xb).float()
    if tta == "flip":
        return mirror(xb)
    H, W = xb.shape[-2:]
    padded = TF.pad(xb, (1, 1, 1, 1), mode="reflect")
    shifted = [padded[..., :H, :W], padded[..., 2:, 2:]]
    return mirror(xb) / 2 + sum(mirror(s) for s in shifted) / 4


@torch.no_grad()
def predict(model, data, *, batch_size=512, prepare=None, device=None, amp="auto",
            channels_last="auto", tta=None, progress=False):
    """Logits (float32, on CPU) and labels for all of ``data``; ``tta`` is one of ``TTA_MODES``
    (``"flip"`` averages each image with its mirror; see ``_tta_logits``).

    本書: 第7章、第8章
    """
    check_choice(tta, "tta", TTA_MODES)
    device = _model_device(check_module(model), device)
    dtype = autocast_dtype(device, amp)
    cl = _use_channels_last(channels_last, device, model)
    check_callable(prepare, "prepare", none_ok=True)
    batches = as_batches(data, check_int(batch_size, "batch_size", 1))
    model.eval()
    logits, labels = [], []
    for xb, yb in tqdm(batches, desc="評価", leave=False, disable=not progress):
        xb = _to_input(xb, device, prepare, cl)
        with _autocast(device, dtype), explain_misfit("the inputs in data", xb, not logits):
            logits.append(_tta_logits(model, xb, tta).cpu())
        labels.append(_hard_labels(yb).cpu())
    if not logits:
        raise ValueError("data must hold at least one example; got an empty dataset")
    return torch.cat(logits), torch.cat(labels)


def _model_device(model, device):
    """``device`` checked, or (None) the device of the model's first parameter (else the CPU)."""
    if device is not None:
        return check_device(device)
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def evaluate(model, data, *, batch_size=512, loss_fn=None, prepare=None, device=None,
             amp="auto", channels_last="auto", tta=None):
    """Mean loss and accuracy of ``model`` on ``data``: ``{"loss": float, "acc": float}``.

    本書: 第7章、第8章
    """
    check_callable(loss_fn, "loss_fn", none_ok=True)
    logits, y = predict(model, data, batch_size=batch_size, prepare=prepare, device=device,
                        amp=amp, channels_last=channels_last, tta=tta)
    loss_fn = loss_fn or soft_cross_entropy
    return {"loss": float(loss_fn(logits, y)), "acc": float((logits.argmax(1) == y).float().mean())}


class EarlyStopping:
    """``on_epoch`` callback: stop when ``key`` has not improved for ``patience`` epochs.

    本書: 第7章
    """

    def __init__(self, patience=3, key="test_loss", mode="min", restore_best=True):
        check_choice(mode, "mode", ("min", "max"))
        check_choice(key, "key", HISTORY_KEYS[1:])
        patience, restore_best = check_int(patience, "patience", 1), check_bool(restore_best,
                                                                                "restore_best")
        self.patience, self.key, self.mode, self.restore_best = patience, key, mode, restore_best
        self.best, self.best_epoch, self.best_state, self.wait = None, None, None, 0

    def __call__(self, epoch, history, model):
        v = (history.get(self.key) or [None])[-1] if isinstance(history, dict) else None
        if v is None:
            raise ValueError(f"EarlyStopping(key={self.key!r}) needs history[{self.key!r}] from "
                             f"fit's History; got none (test_loss and test_acc need test_data)")
        better = self.best is None or (v < self.best if self.mode == "min" else v > self.best)
        if better:
            self.best, self.best_epoch, self.wait = v, epoch, 0
            if self.restore_best:
                self.best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            if self.restore_best and self.best_state is not None:
                model.load_state_dict(self.best_state)
            return True
        return False


def _train_epoch(model, batches, opt, sched, loss_fn, prepare, augment, device, dtype, cl,
                 grad_clip, on_batch, on_step, epoch, bar):
    """One pass over the training batches; returns (mean loss, accuracy)."""
    model.train()
    tot_loss, tot_correct, tot_n = 0.0, 0, 0
    for step, (xb, yb) in enumerate(batches):
        xb, yb = _to_input(xb, device, prepare, cl), yb.to(device, non_blocking=True)
        if augment is not None:
            xb, yb = augment(xb, yb)
        with _autocast(device, dtype), explain_misfit("the inputs in train_data", xb,
                                                      epoch == 1 and step == 0):
            out = model(xb)
        loss = loss_fn(out.float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lv = loss.item()
        if on_batch is not None:
            on_batch({"epoch": epoch, "step": step, "loss": lv, "model": model})
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        if sched is not None:
            sched.step()
        if on_step is not None:
            on_step({"epoch": epoch, "step": step, "loss": lv, "model": model})
        n = len(xb)
        tot_loss += lv * n
        tot_correct += int((out.argmax(1) == _hard_labels(yb)).sum())
        tot_n += n
        bar.update(1)
        bar.set_postfix({"損失": f"{tot_loss / tot_n:.3f}", "正解率": f"{tot_correct / tot_n:.3f}"})
    return tot_loss / max(tot_n, 1), tot_correct / max(tot_n, 1)


def fit(model, train_data, test_data=None, *, epochs, batch_size=128, optimizer="adam", lr=1e-3,
        weight_decay=0.0, loss_fn=None, label_smoothing=0.0, schedule=None, prepare=None,
        augment=None, on_batch=None, on_step=None, on_epoch=None, device=None, amp="auto",
        channels_last="auto", seed=None, grad_clip=None, progress=True, eval_batch_size=512,
        threads=None):
    """Train ``model`` for ``epochs`` and return a ``History`` (see the module docstring).

    本書: 第7章
    """
    check_module(model)
    epochs, eval_batch_size = check_int(epochs, "epochs", 1), check_int(eval_batch_size,
                                                                        "eval_batch_size", 1)
    for name, fn in (("loss_fn", loss_fn), ("prepare", prepare), ("augment", augment),
                     ("on_batch", on_batch), ("on_step", on_step), ("on_epoch", on_epoch)):
        check_callable(fn, name, none_ok=True)
    label_smoothing = check_number(label_smoothing, "label_smoothing", 0, 1)
    grad_clip = None if grad_clip is None else check_number(grad_clip, "grad_clip", 0,
                                                            open_min=True)
    threads = None if threads is None else check_int(threads, "threads", 1)
    device = check_device(device) if device is not None else get_device()
    _nonempty(train_data, "train_data", batch_size)
    if test_data is not None:
        _nonempty(test_data, "test_data", eval_batch_size)
    gen = None
    if seed is not None:
        set_seed(seed)
        gen = torch.Generator().manual_seed(seed)
    configure_threads(threads)
    dtype = autocast_dtype(device, amp)
    cl = _use_channels_last(channels_last, device, model)
    model.to(device, memory_format=torch.channels_last if cl else torch.contiguous_format)
    batches = as_batches(train_data, batch_size, shuffle=True, generator=gen)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    _check_optimizer_params(opt, model)
    steps = len(batches) if hasattr(batches, "__len__") else None
    if schedule is not None and steps is None:
        raise ValueError("a schedule needs len(train_data); pass (X, y) tensors or a sized iterable")
    sched = make_schedule(schedule, opt, epochs * (steps or 0))
    if loss_fn is None:
        def loss_fn(out, y):
            return soft_cross_entropy(out, y, label_smoothing)
    hist = History()
    ev = dict(batch_size=eval_batch_size, prepare=prepare, device=device, amp=amp,
              channels_last=cl)
    train_time = 0.0
    ebar = tqdm(range(1, epochs + 1), desc="エポック", disable=not progress)
    # One batch bar, reset every epoch: a new bar per epoch closed with leave=False would leave
    # an empty widget area per epoch in the static HTML book.
    bar = tqdm(total=steps, disable=not progress)
    try:
        for epoch in ebar:
            t0 = time.perf_counter()
            bar.reset(total=steps)
            bar.set_description(f"エポック {epoch}")
            tl, ta = _train_epoch(model, batches, opt, sched, loss_fn, prepare, augment,
                                  device, dtype, cl, grad_clip, on_batch, on_step, epoch, bar)
            train_time += time.perf_counter() - t0
            te = evaluate(model, test_data, **ev) if test_data is not None else {}
            hist.append(epoch=epoch, train_loss=tl, train_acc=ta, test_loss=te.get("loss"),
                        test_acc=te.get("acc"), lr=opt.param_groups[0]["lr"],
                        time=train_time)
            ebar.set_postfix({k: f"{v:.3f}" for k, v in
                              [("損失", tl), ("正解率", ta), ("評価の正解率", te.get("acc"))] if v is not None})
            if on_epoch is not None and on_epoch(epoch, hist, model):
                break
    except KeyboardInterrupt:
        hist.interrupted = True
        print(f"中断しました: 終わった {hist.epochs} エポックの履歴を残します。")
    finally:
        bar.close()
        ebar.close()
        model.eval()
    return hist


def _nonempty(data, name, batch_size):
    """Raise unless ``data`` is usable training/test data with at least one batch (if sized)."""
    batches = as_batches(data, batch_size, name=name)
    if hasattr(batches, "__len__") and len(batches) == 0:
        raise ValueError(f"{name} must hold at least one example; got an empty dataset")


def _check_optimizer_params(opt, model):
    """Raise unless every parameter the optimizer updates belongs to ``model``."""
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"optimizer must build a torch.optim.Optimizer; got {type(opt).__name__}")
    own = {id(p) for p in model.parameters()}
    if any(id(p) not in own for g in opt.param_groups for p in g["params"]):
        raise ValueError("optimizer must update this model's parameters; it holds parameters "
                         "of another model (build it from model.parameters())")


# ---------------------------------------------------------------- practical tips

class GradNormRecorder:
    """``on_batch`` callback that records the global L2 norm of all gradients at every step.

    本書: 第7章
    """

    def __init__(self):
        self.norms = []

    def __call__(self, info):
        if not (isinstance(info, dict) and isinstance(info.get("model"), nn.Module)):
            raise TypeError(f"info must be fit's on_batch dict with the 'model'; got {info!r:.80}")
        sq = [p.grad.detach().float().pow(2).sum() for p in info["model"].parameters()
              if p.grad is not None]
        self.norms.append(float(torch.stack(sq).sum().sqrt()) if sq else 0.0)


def lr_sweep(make_model, data, lrs, *, steps=30, batch_size=128, optimizer="sgd", seed=0,
             progress=True, **fit_kw):
    """Train a fresh ``make_model()`` for ``steps`` batches at each LR; returns final losses.

    The loss is the mean training loss of the last third of the steps (NaN if it diverged).

    本書: 第7章
    """
    if isinstance(make_model, nn.Module):          # callable, but one model for every LR
        raise TypeError("make_model must be a function returning a new model (each LR trains a "
                        "fresh one); got a model")
    check_callable(make_model, "make_model", "a function returning a new model")
    X, y = check_tensor_pair(data, "data")
    steps, batch_size = check_int(steps, "steps", 1), check_int(batch_size, "batch_size", 1)
    if isinstance(lrs, (str, bytes)) or not hasattr(lrs, "__iter__"):
        raise TypeError(f"lrs must be a list of learning rates; got {lrs!r}")
    lrs = list(lrs)
    for i, lr in enumerate(lrs):
        check_number(lr, f"lrs[{i}]", 0, open_min=True)
    n = steps * batch_size
    if n > len(X):
        raise ValueError(f"steps * batch_size = {n} exceeds the {len(X)} examples given")
    out = []
    for lr in tqdm(lrs, desc="学習率スイープ", disable=not progress):
        rec = []
        fit(make_model(), (X[:n], y[:n]), epochs=1, batch_size=batch_size, optimizer=optimizer,
            lr=lr, seed=seed, progress=False, on_batch=lambda info: rec.append(info["loss"]),
            **fit_kw)
        tail = torch.tensor(rec[-max(1, steps // 3):])
        out.append(float(tail.mean()) if torch.isfinite(tail).all() else float("nan"))
    return out
