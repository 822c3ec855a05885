"""Block diagrams of chapter 4's architectures, drawn from the models themselves.

Every shape, channel count, kernel size, stride and parameter count drawn here is read from the
module passed in (its layers' attributes, and ``cnnlib.nn.summarize.summary`` of one forward pass
for the output shapes), never typed a second time: change the model and the picture follows.

- ``lenet_figure``: ゼロから作る-style 3-D blocks, one per feature map (C×H×W) or vector;
- ``residual_block_figure``: ResNet basic blocks with their identity or 1×1 projection shortcut;
- ``inception_figure``: the four branches of an Inception module and their concatenation;
- ``depthwise_separable_figure``: depthwise k×k per channel, then pointwise 1×1, with the
  parameter counts of both and of the standard convolution they replace.
"""
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Circle, FancyBboxPatch
from torch import nn

from ..nn import models as M
from ..nn.summarize import summary
from .geometry import _cuboid

__all__ = ["lenet_figure", "residual_block_figure", "inception_figure",
           "depthwise_separable_figure", "shape_text"]

_ACTIVATIONS = {"ReLU": "ReLU", "Tanh": "tanh", "Sigmoid": "シグモイド"}
_COLORS = {"input": "#eeeeee", "Conv2d": "#90caf9", "AvgPool2d": "#a5d6a7", "MaxPool2d": "#a5d6a7",
           "Linear": "#ffcc80"}


def shape_text(shape):
    """An output shape without its batch axis, as the figures write it: ``(1, 6, 28, 28)`` ->
    ``'6×28×28'``, ``(1, 120)`` -> ``'120'``.

    本書: 章のコードからは直接使いません
    """
    if not (isinstance(shape, (tuple, list, torch.Size)) and len(shape) >= 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)):
        raise ValueError(f"shape must be a tuple of positive ints with the batch first, e.g. "
                         f"(1, 6, 28, 28); got {shape!r}")
    return "×".join(str(s) for s in shape[1:])


# ---------------------------------------------------------------- drawing helpers
def _box(ax, x, y, text, w, h, color="#e3f2fd", fontsize=11):
    """A w × h rounded box centred at (x, y) with ``text``; returns its (x0, y0, x1, y1)."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="#333", lw=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, linespacing=1.3)
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _arrow(ax, p0, p1, label=None, side="right", color="#333", fontsize=10):
    """An arrow from p0 to p1, with ``label`` beside its middle (right/left/above)."""
    ax.annotate("", xy=p1, xytext=p0,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=1.2, shrinkA=0, shrinkB=0))
    if label:
        mx, my = (p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2
        off = {"right": (0.12, 0, "left", "center"), "left": (-0.12, 0, "right", "center"),
               "above": (0, 0.1, "center", "bottom")}[side]
        ax.text(mx + off[0], my + off[1], label, ha=off[2], va=off[3], fontsize=fontsize,
                color="#1a237e")


def _finish(ax, pad=0.3):
    ax.set_aspect("equal")
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.set(xlim=(x0 - pad, x1 + pad), ylim=(y0 - pad, y1 + pad))
    ax.axis("off")


def _rows(model, input_size):
    """``{name: LayerRow}`` of ``summary(model, input_size)``, and the summary."""
    s = summary(model, input_size)
    return {r.name: r for r in s.rows}, s


def _k(conv):
    return f"{conv.kernel_size[0]}×{conv.kernel_size[1]}"


def _check_type(value, cls, name, hint):
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__module__}.{cls.__name__} ({hint}); "
                        f"got {type(value).__name__}")


# ---------------------------------------------------------------- LeNet-5
def _op_text(module):
    if isinstance(module, nn.Conv2d):
        return f"畳み込み\n{_k(module)}"
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        return f"{'平均' if isinstance(module, nn.AvgPool2d) else '最大'}プーリング\n{k}×{k}"
    return "全結合\n"


def lenet_figure(model, input_size, names=None, title=None):
    """ゼロから作る-style 3-D block diagram: the input and every conv, pool and linear layer's output.

    Each block is labelled with its name (``names``, one per layer drawn, e.g. C1, S2, ...), its
    output shape (C×H×W or the vector length, from ``summary(model, input_size)``) and the
    operation that made it (kernel size from the layer, plus the activation that follows it).
    Feature maps are boxes: thickness ~ channels, height and depth ~ H and W.

    本書: 第4章
    """
    rows, s = _rows(model, input_size)
    if len(s.input_size) != 4:
        raise ValueError(f"input_size must be (1, C, H, W) for an image model; got {s.input_size!r}")
    modules = dict(model.named_modules())
    order = list(rows)
    drawn = [n for n in order if isinstance(modules[n], (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d,
                                                         nn.Linear))]
    if names is not None and (not isinstance(names, (list, tuple)) or len(names) != len(drawn)
                              or not all(isinstance(n, str) for n in names)):
        raise ValueError(f"names must be a list of {len(drawn)} strings, one per layer drawn "
                         f"({', '.join(drawn)}); got {names!r}")
    names = names or drawn
    blocks = [("入力", s.input_size, "", _COLORS["input"])]
    for name, label in zip(drawn, names):
        m = modules[name]
        op = _op_text(m)
        nxt = order.index(name) + 1
        if nxt < len(order) and rows[order[nxt]].type in _ACTIVATIONS:
            op += f" + {_ACTIVATIONS[rows[order[nxt]].type]}"
        blocks.append((label, rows[name].output_shape, op.strip(), _COLORS[type(m).__name__]))

    fig, ax = plt.subplots(figsize=(11, 3.6))
    x, slot, placed = 0.0, 2.55, []
    for i, (label, shape, op, color) in enumerate(blocks):
        if len(shape) == 4:
            c, h, w = shape[1:]
            wid, hei, dep = 0.18 + 0.055 * c, 0.35 + 0.075 * h, 0.35 + 0.075 * w
        else:
            wid, hei, dep = 0.18, 0.4 + 0.02 * shape[1], 0.18
        x0 = x + (slot - wid - 0.6 * dep) / 2
        x1, y1 = _cuboid(ax, x0, -hei / 2, wid, hei, dep, color, skew=(0.6, 0.45))
        placed.append(((x0 + x1) / 2, -hei / 2, y1))
        if i:
            _arrow(ax, (x - 0.32, 0), (x0 - 0.05, 0))
        x += slot
    bottom, top = min(p[1] for p in placed), max(p[2] for p in placed)
    for (xc, _, _), (label, shape, op, _) in zip(placed, blocks):
        ax.text(xc, top + 0.15, label, ha="center", va="bottom", fontsize=13)
        ax.text(xc, bottom - 0.2, shape_text(shape), ha="center", va="top", fontsize=12)
        if op:
            ax.text(xc, bottom - 0.75, op, ha="center", va="top", fontsize=11, linespacing=1.3)
    ax.plot([0, x], [bottom - 1.9, top + 0.6], alpha=0)          # room for the labels
    _finish(ax, 0.1)
    ax.set_title(title or f"{type(model).__name__}（入力 {shape_text(s.input_size)}）", fontsize=13)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- ResNet basic block
def _conv_text(conv, sep="、"):
    text = f"{_k(conv)} 畳み込み {conv.in_channels}→{conv.out_channels}"
    return text + (f"{sep}ストライド {conv.stride[0]}" if conv.stride[0] != 1 else "")


def _draw_block(ax, block, input_size):
    rows, s = _rows(block, input_size)
    y, blue = 0.0, "#1a237e"
    steps = [(f"{_conv_text(block.conv1, chr(10))}\nBN → ReLU", "relu1"),
             (f"{_conv_text(block.conv2, chr(10))}\nBN", "bn2")]
    ax.text(0, y, f"入力 x\n{shape_text(s.input_size)}", ha="center", va="center", fontsize=11)
    prev, x = 0.75, 3.3
    for text, row in steps:
        x0, _, x1, _ = _box(ax, x, y, text, w=3.4, h=1.25, fontsize=11)
        _arrow(ax, (prev, y), (x0, y))
        ax.text(x1 + 0.95 if row != "bn2" else x1 + 1.05, y + 0.1, shape_text(rows[row].output_shape),
                ha="center", va="bottom", fontsize=10, color=blue)
        prev, x = x1, x1 + 1.9 + 1.7
    plus = prev + 2.4
    _arrow(ax, (prev, y), (plus - 0.3, y))
    ax.add_patch(Circle((plus, y), 0.3, facecolor="white", edgecolor="#333", lw=1.2))
    ax.text(plus, y, "+", ha="center", va="center", fontsize=16)
    r0, _, r1, _ = _box(ax, plus + 1.4, y, "ReLU", w=1.1, h=0.6, fontsize=11)
    _arrow(ax, (plus + 0.3, y), (r0, y))
    _arrow(ax, (r1, y), (r1 + 0.9, y))
    ax.text(r1 + 1.0, y, f"出力\n{shape_text(s.output_shape)}", ha="left", va="center", fontsize=11)
    # the shortcut: from x over the top to the addition
    ys, red = 1.45, "#c62828"
    ax.plot([0, 0, plus, plus], [0.5, ys, ys, 0.7], color=red, lw=1.6)
    ax.annotate("", xy=(plus, 0.3), xytext=(plus, 0.72),
                arrowprops=dict(arrowstyle="-|>", color=red, lw=1.6, shrinkA=0, shrinkB=0))
    if isinstance(block.shortcut, nn.Identity):
        text, out = "近道: 恒等写像（x をそのまま足す）", s.input_size
    else:
        text, out = f"近道: 射影 {_conv_text(block.shortcut.conv)} → BN", rows["shortcut.bn"].output_shape
    ax.text(plus / 2, ys, text, ha="center", va="center", fontsize=11, color=red,
            bbox=dict(boxstyle="round,pad=0.3", facecolor="#ffebee", edgecolor=red))
    ax.text(plus + 0.12, 0.95, shape_text(out), ha="left", va="center", fontsize=10, color=red)
    ax.plot([-0.9, r1 + 2.4], [-0.75, 1.85], alpha=0)


def residual_block_figure(model, input_size, names, title=None):
    """Some of a ResNet's basic blocks, one row each: conv-BN-ReLU, conv-BN, the shortcut, +, ReLU.

    ``names`` are the blocks' names in ``model`` (e.g. ``["layer1.0", "layer2.0"]``). Each
    block's input shape is recorded during one forward pass of ``model`` on zeros of
    ``input_size`` (batch included); the shapes on the arrows come from ``summary`` of the block
    on that input, and the shortcut is drawn as the block has it (the identity, or the 1×1
    projection with its stride).

    本書: 第4章
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    modules = dict(model.named_modules())
    blocks = [n for n, m in modules.items() if isinstance(m, M.BasicBlock)]
    if not (isinstance(names, (list, tuple)) and names and all(n in blocks for n in names)):
        raise ValueError(f"names must be a non-empty list of the model's basic blocks "
                         f"({', '.join(blocks[:4])}{', ...' if len(blocks) > 4 else ''}); got {names!r}")
    for n in names:
        if not modules[n].residual:
            raise ValueError(f"block {n!r} has residual=False: there is no shortcut to draw")
    sizes = _input_sizes(model, input_size, names)
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 2.3 * len(names)), squeeze=False)
    for ax, n in zip(axes[:, 0], names):
        block = modules[n]
        _draw_block(ax, block, sizes[n])
        _finish(ax, 0.05)
        kind = "恒等写像" if isinstance(block.shortcut, nn.Identity) else "1×1 射影"
        ax.set_title(f"{n}: {kind}の近道", fontsize=12, loc="left")
    if title is not None:
        fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig


def _input_sizes(model, input_size, names):
    """{name: input shape} of the named submodules in one forward pass on zeros."""
    s = summary(model, input_size)          # checks input_size and that the model takes it
    sizes, modules = {}, dict(model.named_modules())

    def record(name):
        def hook(module, args):
            sizes.setdefault(name, tuple(args[0].shape))      # returns None: the input is kept
        return hook

    hooks = [modules[n].register_forward_pre_hook(record(n)) for n in names]
    try:
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros(s.input_size, device=device))
        model.train(was_training)
    finally:
        for h in hooks:
            h.remove()
    return sizes


# ---------------------------------------------------------------- Inception module
def _branch_steps(branch, prefix, rows):
    """[(text, output shape, has ReLU)] for the layers of one branch, in call order."""
    steps, leaves = [], [(n, m) for n, m in branch.named_modules() if not any(m.children())]
    for i, (name, m) in enumerate(leaves):
        full = f"{prefix}.{name}" if name else prefix
        if isinstance(m, nn.Conv2d):
            text = f"{_k(m)} 畳み込み\n{m.in_channels}→{m.out_channels}"
            later_conv = any(isinstance(o, nn.Conv2d) for _, o in leaves[i + 1:])
            if m.kernel_size == (1, 1) and later_conv and m.out_channels < m.in_channels:
                text += "（削減）"
            steps.append([text, rows[full].output_shape, False])
        elif isinstance(m, nn.MaxPool2d):
            steps.append([f"{m.kernel_size}×{m.kernel_size} 最大プーリング\nストライド {m.stride}",
                          rows[full].output_shape, False])
        elif type(m).__name__ in _ACTIVATIONS and steps:
            steps[-1][0] += f"\n→ {_ACTIVATIONS[type(m).__name__]}"
            steps[-1][1], steps[-1][2] = rows[full].output_shape, True
    return steps


def inception_figure(module, input_size, title=None):
    """An Inception module's four branches (1×1 reductions, channel counts, activations) and the
    channel-wise concatenation, with the output shape of every step on its arrow.

    The layers, kernel sizes and channel counts are read from ``module`` (a
    ``cnnlib.nn.models.InceptionModule``), the shapes from ``summary(module, input_size)``; a
    step followed by a ReLU in the module says so ("→ ReLU").

    本書: 第4章
    """
    _check_type(module, M.InceptionModule, "module", "GoogLeNet's Inception module")
    rows, s = _rows(module, input_size)
    branches = [_branch_steps(getattr(module, f"branch{i}"), f"branch{i}", rows) for i in range(1, 5)]
    fig, ax = plt.subplots(figsize=(11, 6.2))
    xs, y_in, levels, y_cat = [1.6, 4.7, 7.8, 10.9], 6.0, (4.0, 1.9), 0.0
    span = xs[-1] - xs[0] + 2.8
    _box(ax, sum(xs) / 4, y_in, f"入力 {shape_text(s.input_size)}", span, 0.6, "#eeeeee", 12)
    *_, c_top = _box(ax, sum(xs) / 4, y_cat, f"チャネル方向に連結 → {shape_text(s.output_shape)}"
                              f"（{' + '.join(str(st[-1][1][1]) for st in branches)} チャネル）",
                              w=span, h=0.6, color="#fff9c4", fontsize=12)
    for x, steps in zip(xs, branches):
        ys = levels[-len(steps):]
        prev, label = (x, y_in - 0.3), None
        for (text, out, relu), y in zip(steps, ys):
            color = "#bbdefb" if relu else "#c8e6c9"
            _, b_bot, _, b_top = _box(ax, x, y, text, color=color, w=2.8, h=1.3, fontsize=11)
            _arrow(ax, prev, (x, b_top), label)
            prev, label = (x, b_bot), shape_text(out)
        _arrow(ax, prev, (x, c_top), label)
    ax.plot([0.1, 12.4], [y_cat - 0.4, y_in + 0.4], alpha=0)
    _finish(ax, 0.05)
    relu_note = "青: 畳み込みの直後に ReLU、緑: 活性化なし"
    ax.set_title(title or f"Inception モジュール（{relu_note}）", fontsize=12)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- depthwise separable
def depthwise_separable_figure(module, input_size):
    """A depthwise-separable block against the standard convolution it replaces, with the
    number of weights of each part (biases and BN excluded) computed from the layers.

    ``module`` is a ``cnnlib.nn.models.DepthwiseSeparableConv``; the standard convolution is
    ``nn.Conv2d(C_in, C_out, k)`` with the same kernel size (built on the meta device, only
    counted). Returns the figure; the counts are in ``fig.weights`` (``depthwise``,
    ``pointwise``, ``standard``).

    本書: 第4章
    """
    _check_type(module, M.DepthwiseSeparableConv, "module", "the MobileNet block")
    rows, s = _rows(module, input_size)
    dw, pw = module.depthwise, module.pointwise
    cin, cout, k = dw.in_channels, pw.out_channels, dw.kernel_size[0]
    std = nn.Conv2d(cin, cout, dw.kernel_size, bias=False, device="meta")
    counts = {"depthwise": dw.weight.numel(), "pointwise": pw.weight.numel(),
              "standard": std.weight.numel()}
    mid = rows["depthwise"].output_shape
    out = s.output_shape
    fig, ax = plt.subplots(figsize=(11, 5.4))

    def volume(x, y, shape, color, label):
        c, h, w = shape[1:]
        wid = 0.25 + 0.9 * c / max(cin, cout)
        x1, _ = _cuboid(ax, x, y - 0.7, wid, 1.4, 0.9, color, skew=(0.6, 0.45))
        ax.text((x + x1) / 2, y - 0.95, f"{label}\n{shape_text(shape)}", ha="center", va="top",
                fontsize=11)
        return x1

    def filters(x, y, n, kk, channels, color):
        """Up to 3 filters of kk×kk×channels (thickness as in ``volume``), then '… n 枚'."""
        wid = 0.1 + 0.45 * channels / max(cin, cout) if channels > 1 else 0.08
        side = 0.1 * kk + 0.08
        for _ in range(min(n, 3)):
            x_end, _ = _cuboid(ax, x, y, wid, side, side, color, skew=(0.6, 0.45))
            x = x_end + 0.12
        ax.text(x, y + side / 2, f"… {n} 枚", fontsize=10, va="center")

    def step(x0, x1, y, label):
        _arrow(ax, (x0, y - 0.55), (x1, y - 0.55))
        ax.text((x0 + x1) / 2, y + 0.75, label, ha="center", va="bottom", fontsize=10.5,
                linespacing=1.35)

    y = 2.6
    x = volume(0.2, y, s.input_size, "#eeeeee", "入力")
    filters(x + 0.6, y - 0.3, cin, k, 1, "#90caf9")
    step(x + 0.3, x + 3.9, y, f"depthwise: {k}×{k}×1 のフィルタ\nをチャネルごとに 1 枚\n"
                              f"重み {cin}·{k}² = {counts['depthwise']:,}")
    x = volume(x + 4.1, y, mid, "#bbdefb", "チャネルごとの出力")
    filters(x + 0.5, y - 0.3, cout, 1, cin, "#ffcc80")
    step(x + 0.3, x + 4.4, y, f"pointwise: 1×1×{cin} の\nフィルタ {cout} 枚\n"
                              f"重み {cin}·{cout} = {counts['pointwise']:,}")
    x_end = volume(x + 4.6, y, out, "#ffe0b2", "出力")
    ax.text(-0.1, y + 2.1, "depthwise 分離畳み込み", fontsize=12)

    y = -1.6
    x = volume(0.2, y, s.input_size, "#eeeeee", "入力")
    filters(x + 2.6, y - 0.3, cout, k, cin, "#ce93d8")
    step(x + 0.3, x + 9.0, y, f"通常の畳み込み: {k}×{k}×{cin} のフィルタ {cout} 枚\n"
                              f"重み {cin}·{cout}·{k}² = {counts['standard']:,}")
    volume(x + 9.2, y, out, "#e1bee7", "出力")
    ax.text(-0.1, y + 1.75, "置き換える通常の畳み込み", fontsize=12)
    total = counts["depthwise"] + counts["pointwise"]
    ax.text(x + 12.3, y + 0.2,
            f"重みの比\n({counts['depthwise']:,} + {counts['pointwise']:,})\n÷ {counts['standard']:,}"
            f"\n= {total / counts['standard']:.4f}\n= 1/{cout} + 1/{k}²", fontsize=11, va="center",
            linespacing=1.4)
    ax.plot([-0.2, x_end + 0.3], [-3.3, 4.9], alpha=0)
    _finish(ax, 0.05)
    fig.tight_layout()
    fig.weights = counts
    return fig
