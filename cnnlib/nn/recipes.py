"""Two CIFAR-10 training recipes, run through ``cnnlib.nn.train.fit``.

- ``train_book``: the book's fast recipe (``FastCIFARNet``; patch whitening, frozen BN scale,
  label smoothing 0.2, Nesterov SGD with a short triangular schedule and a higher LR for BN
  shifts, lookahead weight averaging that ends on the average, alternating flip + 2-pixel
  translate, flip-translate TTA at the end), adapted from KellerJordan's airbench94 and David
  Page's "How to train your ResNet".
- ``train_lesson``: the lesson's recipe (``CIFAR10Net``, Adam 1e-3, weight decay 1e-4,
  batch 128, StepLR(20, 0.5), per-image torchvision transforms through a DataLoader with
  ``num_workers=0``), in fp32 as written.

Both return ``(model, history)``; ``history["time"]`` is the training wall time.
"""
import inspect
import time

import torch

from ..data.cifar10 import CLASSES

from . import models
from ..checks import check_bool, check_callable, check_choice, check_int, check_number
from ..data.augment import AlternatingFlipBatches, Augment
from ..data.cifar10 import _mean_std, normalizer
from ..torch_checks import check_module, check_tensor_pair
from .checkpoints import CheckpointError, book_checkpoint_path, load_checkpoint, save_checkpoint
from .train import TTA_MODES, evaluate, fit

BOOK_HYP = dict(epochs=8, batch_size=256, widths=(32, 128, 128), lr=11.5, momentum=0.85,
                weight_decay=0.0153, bias_scaler=64.0, label_smoothing=0.2, whiten_bias_epochs=3,
                ema_start=0.3, ema_every=5, translate=2,
                # switches of the ingredients (all on = the book's recipe; see BUILDUP)
                whiten=True, frozen_bn_scale=True, lookahead=True, alternating_flip=True)
_SWITCHES = ("whiten", "frozen_bn_scale", "lookahead", "alternating_flip")

# The book's recipe built up one ingredient at a time (python -m cnnlib.tools.bench buildup,
# chapter 7): step 0 ("base") keeps FastCIFARNet, Nesterov SGD with the triangular schedule and
# random flip + 2-pixel translate, and turns every ingredient off; each later step turns one more
# on, and the last one is BOOK_HYP. Test-time augmentation is train_book's ``tta`` (no training).
BUILDUP = (
    ("base", dict(whiten=False, frozen_bn_scale=False, bias_scaler=1.0, label_smoothing=0.0,
                  lookahead=False, alternating_flip=False)),
    ("whiten", dict(whiten=True)),
    ("frozen_bn_scale", dict(frozen_bn_scale=True)),
    ("bias_lr", dict(bias_scaler=BOOK_HYP["bias_scaler"])),
    ("label_smoothing", dict(label_smoothing=BOOK_HYP["label_smoothing"])),
    ("lookahead", dict(lookahead=True)),
    ("alternating_flip", dict(alternating_flip=True)),
)

# Named settings for python -m cnnlib.tools.bench cifar10 (results in chapter 7), named for what they
# are: epochs, and "wide" for airbench94's own widths (64, 256, 256). Single runs on the 2-core CPU
# here (bf16, all 50,000 images, flip-translate TTA), kept as notes, not as the book's evidence:
# (32, 128, 128) x 8 epochs 88.4 % in 270 s; (40, 160, 160) x 6 epochs 88.3 % in 346 s;
# (64, 256, 256) with a stride-2 whitening layer x 9 epochs 86.9 % in 294 s; translate 1 instead
# of 2, or label smoothing 0.1 with whitening bias trained 1 epoch: within 0.1 % of 88.4 %.
BOOK_PRESETS = {
    "3ep": dict(epochs=3),
    "8ep": dict(epochs=8),                                # chapter 7's main run
    "wide-8ep": dict(epochs=8, widths=(64, 256, 256)),
}


def buildup_hyp(step, base=None):
    """Hyperparameters of build-up step ``step`` (a name in ``BUILDUP`` or its index): ``base``
    (default ``BOOK_HYP``) with the ingredients after ``step`` turned off.

    本書: 第7章
    """
    names = [n for n, _ in BUILDUP]
    if isinstance(step, str) and step in names:
        step = names.index(step)
    elif not (isinstance(step, int) and not isinstance(step, bool) and 0 <= step < len(names)):
        raise ValueError(f"step must be a name of BUILDUP or its index 0..{len(names) - 1}; "
                         f"allowed names: {names}; got {step!r}")
    if base is not None and not isinstance(base, dict):
        raise TypeError(f"base must be a dict of hyperparameters (like BOOK_HYP) or None; got "
                        f"{type(base).__name__}")
    hyp = dict(base or BOOK_HYP)
    for _, change in BUILDUP[:step + 1]:
        hyp.update(change)
    return hyp


def triangle(total, start=0.2, peak_at=0.23, end=0.07):
    """LR multiplier for step i: linear from ``start`` to 1 at ``peak_at``, then to ``end``.

    本書: 章のコードからは直接使いません
    """
    total, peak_at = check_int(total, "total", 1), check_number(peak_at, "peak_at", 0, 1)
    start, end = check_number(start, "start", 0), check_number(end, "end", 0)
    peak = max(1, int(peak_at * total))

    def f(i):
        if i < peak:
            return start + (1 - start) * i / peak
        return 1 + (end - 1) * min(1.0, (i - peak) / max(1, total - peak))
    return f


def book_optimizer(model, hyp, batch_size):
    """Nesterov SGD in airbench's decoupled form (mean loss, so the LR is scaled by the batch).

    本書: 第7章
    """
    check_module(model)
    batch_size = check_int(batch_size, "batch_size", 1)
    missing = {"lr", "momentum", "weight_decay", "bias_scaler"} - set(hyp if isinstance(hyp, dict)
                                                                       else ())
    if missing:
        raise ValueError(f"hyp must be a dict with lr, momentum, weight_decay and bias_scaler "
                         f"(like BOOK_HYP); missing {sorted(missing)}")
    check_number(hyp["lr"], "hyp['lr']", 0, open_min=True)
    check_number(hyp["momentum"], "hyp['momentum']", 0, 1, open_max=True)
    check_number(hyp["weight_decay"], "hyp['weight_decay']", 0)
    check_number(hyp["bias_scaler"], "hyp['bias_scaler']", 0, open_min=True)
    kilo = 1024 * (1 + 1 / (1 - hyp["momentum"]))
    lr = hyp["lr"] / kilo * batch_size
    wd = hyp["weight_decay"] * batch_size / kilo
    def is_norm_bias(n):                        # BN shifts; BN scales (when trained) are "other"
        return "norm" in n and n.endswith("bias")
    norm_biases = [p for n, p in model.named_parameters() if is_norm_bias(n) and p.requires_grad]
    other = [p for n, p in model.named_parameters() if not is_norm_bias(n) and p.requires_grad]
    lr_b = lr * hyp["bias_scaler"]
    groups = [dict(params=norm_biases, lr=lr_b, weight_decay=wd / lr_b),
              dict(params=other, lr=lr, weight_decay=wd / lr)]
    return torch.optim.SGD(groups, lr=lr, momentum=hyp["momentum"], nesterov=True)


class Lookahead:
    """``on_step`` hook: every ``every`` steps after ``start`` pull weights towards their EMA.

    本書: 第7章
    """

    def __init__(self, model, total, start=0.3, every=5, decay=0.95, power=3.0):
        check_module(model)
        total, every = check_int(total, "total", 1), check_int(every, "every", 1)
        start, decay = check_number(start, "start", 0, 1), check_number(decay, "decay", 0, 1)
        power = check_number(power, "power", 0)
        self.model, self.total, self.every = model, total, every
        self.start, self.base, self.power = int(start * total), decay ** every, power
        self.n, self.ema = 0, None

    def __call__(self, info):
        self.n += 1
        last = self.n == self.total                               # end on the averaged weights
        if not last and (self.n < self.start or self.n % self.every):
            return
        sd = self.model.state_dict()
        if self.ema is None:
            self.ema = {k: v.detach().clone() for k, v in sd.items() if v.is_floating_point()}
            return
        rho = 1.0 if last else self.base * (self.n / self.total) ** self.power
        with torch.no_grad():
            for k, e in self.ema.items():
                e.lerp_(sd[k], 1 - rho)
                sd[k].copy_(e)


def train_book(train, test=None, *, mean, std, hyp=None, amp="auto", seed=0, progress=True,
               tta="flip-translate", device=None, on_batch=None):
    """Train ``FastCIFARNet`` with the book's recipe on uint8 ``train=(X, y)``; ``(model, hist)``.

    ``hist.tta`` is the test loss and accuracy with test-time augmentation ``tta``.

    本書: 第7章、第8章
    """
    if hyp is not None and not isinstance(hyp, dict):
        raise TypeError(f"hyp must be a dict of hyperparameters (keys of BOOK_HYP) or None; got "
                        f"{type(hyp).__name__}")
    hyp = {**BOOK_HYP, **(hyp or {})}
    unknown = set(hyp) - set(BOOK_HYP)
    if unknown:
        raise ValueError(f"unknown hyperparameters {sorted(unknown)}; allowed: {sorted(BOOK_HYP)}")
    for k in _SWITCHES:
        check_bool(hyp[k], f"hyp[{k!r}]")
    check_number(hyp["label_smoothing"], "hyp['label_smoothing']", 0, 1, open_max=True)
    X, y = _uint8_pair(train, "train")
    if test is not None:
        _uint8_pair(test, "test")
    check_choice(tta, "tta", TTA_MODES)
    check_callable(on_batch, "on_batch", none_ok=True)
    torch.manual_seed(check_int(seed, "seed", 0))
    norm = normalizer(mean, std)
    model = models.fast_cifar_net(hyp["widths"], num_classes=int(y.max()) + 1)
    t0 = time.perf_counter()
    if hyp["whiten"]:
        model.init_whitening(norm(X[:5000]))
    else:                                       # an ordinary first conv, learned from its init
        model.whiten.weight.requires_grad = True
    if not hyp["frozen_bn_scale"]:
        for mod in model.modules():
            if isinstance(mod, models.FrozenScaleBatchNorm):
                mod.weight.requires_grad = True
    setup = time.perf_counter() - t0
    B, E = hyp["batch_size"], hyp["epochs"]
    steps = E * -(-len(X) // B)
    opt = book_optimizer(model, hyp, B)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, triangle(steps))

    def freeze_whiten_bias(epoch, hist, model):
        if hyp["whiten"]:
            model.whiten.bias.requires_grad = epoch < hyp["whiten_bias_epochs"]

    alt = hyp["alternating_flip"]                 # else fit shuffles and Augment flips at random
    batches = AlternatingFlipBatches(X, y, B, seed=seed) if alt else (X, y)
    hist = fit(model, batches, test, epochs=E, batch_size=B, optimizer=opt,
               schedule=lambda o, n: sched, label_smoothing=hyp["label_smoothing"], prepare=norm,
               augment=Augment(flip=not alt, crop=hyp["translate"], crop_mode="reflect", seed=seed),
               on_step=Lookahead(model, steps, hyp["ema_start"], hyp["ema_every"])
               if hyp["lookahead"] else None,
               on_epoch=freeze_whiten_bias, on_batch=on_batch, amp=amp, seed=seed,
               progress=progress, device=device)
    hist.setup_time = setup
    if test is not None and tta:
        hist.tta = evaluate(model, test, prepare=norm, amp=amp, tta=tta)
    return model, hist


def _uint8_pair(data, name):
    """``data`` as (X, y): uint8 RGB images (N, 3, H, W) and their labels."""
    X, y = check_tensor_pair(data, name)
    if X.dtype != torch.uint8 or X.dim() != 4 or X.shape[1] != 3:
        raise ValueError(f"{name} must be (X, y) with X uint8 RGB images (N, 3, H, W), as "
                         f"load_cifar10 returns; got X {X.dtype} of shape {tuple(X.shape)}")
    return X, y


def lesson_transforms(mean, std):
    """The lesson's per-image torchvision transforms (train, test).

    本書: 章のコードからは直接使いません
    """
    import torchvision.transforms as T
    _mean_std(mean, std)
    train = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(32, padding=4), T.ToTensor(),
                       T.Normalize(mean, std)])
    return train, T.Compose([T.ToTensor(), T.Normalize(mean, std)])


class _UInt8Dataset(torch.utils.data.Dataset):
    """uint8 N x 3 x H x W tensors served as PIL images through ``transform`` (like CIFAR10)."""

    def __init__(self, X, y, transform):
        self.X, self.y, self.transform = X, y, transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        from torchvision.transforms.functional import to_pil_image
        return self.transform(to_pil_image(self.X[i])), int(self.y[i])


def lesson_loaders(train, test, mean=(0.4914, 0.4822, 0.4465), std=(0.2023, 0.1994, 0.2010),
                   batch_size=128, seed=0):
    """DataLoaders as in the lesson (per-image PIL transforms), but ``num_workers=0``.

    本書: 第7章
    """
    _uint8_pair(train, "train")
    if test is not None:
        _uint8_pair(test, "test")
    batch_size, seed = check_int(batch_size, "batch_size", 1), check_int(seed, "seed", 0)
    ttrain, ttest = lesson_transforms(mean, std)
    g = torch.Generator().manual_seed(seed)
    tl = torch.utils.data.DataLoader(_UInt8Dataset(*train, ttrain), batch_size=batch_size,
                                     shuffle=True, num_workers=0, generator=g)
    vl = None if test is None else torch.utils.data.DataLoader(
        _UInt8Dataset(*test, ttest), batch_size=512, shuffle=False, num_workers=0)
    return tl, vl


def train_lesson(train, test=None, *, epochs=50, amp=None, seed=0, progress=True,
                 on_epoch=None, device=None):
    """The lesson's recipe: CIFAR10Net, Adam(1e-3, wd 1e-4), StepLR(20, 0.5), batch 128, fp32.

    本書: 章のコードからは直接使いません
    """
    check_callable(on_epoch, "on_epoch", none_ok=True)
    torch.manual_seed(check_int(seed, "seed", 0))
    tl, vl = lesson_loaders(train, test, seed=seed)
    model = models.CIFAR10Net(num_classes=int(train[1].max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    step_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    hist = fit(model, tl, vl, epochs=epochs, optimizer=opt, amp=amp, seed=seed, progress=progress,
               channels_last=False, on_epoch=_chain(lambda e, h, m: step_lr.step() and False,
                                                    on_epoch), device=device)
    return model, hist


def _chain(*fns):
    """One ``on_epoch`` callback from several (None entries skipped); stops if any says stop."""
    fns = [f for f in fns if f is not None]
    return lambda e, h, m: any([bool(f(e, h, m)) for f in fns])


def time_to(hist, acc):
    """Training time (s) when test accuracy first reached ``acc``, or None if it never did.

    本書: 章のコードからは直接使いません
    """
    acc = check_number(acc, "acc", 0, 1)                      # a fraction: 0.8, not 80
    if not (isinstance(hist, dict) and {"test_acc", "time"} <= set(hist)):
        raise TypeError(f"hist must be the History of fit (with test_acc and time); got "
                        f"{type(hist).__name__}")
    for a, t in zip(hist["test_acc"], hist["time"]):
        if a is not None and a >= acc:
            return t
    return None


def save_book_model(model, *, mean, std, source, classes=CLASSES, path=None, **extra):
    """Save a trained ``FastCIFARNet`` with what is needed to rebuild and use it (meta below).

    本書: 第7章
    """
    if not isinstance(model, models.FastCIFARNet):
        raise TypeError(f"model must be the book's FastCIFARNet; got {type(model).__name__}")
    _mean_std(mean, std)
    if len(classes) != model.fc.out_features or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"classes must hold one name per output of the model "
                         f"({model.fc.out_features}); got {classes!r:.80}")
    if not isinstance(source, str):
        raise TypeError(f"source must be a str (the data's label); got {source!r}")
    meta = dict(arch="fast_cifar_net", config=dict(widths=list(model.widths),
                                                   num_classes=model.fc.out_features),
                classes=list(classes), mean=[float(v) for v in mean], std=[float(v) for v in std],
                source=source, **extra)
    return save_checkpoint(path or book_checkpoint_path(), model, **meta)


def load_book_model(path=None):
    """Rebuild the model saved by ``save_book_model``: ``(model in eval mode, meta)``.

    本書: 第7章、第8章
    """
    ckpt = load_checkpoint(path or book_checkpoint_path())
    meta = ckpt.get("meta")
    if not isinstance(meta, dict):
        raise CheckpointError("checkpoint has no meta dict; it was not saved by save_book_model")
    arch, cfg = meta.get("arch", ""), meta.get("config", {})
    if arch not in models.__all__ or not callable(getattr(models, arch)):
        raise CheckpointError(f"checkpoint names an unknown architecture {arch!r}")
    if not isinstance(cfg, dict):
        raise CheckpointError(f"checkpoint's config must be a dict of {arch}'s arguments; got "
                              f"{type(cfg).__name__}")
    builder, cfg = getattr(models, arch), dict(cfg)
    allowed = set(inspect.signature(builder).parameters)
    if set(cfg) - allowed:
        raise CheckpointError(f"checkpoint {path or book_checkpoint_path()} has a config with "
                              f"unknown keys {sorted(set(cfg) - allowed)} for {meta['arch']}; "
                              f"allowed: {sorted(allowed)}")
    if "widths" in cfg:
        cfg["widths"] = tuple(cfg["widths"])
    try:
        model = builder(**cfg)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"checkpoint's config does not build {arch}: {err}") from None
    if not isinstance(model, torch.nn.Module):
        raise CheckpointError(f"checkpoint names {arch}, which does not build a model")
    load_checkpoint(path or book_checkpoint_path(), model)
    return model.eval(), meta
