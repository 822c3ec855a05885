"""Per-layer summary of a torch model: output shape, parameters and FLOPs.

FLOPs come from torch's own counter (``torch.utils.flop_counter.FlopCounterMode``),
which counts matrix products, convolutions and attention (a multiply-add is 2 FLOPs)
and nothing for element-wise ops such as ReLU, BN, pooling or additions.
"""
import html
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..checks import check_int, check_ints, check_number

__all__ = ["LayerRow", "Summary", "summary", "format_count"]


@dataclass
class LayerRow:
    """One module's line: qualified name, class, output shape, parameters, forward FLOPs.

    本書: 章のコードからは直接使いません
    """
    name: str
    type: str
    output_shape: tuple
    params: int
    flops: int
    depth: int


@dataclass
class Summary:
    """The table ``summary`` returns; ``str()`` is plain text, notebooks show HTML.

    本書: 章のコードからは直接使いません
    """
    model: str
    input_size: tuple
    output_shape: tuple
    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_flops: int = 0

    HEADER = ("Layer", "Type", "Output shape", "Params", "FLOPs")

    def _cells(self):
        body = [(r.name, r.type, _shape(r.output_shape), f"{r.params:,}", format_count(r.flops))
                for r in self.rows]
        total = ("Total", self.model, _shape(self.output_shape), f"{self.total_params:,}",
                 format_count(self.total_flops))
        return body, total

    def __str__(self):
        body, total = self._cells()
        table = [self.HEADER, *body, total]
        widths = [max(len(row[i]) for row in table) for i in range(len(self.HEADER))]
        align = [str.ljust, str.ljust, str.ljust, str.rjust, str.rjust]

        def line(row):
            return "  ".join(a(c, w) for a, c, w in zip(align, row, widths)).rstrip()
        rule = "-" * len(line(self.HEADER))
        return "\n".join([f"{self.model}  input {_shape(self.input_size)}", rule,
                          line(self.HEADER), rule, *map(line, body), rule, line(total),
                          f"trainable params: {self.trainable_params:,}   "
                          f"FLOPs: {self.total_flops:,}"])

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        body, total = self._cells()
        pad = "padding:1px 12px;font-variant-numeric:tabular-nums;"

        def tr(row, tag="td"):
            return "<tr>" + "".join(
                f'<{tag} style="{pad}text-align:{"right" if i >= 3 else "left"}">'
                f"{html.escape(c)}</{tag}>" for i, c in enumerate(row)) + "</tr>"
        return (f'<table class="cnnlib-summary" style="border-collapse:collapse">'
                f"<caption>{html.escape(self.model)} "
                f"input {html.escape(_shape(self.input_size))}</caption>"
                f"<thead>{tr(self.HEADER, 'th')}</thead><tbody>"
                + "".join(tr(r) for r in body)
                + f"</tbody><tfoot>{tr(total, 'th')}</tfoot></table>")

    def to_markdown(self):
        """The table as GitHub/MyST markdown."""
        body, total = self._cells()
        rows = [self.HEADER, ("---", "---", "---", "---:", "---:"), *body,
                tuple(f"**{c}**" for c in total)]
        return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
                         for r in rows)


def format_count(n):
    """A count with an SI suffix and 3 significant digits: 1234567 -> '1.23 M'.

    本書: 章のコードからは直接使いません
    """
    check_number(n, "n")
    for value, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= value:
            return f"{n / value:.3g} {suffix}"
    return str(int(n))


def _shape(shape):
    if isinstance(shape, tuple) and shape and all(isinstance(s, int) for s in shape):
        return "(" + ", ".join(map(str, shape)) + ")"
    return str(shape)


def _shapes(obj):
    """Shapes of the tensors in a module's input/output (a tuple, or a list of them)."""
    if isinstance(obj, torch.Tensor):
        return tuple(obj.shape)
    if isinstance(obj, (tuple, list)):
        shapes = [_shapes(o) for o in obj if isinstance(o, (torch.Tensor, tuple, list))]
        return shapes[0] if len(shapes) == 1 else shapes
    return type(obj).__name__


def _example(model, input_size):
    """Zeros of ``input_size`` on the model's device, in its floating dtype."""
    p = next(iter(model.parameters()), None)
    device = p.device if p is not None else torch.device("cpu")
    dtype = p.dtype if p is not None and p.is_floating_point() else torch.get_default_dtype()
    return torch.zeros(input_size, device=device, dtype=dtype)


def _run(model, x):
    """Forward ``x`` in eval mode under hooks; per-module call order, shapes, FLOPs."""
    names = {m: n for n, m in model.named_modules()}
    order, outputs, inputs, stack = [], {}, {}, []

    def pre(m, args):
        name = names[m]
        stack.append(name)
        inputs[name] = _shapes(args)
        if name not in order:
            order.append(name)

    def post(m, args, out):
        outputs[names[m]] = _shapes(out)
        stack.pop()

    handles = [h for m in names for h in (m.register_forward_pre_hook(pre),
                                          m.register_forward_hook(post))]
    modes = {m: m.training for m in names}
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            y = model(x)
    except Exception as err:  # the innermost module still on the stack is the one that failed
        name = stack[-1] if stack else ""
        raise _fit_error(model, x, name, names, inputs.get(name), err) from err
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    return order, outputs, counter.get_flop_counts(), _shapes(y)


def _fit_error(model, x, name, names, in_shape, err):
    module = {n: m for m, n in names.items()}[name]
    where = f"layer '{name}' ({type(module).__name__})" if name else \
        f"the model's own forward ({type(model).__name__})"
    return ValueError(f"input_size {tuple(x.shape)} does not fit {type(model).__name__}: "
                      f"{where} is the first layer that fails, on input of shape {in_shape}: "
                      f"{str(err).strip()}")


def summary(model, input_size, depth=None):
    """Per-layer table of output shape, parameters and forward FLOPs for ``input_size``.

    ``input_size`` includes the batch, e.g. ``(1, 3, 224, 224)``. Rows are the leaf
    modules in call order, or with ``depth=d`` the modules ``d`` levels deep (and
    shallower leaves). Runs one forward pass in eval mode without gradients on the
    model's device (a model built on the ``meta`` device costs no memory or time).
    Raises ValueError naming the first layer that fails when the size does not fit.

    本書: 第4章、第6章、第7章
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if depth is not None:
        check_int(depth, "depth", 1, kind="None (leaf layers) or a positive int")
    input_size = check_ints(tuple(input_size) if isinstance(input_size, torch.Size) else input_size,
                            "input_size", 1, kind="a tuple of ints including the batch, e.g. "
                                                  "(1, 3, 32, 32)")
    order, outputs, flops, out_shape = _run(model, _example(model, input_size))
    modules, root = dict(model.named_modules()), type(model).__name__
    rows = []
    for name in order:
        if not name:
            continue
        m, level = modules[name], name.count(".") + 1
        leaf = not any(True for _ in m.children())
        if (depth is None and leaf) or (depth is not None and (level == depth or
                                                               (level < depth and leaf))):
            rows.append(LayerRow(name, type(m).__name__, outputs.get(name), _count(m),
                                 sum(flops.get(f"{root}.{name}", {}).values()), level))
    return Summary(root, input_size, out_shape, rows, _count(model), _count(model, True),
                   sum(flops.get("Global", {}).values()))


def _count(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
