"""Comparing CNN architectures (chapter 4): size table, timeline, receptive fields.

Reference models are built on the ``meta`` device, so counting parameters and FLOPs
(``cnnlib.summary``) needs no memory for weights and no arithmetic.
"""
import torch
import torchvision

from . import models as M
from ..checks import check_callable, check_int, check_ints
from .summarize import summary

__all__ = ["ARCHITECTURES", "on_meta", "architecture_stats", "measured_receptive_field"]

_TV = torchvision.models
ARCHITECTURES = [  # (year, name, builder, input size, key idea)
    (1998, "LeNet-5", M.lenet5_original, (1, 1, 32, 32), "畳み込み＋プーリング"),
    (2012, "AlexNet", M.alexnet_paper, (1, 3, 224, 224), "ReLU・Dropout・GPU"),
    (2014, "VGG-16", lambda: M.vgg("vgg16"), (1, 3, 224, 224), "3×3 の積み重ね"),
    (2014, "GoogLeNet", lambda: _TV.googlenet(weights=None, aux_logits=False, init_weights=False),
     (1, 3, 224, 224), "Inception モジュール"),
    (2015, "ResNet-18", M.resnet18, (1, 3, 224, 224), "残差接続"),
    (2015, "ResNet-50", lambda: _TV.resnet50(weights=None), (1, 3, 224, 224), "ボトルネック"),
    (2017, "DenseNet-121", lambda: _TV.densenet121(weights=None), (1, 3, 224, 224), "密な結合"),
    (2018, "MobileNetV2", lambda: _TV.mobilenet_v2(weights=None), (1, 3, 224, 224),
     "depthwise 分離畳み込み"),
    (2019, "EfficientNet-B0", lambda: _TV.efficientnet_b0(weights=None), (1, 3, 224, 224),
     "複合スケーリング"),
    (2020, "ViT-B/16", lambda: _TV.vit_b_16(weights=None), (1, 3, 224, 224),
     "パッチ＋Transformer"),
]


def on_meta(builder, *args, **kwargs):
    """Build a model on the meta device: shapes, parameter counts and FLOPs, no weights.

    本書: 第4章
    """
    check_callable(builder, "builder", "a function or class that builds a model")
    with torch.device("meta"):
        return builder(*args, **kwargs)


def architecture_stats(archs=ARCHITECTURES):
    """{name: {year, params, flops, idea}} for (year, name, builder, input size, idea) rows.

    本書: 第4章
    """
    stats = {}
    for i, row in enumerate(archs):
        if not (isinstance(row, (tuple, list)) and len(row) == 5):
            raise ValueError(f"archs[{i}] must be a row (year, name, builder, input size, idea) "
                             f"like those of ARCHITECTURES; got {row!r:.80}")
    for year, name, builder, size, idea in archs:
        s = summary(on_meta(builder), size, depth=1)
        stats[name] = dict(year=year, params=s.total_params, flops=s.total_flops, idea=idea)
    return stats


MAX_SIZE = 4096      # measured_receptive_field's input side: any side above sum(k - 1) gives the same answer


def measured_receptive_field(kernel_sizes, size=15):
    """Side of the input square that reaches one output pixel of stacked stride-1 convs.

    Measured, not computed by formula: backpropagate from the centre output through
    all-ones kernels and count the input rows with a non-zero gradient.

    本書: 第4章
    """
    ks = list(check_ints(kernel_sizes, "kernel_sizes", 1, kind="a list of odd positive ints"))
    if any(k % 2 == 0 for k in ks):
        raise ValueError(f"kernel_sizes must be odd positive ints; got {kernel_sizes!r}")
    size = check_int(size, "size", 1, MAX_SIZE)
    if size <= sum(k - 1 for k in ks):
        raise ValueError(f"size={size} is too small for kernels {ks}; use a larger size")
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    y = x
    for k in ks:
        y = torch.nn.functional.conv2d(y, torch.ones(1, 1, k, k), padding=k // 2)
    y[0, 0, size // 2, size // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1))
    return int(rows.max() - rows.min() + 1)
