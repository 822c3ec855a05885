"""Where does a CNN look? Grad-CAM, Grad-CAM++, occlusion sensitivity and helpers.

Typical use::

    from cnnlib.nn.cam import GradCAM, occlusion
    from cnnlib.figures.cam import overlay
    with GradCAM(model, "features.6") as cam:      # a module or a dotted name
        maps = cam(x)                              # (B, H, W) in [0, 1], predicted classes
        maps_true = cam(x, y)                      # ... for the classes in y
    cam.logits, cam.targets, cam.raw               # kept from the last call

Activations come from a forward hook on the target layer; their gradients from
``Tensor.register_hook`` on that activation (not a module backward hook, which is wrong for
modules with several inputs or in-place ReLUs). The activation is detached inside the hook,
so the backward pass stops at the target layer and never touches parameter ``.grad``.
"""
import contextlib
import numbers

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as TF

from ..checks import check_array, check_int, check_pair
from ..torch_checks import check_module, check_tensor, explain_misfit

__all__ = ["GradCAM", "GradCAMPlusPlus", "occlusion", "capture_activations", "randomize_weights",
           "spearman", "resolve_layer", "expected_channels", "scale_maps", "filters_rgb",
           "compose_filters"]


# ---------------------------------------------------------------- validation helpers

def resolve_layer(model, layer):
    """The submodule ``layer`` of ``model``, given as a module or a dotted name.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(layer, str):
        names = [n for n, _ in model.named_modules() if n]
        if layer not in names:
            convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
            raise ValueError(f"{type(model).__name__} has no layer named {layer!r}; "
                             f"its conv layers are {convs} (any name from "
                             f"model.named_modules() is allowed)")
        return model.get_submodule(layer)
    if isinstance(layer, nn.Module):
        if not any(m is layer for m in model.modules()):
            raise ValueError(f"target layer {type(layer).__name__} is not a submodule of "
                             f"{type(model).__name__}; pass one of its modules or a dotted name")
        return layer
    raise TypeError(f"target layer must be an nn.Module or a dotted name (str), "
                    f"got {type(layer).__name__}")


def expected_channels(model):
    """Input channels of the model's first Conv2d (None if it has none).

    本書: 章のコードからは直接使いません
    """
    check_module(model)
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return None if conv is None else conv.in_channels


def check_images(model, x):
    """Raise a clear error unless ``x`` is a float (B, C, H, W) batch the model accepts.

    本書: 章のコードからは直接使いません
    """
    if not torch.is_tensor(x):
        raise TypeError(f"x must be a torch.Tensor of shape (B, C, H, W), got "
                        f"{type(x).__name__}; convert with torch.as_tensor(...)")
    if x.dim() != 4:
        hint = " (one image? add a batch axis: x.unsqueeze(0))" if x.dim() == 3 else ""
        raise ValueError(f"x must be a 4-D batch (B, C, H, W), got shape {tuple(x.shape)}{hint}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor (normalised images), got {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError("x is an empty batch (B = 0)")
    C = expected_channels(model)
    if C is not None and x.shape[1] != C:
        raise ValueError(f"the model's first conv expects {C} input channels, "
                         f"x has {x.shape[1]} (shape {tuple(x.shape)})")


def class_indices(target, logits):
    """Targets as a long tensor (B,): None -> predicted class; int, list or tensor of ints.

    本書: 章のコードからは直接使いません
    """
    B, K = check_tensor(logits, "logits", 2, "(B, K)").shape
    if target is None:
        return logits.argmax(1)
    if isinstance(target, bool) or (torch.is_tensor(target) and target.dtype == torch.bool):
        raise TypeError("class index must be an int, a list of ints or an integer tensor, got bool")
    if isinstance(target, numbers.Integral):
        t = torch.full((B,), int(target), dtype=torch.long)
    elif isinstance(target, (list, tuple, np.ndarray)) or torch.is_tensor(target):
        t = torch.as_tensor(np.asarray(target) if isinstance(target, (list, tuple)) else target)
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"class indices must be integers, got dtype {t.dtype}")
        t = t.long().reshape(-1) if t.dim() <= 1 else t
        if t.dim() != 1 or len(t) not in (1, B):
            raise ValueError(f"need one class index or {B} (one per image), got shape "
                             f"{tuple(torch.as_tensor(target).shape)}")
        t = t.expand(B) if len(t) == 1 else t
    else:
        raise TypeError(f"class index must be None, an int, a list of ints or an integer "
                        f"tensor, got {type(target).__name__}")
    bad = t[(t < 0) | (t >= K)]
    if len(bad):
        raise ValueError(f"class index {int(bad[0])} is out of range: the model has {K} "
                         f"classes (0..{K - 1})")
    return t.to(logits.device)


def _check_logits(out):
    """The model output must be (B, K) class scores."""
    if not torch.is_tensor(out) or out.dim() != 2:
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        raise ValueError(f"the model must return class scores of shape (B, K), got {shape}")


@contextlib.contextmanager
def eval_mode(model):
    """Run ``model`` in eval mode, then restore every submodule's own training flag.

    本書: 章のコードからは直接使いません
    """
    check_module(model)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


def scale_maps(maps):
    """Positive part of (B, H, W) maps scaled to [0, 1] per map (all-zero maps stay zero).

    本書: 第8章
    """
    m = check_tensor(maps, "maps", 3, "(B, H, W)", floating=True).clamp_min(0)
    peak = m.flatten(1).amax(1).clamp_min(torch.finfo(m.dtype).tiny)
    return m / peak[:, None, None]


def upsample_and_scale(raw, size):
    """Bilinear upsampling of (B, h, w) maps to ``size``, then scaled to [0, 1] per map.

    本書: 章のコードからは直接使いません
    """
    check_tensor(raw, "raw", 3, "(B, h, w)", floating=True)
    size = check_pair(tuple(size) if isinstance(size, torch.Size) else size, "size")
    up = TF.interpolate(raw[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    return scale_maps(up)                     # an all-zero map stays zero (0 / tiny)


# ---------------------------------------------------------------- Grad-CAM

class GradCAM:
    """Grad-CAM (Selvaraju et al. 2017): ReLU(sum_k alpha_k A_k), alpha_k = mean_ij dy_c/dA_kij.

    ``GradCAM(model, target_layer)(x, target=None)`` -> (B, H, W) maps in [0, 1] at the input
    size. Use it as a context manager (hooks and eval mode held for the block) or call it
    directly (hooks removed after each call); ``close()`` always cleans up. After a call the
    instance keeps ``logits``, ``targets``, ``activations``, ``gradients``, ``weights`` and
    ``raw`` (the map before upsampling and scaling), all detached.

    本書: 第8章
    """

    def __init__(self, model, target_layer):
        self.model = model
        self.layer = resolve_layer(model, target_layer)
        self._handle, self._restore, self._active, self._seen = None, None, False, []
        self.logits = self.targets = self.activations = self.gradients = None
        self.weights = self.raw = None

    # -- hooks
    def _forward_hook(self, module, inputs, output):
        """Save the activation as a fresh leaf and hook its gradient."""
        if not self._active:
            return None
        if not torch.is_tensor(output):
            raise TypeError(f"target layer {type(module).__name__} returns "
                            f"{type(output).__name__}; Grad-CAM needs a layer returning a tensor")
        A = output.detach().requires_grad_(True)
        A.register_hook(self._save_gradient)
        self._seen.append(A)
        return A.clone()   # later in-place ops (ReLU(inplace=True)) act on the clone, not on A

    def _save_gradient(self, grad):
        self._grad = grad.detach()

    def _open(self):
        if self._handle is None:
            self._restore = eval_mode(self.model)
            self._restore.__enter__()
            self._handle = self.layer.register_forward_hook(self._forward_hook)

    def close(self):
        """Remove the hook and restore the model's training flags (safe to call twice)."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
            self._restore.__exit__(None, None, None)
            self._restore = None

    def __enter__(self):
        self._open()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the method
    def _channel_weights(self, A, G):
        """Grad-CAM: spatially averaged gradients, shape (B, C)."""
        return G.mean(dim=(2, 3))

    def _forward_backward(self, x, target):
        """One forward pass with the hook active, then the gradient of the target scores."""
        self._seen, self._grad = [], None
        self._active = True
        try:
            with torch.enable_grad(), explain_misfit("x", x):
                out = self.model(x)
        finally:
            self._active = False
        _check_logits(out)
        if len(self._seen) != 1:
            raise ValueError(f"the target layer ran {len(self._seen)} times in one forward "
                             f"pass; Grad-CAM needs a layer that runs exactly once")
        A, self._seen = self._seen[0], []
        if A.dim() != 4:
            convs = [n for n, m in self.model.named_modules() if isinstance(m, nn.Conv2d)]
            raise ValueError(f"the target layer ({type(self.layer).__name__}) must output feature "
                             f"maps (B, C, h, w) for Grad-CAM; it output shape {tuple(A.shape)}. "
                             f"Pick a conv layer or a block of them (this model's conv layers: "
                             f"{convs})")
        t = class_indices(target, out.detach())
        with torch.enable_grad():
            score = out.gather(1, t[:, None]).sum()   # images are independent in eval mode
            torch.autograd.backward(score, inputs=[A])
        G, self._grad = self._grad, None
        return out.detach(), t, A.detach(), G

    def __call__(self, x, target=None):
        """Maps (B, H, W) in [0, 1] for the classes ``target`` (None: the predicted ones)."""
        check_images(self.model, x)
        inside = self._handle is not None
        self._open()
        try:
            logits, t, A, G = self._forward_backward(x, target)
        finally:
            if not inside:
                self.close()
        w = self._channel_weights(A, G)
        raw = TF.relu((w[:, :, None, None] * A).sum(1))
        self.logits, self.targets, self.activations, self.gradients = logits, t, A, G
        self.weights, self.raw = w, raw
        return upsample_and_scale(raw, x.shape[-2:])

    @property
    def probs(self):
        """Softmax of the last call's logits."""
        return None if self.logits is None else self.logits.float().softmax(1)

    def __repr__(self):
        return f"{type(self).__name__}(layer={type(self.layer).__name__}, open={self._handle is not None})"


class GradCAMPlusPlus(GradCAM):
    """Grad-CAM++ (Chattopadhyay et al. 2018): positive gradients weighted per position.

    alpha_kij = g^2 / (2 g^2 + sum_ab A_kab g^3), w_k = sum_ij alpha_kij ReLU(g_kij), with
    g = dy_c/dA_kij (the closed form that assumes an exponential of the class score).

    本書: 第8章
    """

    def _channel_weights(self, A, G):
        g2, g3 = G ** 2, G ** 3
        denom = 2 * g2 + A.sum(dim=(2, 3), keepdim=True) * g3
        alpha = torch.where(denom != 0, g2 / torch.where(denom != 0, denom, 1), 0)
        return (alpha * TF.relu(G)).sum(dim=(2, 3))


# ---------------------------------------------------------------- occlusion

def _positions(n, size, stride):
    """Patch starts 0, stride, ... with the last patch touching the border."""
    pos = list(range(0, n - size + 1, stride))
    return pos if pos[-1] == n - size else pos + [n - size]


def _fill_value(fill, x):
    """The patch value: a number or one value per channel, as a (C, 1, 1) tensor."""
    try:
        f = torch.as_tensor(fill, dtype=x.dtype, device=x.device)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"fill must be a number or one number per channel ({x.shape[1]}); got "
                        f"{fill!r:.60}") from None
    if f.dim() == 0:
        return f.expand(x.shape[1], 1, 1)
    if f.shape != (x.shape[1],):
        raise ValueError(f"fill must be a number or one value per channel ({x.shape[1]}), "
                         f"got shape {tuple(f.shape)}")
    return f[:, None, None]


@torch.no_grad()
def occlusion(model, x, target=None, size=8, stride=4, fill=0.0, batch_size=256):
    """Occlusion sensitivity (Zeiler & Fergus): drop of p(target) when a patch is covered.

    Slides a ``size`` x ``size`` patch of value ``fill`` with ``stride`` over each image and
    returns (B, H, W): per pixel, the mean drop p(x)_c - p(x_occluded)_c over the patches that
    cover it (positive = the pixel helps class c). Model-agnostic: needs only forward passes.

    本書: 第8章
    """
    check_images(model, x)
    H, W = x.shape[-2:]
    size, stride = check_int(size, "size", 1), check_int(stride, "stride", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if size > min(H, W):
        raise ValueError(f"patch size {size} is larger than the image ({H}x{W})")
    f = _fill_value(fill, x)
    rows, cols = _positions(H, size, stride), _positions(W, size, stride)
    patches = [(r, c) for r in rows for c in cols]
    with eval_mode(model):
        with explain_misfit("x", x):
            logits = model(x)
        _check_logits(logits)
        t = class_indices(target, logits)
        p0 = logits.float().softmax(1).gather(1, t[:, None])[:, 0]
        heat = torch.zeros(x.shape[0], H, W, dtype=torch.float32, device=x.device)
        count = torch.zeros(H, W, dtype=torch.float32, device=x.device)
        for r, c in patches:
            count[r:r + size, c:c + size] += 1
        jobs = [(b, r, c) for b in range(x.shape[0]) for r, c in patches]
        for i in range(0, len(jobs), batch_size):          # batches mix images and positions
            chunk = jobs[i:i + batch_size]
            idx = torch.tensor([b for b, _, _ in chunk], device=x.device)
            xs = x[idx].clone()
            for j, (_, r, c) in enumerate(chunk):
                xs[j, :, r:r + size, c:c + size] = f
            p = model(xs).float().softmax(1).gather(1, t[idx][:, None])[:, 0]
            drop = p0[idx] - p
            for j, (b, r, c) in enumerate(chunk):
                heat[b, r:r + size, c:c + size] += drop[j]
    return heat / count


# ---------------------------------------------------------------- feature maps, sanity checks

@torch.no_grad()
def capture_activations(model, x, layers):
    """Outputs of ``layers`` (names or modules; list or dict name -> layer) for input ``x``.

    Returns a dict name -> detached tensor. Hooks are removed and training flags restored
    even when the forward pass fails.

    本書: 第8章
    """
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    if not isinstance(layers, (list, tuple, dict)):
        raise TypeError(f"layers must be a layer (name or module), a list of them or a dict "
                        f"name -> layer; got {type(layers).__name__}")
    items = layers.items() if isinstance(layers, dict) else [
        (ly if isinstance(ly, str) else f"{i}:{type(ly).__name__}", ly) for i, ly in enumerate(layers)]
    mods = {name: resolve_layer(model, ly) for name, ly in items}
    check_images(model, x)
    out, handles = {}, []

    def saver(name):
        def hook(module, inputs, output):
            out[name] = output.detach().clone()
        return hook

    try:
        for name, m in mods.items():
            handles.append(m.register_forward_hook(saver(name)))
        with eval_mode(model), explain_misfit("x", x):
            model(x)
    finally:
        for h in handles:
            h.remove()
    return out


def _gaussian_like(p, gen):
    """Gaussian values with the mean and std of ``p`` (a constant tensor stays constant)."""
    std = p.std() if p.numel() > 1 else p.new_zeros(())
    noise = torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device)
    return p.mean() + std * noise


def randomize_weights(model, layers, seed=0, init="normal"):
    """A deep copy of ``model`` whose ``layers`` (names) get random weights.

    ``init="normal"``: every parameter of the layer is replaced by Gaussian noise with that
    parameter's own mean and std (scale kept, learned structure destroyed), as in the
    model-randomisation test of Adebayo et al. (2018). ``init="reset"``: the modules' own
    ``reset_parameters()`` (their initial distribution, which for some layers is not random,
    e.g. identity-initialised convolutions).

    本書: 第8章
    """
    import copy

    if init not in ("normal", "reset"):
        raise ValueError(f"init must be 'normal' or 'reset', got {init!r}")
    seed = check_int(seed, "seed", 0)
    if isinstance(layers, str):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"layers must be a layer name or a list of names; got "
                        f"{type(layers).__name__}")
    clone = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    for name in layers:
        if not isinstance(name, str):
            raise TypeError(f"layers must be names (str), got {type(name).__name__}")
        layer = resolve_layer(clone, name)
        params = list(layer.parameters())
        if not params:
            raise ValueError(f"layer {name!r} has no parameters to randomise")
        with torch.no_grad():
            if init == "normal":
                for p in params:
                    p.copy_(_gaussian_like(p, gen))
            else:
                state = torch.random.get_rng_state()
                torch.manual_seed(int(torch.randint(2 ** 31, (1,), generator=gen)))
                try:
                    for m in layer.modules():
                        if hasattr(m, "reset_parameters"):
                            m.reset_parameters()
                finally:
                    torch.random.set_rng_state(state)
    return clone


def _ranks(v):
    """Ranks 1..n of a 1-D float64 array, ties get their average rank."""
    order = np.argsort(v, kind="mergesort")
    s = v[order]
    first = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(v)]
    avg = (starts + ends - 1) / 2 + 1
    r = np.empty(len(v))
    r[order] = avg[group]
    return r


def spearman(a, b):
    """Spearman rank correlation per map of (B, H, W) (or (H, W)) maps; NaN for a constant map.

    本書: 第8章
    """
    a = check_array(a.detach().cpu().double().numpy() if torch.is_tensor(a) else a, "a",
                    finite=True)
    b = check_array(b.detach().cpu().double().numpy() if torch.is_tensor(b) else b, "b",
                    finite=True)
    if a.shape != b.shape:
        raise ValueError(f"maps differ in shape: {a.shape} vs {b.shape}")
    if a.ndim == 2:
        return spearman(a[None], b[None])[0]
    if a.ndim != 3:
        raise ValueError(f"maps must be (B, H, W) or (H, W), got shape {a.shape}")
    out = np.empty(len(a))
    for i, (x, y) in enumerate(zip(a.reshape(len(a), -1), b.reshape(len(b), -1))):
        rx, ry = _ranks(x) - (len(x) + 1) / 2, _ranks(y) - (len(y) + 1) / 2
        den = np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
        out[i] = (rx * ry).sum() / den if den > 0 else np.nan
    return out


# ---------------------------------------------------------------- figures

def filters_rgb(weight):
    """First-layer filters (F, 3, k, k) as (F, k, k, 3) images, each scaled to [0, 1] on its own.

    本書: 章のコードからは直接使いません
    """
    w = weight.detach().cpu().double() if torch.is_tensor(weight) else torch.from_numpy(
        check_array(weight, "weight")).double()
    if w.dim() != 4 or w.shape[1] != 3:
        raise ValueError(f"need RGB filters of shape (F, 3, k, k), got {tuple(w.shape)}")
    lo = w.flatten(1).amin(1)[:, None, None, None]
    span = w.flatten(1).amax(1)[:, None, None, None] - lo
    img = torch.where(span > 0, (w - lo) / torch.where(span > 0, span, 1), 0.5)
    return img.permute(0, 2, 3, 1).numpy()


def compose_filters(outer, inner):
    """The single kernel of two stacked linear convs: outer (O, J, p, q) after inner (J, C, k, l).

    Returns (O, C, p + k - 1, q + l - 1) with conv2d(conv2d(x, inner), outer) ==
    conv2d(x, compose_filters(outer, inner)) (no padding, stride 1, no biases).

    本書: 第8章
    """
    check_tensor(outer, "outer", 4, "(O, J, p, q)", floating=True)
    check_tensor(inner, "inner", 4, "(J, C, k, l)", floating=True)
    if outer.shape[1] != inner.shape[0]:
        raise ValueError(f"need outer (O, J, p, q) and inner (J, C, k, l); got "
                         f"{tuple(outer.shape)} and {tuple(inner.shape)}")
    return TF.conv_transpose2d(outer, inner)
