"""Torch models of the classic CNN architectures, one short builder each.

Every model uses separate, non-inplace ``nn.ReLU`` modules, so forward and backward
hooks (feature maps, Grad-CAM) see each activation. Layers carry readable names
(``features.conv1``, ``layer3.1.conv2``) that ``cnnlib.summary`` prints.

Sections: LeNet-5, AlexNet, VGG, ResNet, building blocks (Inception,
depthwise-separable), MLP and SimpleCNN. Further models are appended at the end of the
file (add their names to ``__all__``).
"""
from collections import OrderedDict

import torch
from torch import nn

from ..checks import check_bool, check_int, check_ints, check_number
from ..torch_checks import check_module

__all__ = [
    "LeNet5", "lenet5", "lenet5_original",
    "AlexNet", "ALEXNET_WIDTHS", "alexnet_paper", "alexnet_torchvision",
    "VGG", "VGG_CFGS", "make_vgg_features", "vgg",
    "BasicBlock", "ResNet", "resnet18", "resnet_cifar", "small_resnet",
    "InceptionModule", "DepthwiseSeparableConv", "MLP", "SimpleCNN",
    "count_params",
]


def count_params(model, trainable_only=False):
    """Number of parameters of ``model`` (only those with requires_grad if asked).

    本書: 第4章、第7章
    """
    check_module(model)
    check_bool(trainable_only, "trainable_only")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _positive(**values):
    """The given ints in order, each checked to be >= 1 (the keyword names the argument)."""
    return tuple(check_int(v, name, 1) for name, v in values.items())


def _dropout(p):
    return check_number(p, "dropout", 0, 1, open_max=True)


def _check_images(model, x, channels, size=None):
    """Raise unless ``x`` is a batch (N, channels, H, W) (and H = W = size, if given).

    A ``torch.fx.Proxy`` (the stand-in of ``torch.fx.symbolic_trace``, chapter 5 traces ResNet-18
    to find which convolutions feed a BN) has no shape to check and passes."""
    if isinstance(x, torch.fx.Proxy):
        return
    if torch.is_tensor(x) and x.dim() == 4 and x.shape[1] == channels and (
            size is None or x.shape[2] == x.shape[3] == size):
        return
    want = f"(N, {channels}, {size or 'H'}, {size or 'W'})"
    if not torch.is_tensor(x):
        raise TypeError(f"x must be a torch.Tensor batch {want}; got {type(x).__name__}")
    raise ValueError(f"x must be a batch of shape {want} for {type(model).__name__}; got "
                     f"{tuple(x.shape)}")


def _activation(name):
    """An activation module from its name: 'relu' or 'tanh'."""
    table = {"relu": nn.ReLU, "tanh": nn.Tanh}
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}; got {name!r}")
    return table[name]()


# ---------------------------------------------------------------- LeNet-5
class LeNet5(nn.Module):
    """LeNet-5: two 5x5 conv + 2x2 avg-pool stages, then FC 120 -> 84 -> classes.

    ``input_size=28`` is the MNIST variant without padding (conv1 28 -> 24), whose
    layers have 156, 2,416, 30,840, 10,164 and 850 parameters. ``input_size=32`` is
    the 1998 layout (C1 32 -> 28, S2 14, C3 10, S4 5, C5 120, F6 84), simplified as
    usual: C3 is fully connected to S2 (the paper used a sparse table), pooling has
    no trainable coefficients, and the output is linear instead of RBF units.

    本書: 第4章、第7章
    """

    def __init__(self, num_classes=10, input_size=28, in_channels=1, activation="relu"):
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"input_size must be 28 (MNIST variant) or 32 (original); "
                             f"got {input_size!r}")
        in_channels, num_classes = _positive(in_channels=in_channels, num_classes=num_classes)
        self.input_size = input_size
        side = {28: 4, 32: 5}[input_size]              # 28-24-12-8-4 or 32-28-14-10-5
        self.features = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(in_channels, 6, 5)), ("act1", _activation(activation)),
            ("pool1", nn.AvgPool2d(2)),
            ("conv2", nn.Conv2d(6, 16, 5)), ("act2", _activation(activation)),
            ("pool2", nn.AvgPool2d(2)),
        ]))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(16 * side * side, 120)), ("act3", _activation(activation)),
            ("fc2", nn.Linear(120, 84)), ("act4", _activation(activation)),
            ("fc3", nn.Linear(84, num_classes)),
        ]))

    def forward(self, x):
        _check_images(self, x, self.features.conv1.in_channels, self.input_size)
        return self.classifier(self.flatten(self.features(x)))


def lenet5(num_classes=10):
    """The lesson's LeNet-5 for 28x28 MNIST (ReLU, average pooling).

    本書: 第4章
    """
    return LeNet5(num_classes, input_size=28, activation="relu")


def lenet5_original(num_classes=10):
    """LeNet-5 in the 1998 32x32 layout, with tanh as in the paper.

    本書: 第4章
    """
    return LeNet5(num_classes, input_size=32, activation="tanh")


# ---------------------------------------------------------------- AlexNet
ALEXNET_WIDTHS = {
    "paper": (96, 256, 384, 384, 256),        # Krizhevsky et al. 2012, both GPUs merged
    "torchvision": (64, 192, 384, 256, 256),  # the "one weird trick" layout torchvision uses
}


class AlexNet(nn.Module):
    """AlexNet for 224x224 inputs: five conv layers, three max pools, a 3-layer FC head.

    ``widths`` are the five conv channel counts. The head is
    Dropout-FC-ReLU-Dropout-FC-ReLU-FC (a ReLU after each hidden FC layer). The
    adaptive 6x6 pool (as in torchvision) lets other input sizes reach the head.

    本書: 第4章
    """

    def __init__(self, num_classes=1000, widths=ALEXNET_WIDTHS["torchvision"], dropout=0.5,
                 in_channels=3):
        super().__init__()
        c1, c2, c3, c4, c5 = check_ints(widths, "widths", 1, length=5)
        num_classes, in_channels = _positive(num_classes=num_classes, in_channels=in_channels)
        dropout = _dropout(dropout)
        self.features = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(in_channels, c1, 11, stride=4, padding=2)), ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(3, stride=2)),
            ("conv2", nn.Conv2d(c1, c2, 5, padding=2)), ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(3, stride=2)),
            ("conv3", nn.Conv2d(c2, c3, 3, padding=1)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(c3, c4, 3, padding=1)), ("relu4", nn.ReLU()),
            ("conv5", nn.Conv2d(c4, c5, 3, padding=1)), ("relu5", nn.ReLU()),
            ("pool5", nn.MaxPool2d(3, stride=2)),
        ]))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(OrderedDict([
            ("drop1", nn.Dropout(dropout)), ("fc1", nn.Linear(c5 * 6 * 6, 4096)),
            ("relu6", nn.ReLU()),
            ("drop2", nn.Dropout(dropout)), ("fc2", nn.Linear(4096, 4096)), ("relu7", nn.ReLU()),
            ("fc3", nn.Linear(4096, num_classes)),
        ]))

    def forward(self, x):
        _check_images(self, x, self.features.conv1.in_channels)
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def alexnet_paper(num_classes=1000, **kwargs):
    """AlexNet with the paper's 96/256/384/384/256 channels (no two-GPU grouping).

    本書: 第4章
    """
    return AlexNet(num_classes, widths=ALEXNET_WIDTHS["paper"], **kwargs)


def alexnet_torchvision(num_classes=1000, **kwargs):
    """AlexNet with torchvision's 64/192/384/256/256 channels (same parameter count).

    本書: 第4章
    """
    return AlexNet(num_classes, widths=ALEXNET_WIDTHS["torchvision"], **kwargs)


# ---------------------------------------------------------------- VGG
VGG_CFGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
    "vgg_cifar": [32, 32, "M", 64, 64, "M", 128, 128, "M"],   # small, for 32x32 inputs
}


def _check_cfg(cfg):
    """The VGG config list: ints (channel counts >= 1) and 'M' (pools), at least one int."""
    allowed = "a list of channel counts (ints >= 1) and 'M' (a 2x2 max pool), at least one int"
    if isinstance(cfg, (str, bytes)) or not isinstance(cfg, (list, tuple)):
        raise TypeError(f"cfg must be {allowed}; got {cfg!r}")
    for i, v in enumerate(cfg):
        if v != "M" and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"cfg must be {allowed}; got cfg[{i}] = {v!r}")
    if all(v == "M" for v in cfg):
        raise ValueError(f"cfg must be {allowed}; got {cfg!r}")
    return list(cfg)


def make_vgg_features(cfg, in_channels=3, batch_norm=False):
    """Conv stack from a config list: an int is a 3x3 conv (+BN) + ReLU, 'M' a 2x2 max pool.

    本書: 第4章
    """
    cfg, (in_channels,) = _check_cfg(cfg), _positive(in_channels=in_channels)
    batch_norm = check_bool(batch_norm, "batch_norm")
    layers, c, stage, conv = [], in_channels, 1, 0
    for v in cfg:
        if v == "M":
            layers.append((f"pool{stage}", nn.MaxPool2d(2, stride=2)))
            stage, conv = stage + 1, 0
            continue
        conv += 1
        name = f"{stage}_{conv}"
        layers.append((f"conv{name}", nn.Conv2d(c, v, 3, padding=1, bias=not batch_norm)))
        if batch_norm:
            layers.append((f"bn{name}", nn.BatchNorm2d(v)))
        layers.append((f"relu{name}", nn.ReLU()))
        c = v
    return nn.Sequential(OrderedDict(layers))


class VGG(nn.Module):
    """VGG: 3x3 conv stages from ``cfg`` + adaptive pool to ``pool_size`` + 3-layer FC head.

    The ImageNet defaults (pool 7x7, 4096 hidden units) match torchvision's VGG.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, cfg, num_classes=1000, in_channels=3, batch_norm=False, pool_size=7,
                 hidden=4096, dropout=0.5):
        super().__init__()
        widths = [v for v in _check_cfg(cfg) if v != "M"]
        num_classes, pool_size, hidden = _positive(num_classes=num_classes, pool_size=pool_size,
                                                   hidden=hidden)
        dropout = _dropout(dropout)
        self.features = make_vgg_features(cfg, in_channels, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(widths[-1] * pool_size * pool_size, hidden)), ("relu1", nn.ReLU()),
            ("drop1", nn.Dropout(dropout)),
            ("fc2", nn.Linear(hidden, hidden)), ("relu2", nn.ReLU()), ("drop2", nn.Dropout(dropout)),
            ("fc3", nn.Linear(hidden, num_classes)),
        ]))

    def forward(self, x):
        _check_images(self, x, self.features[0].in_channels)
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def vgg(name="vgg16", num_classes=None, **kwargs):
    """VGG by name: 'vgg11'/'vgg16'/'vgg19' (224x224, 1000 classes) or 'vgg_cifar' (32x32).

    本書: 第4章
    """
    if not isinstance(name, str) or name not in VGG_CFGS:
        raise ValueError(f"name must be one of {sorted(VGG_CFGS)}; got {name!r}")
    if name == "vgg_cifar":
        defaults = dict(num_classes=10, batch_norm=True, pool_size=4, hidden=256)
    else:
        defaults = dict(num_classes=1000)
    if num_classes is not None:
        defaults["num_classes"] = num_classes
    return VGG(VGG_CFGS[name], **{**defaults, **kwargs})


# ---------------------------------------------------------------- ResNet
class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU.

    The shortcut is the identity, or a 1x1 conv + BN projection when the stride or the
    channel count changes. ``residual=False`` drops the shortcut: a plain block of the
    same depth, for comparing gradient flow.

    本書: 第4章
    """

    def __init__(self, in_channels, out_channels, stride=1, residual=True):
        super().__init__()
        in_channels, out_channels, stride = _positive(in_channels=in_channels,
                                                      out_channels=out_channels, stride=stride)
        self.residual = check_bool(residual, "residual")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if residual and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)),
                ("bn", nn.BatchNorm2d(out_channels)),
            ]))
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + self.shortcut(x)
        return self.relu2(out)


class ResNet(nn.Module):
    """ResNet of BasicBlocks: stem, stages ``layer1..layerK``, global average pool, FC.

    ``blocks[i]`` blocks of ``widths[i]`` channels per stage; every stage after the
    first halves the resolution. ``stem='imagenet'`` is conv7x7/2 + max pool 3x3/2
    (for 224x224), ``stem='cifar'`` a single conv3x3 (for 32x32).

    本書: 第4章
    """

    def __init__(self, blocks, widths, num_classes=1000, in_channels=3, stem="imagenet",
                 residual=True):
        super().__init__()
        blocks, widths = check_ints(blocks, "blocks", 1), check_ints(widths, "widths", 1)
        if len(blocks) != len(widths):
            raise ValueError(f"blocks and widths must be non-empty and of equal length; "
                             f"got {blocks!r} and {widths!r}")
        num_classes, in_channels = _positive(num_classes=num_classes, in_channels=in_channels)
        residual, c = check_bool(residual, "residual"), widths[0]
        if stem == "imagenet":
            self.stem = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(in_channels, c, 7, stride=2, padding=3, bias=False)),
                ("bn", nn.BatchNorm2d(c)), ("relu", nn.ReLU()),
                ("pool", nn.MaxPool2d(3, stride=2, padding=1))]))
        elif stem == "cifar":
            self.stem = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(in_channels, c, 3, padding=1, bias=False)),
                ("bn", nn.BatchNorm2d(c)), ("relu", nn.ReLU())]))
        else:
            raise ValueError(f"stem must be 'imagenet' or 'cifar'; got {stem!r}")
        for i, (n, w) in enumerate(zip(blocks, widths)):
            stage = [BasicBlock(c if j == 0 else w, w, 2 if (j == 0 and i > 0) else 1, residual)
                     for j in range(n)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*stage))
            c = w
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, num_classes)
        self.num_stages = len(blocks)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        _check_images(self, x, self.stem.conv.in_channels)
        x = self.stem(x)
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.flatten(self.avgpool(x)))


def resnet18(num_classes=1000, **kwargs):
    """ResNet-18 for 224x224 (11.7 M parameters, as torchvision's resnet18).

    本書: 第4章、第5章、第7章
    """
    return ResNet((2, 2, 2, 2), (64, 128, 256, 512), num_classes, stem="imagenet", **kwargs)


def resnet_cifar(depth=20, num_classes=10, **kwargs):
    """CIFAR ResNet of He et al. (2016): depth = 6n + 2, stages of 16/32/64 channels.

    The paper's CIFAR nets use parameter-free (zero-padding) shortcuts; these use
    1x1 projections, which adds a few thousand parameters.

    本書: 第4章
    """
    if check_int(depth, "depth", 8, kind="an int 6n + 2") < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...); "
                         f"got {depth!r}")
    n = (depth - 2) // 6
    return ResNet((n, n, n), (16, 32, 64), num_classes, stem="cifar", **kwargs)


def small_resnet(num_classes=10, **kwargs):
    """The lesson's small CIFAR ResNet: conv3x3 to 64, stages 2x64, 2x128, 2x256, GAP, FC.

    本書: 第4章
    """
    return ResNet((2, 2, 2), (64, 128, 256), num_classes, stem="cifar", **kwargs)


# ---------------------------------------------------------------- building blocks
def _conv_relu(cin, cout, k, padding=0):
    return nn.Sequential(OrderedDict([("conv", nn.Conv2d(cin, cout, k, padding=padding)),
                                      ("relu", nn.ReLU())]))


class InceptionModule(nn.Module):
    """GoogLeNet's Inception module: 1x1, 1x1->3x3, 1x1->5x5 and pool->1x1 branches, concatenated.

    Every conv is followed by a ReLU, as in the paper. The output has
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` channels at the input's resolution.

    本書: 第4章
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = _positive(
            in_channels=in_channels, ch1x1=ch1x1, ch3x3red=ch3x3red, ch3x3=ch3x3,
            ch5x5red=ch5x5red, ch5x5=ch5x5, pool_proj=pool_proj)
        self.branch1 = _conv_relu(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(OrderedDict([("reduce", _conv_relu(in_channels, ch3x3red, 1)),
                                                  ("conv", _conv_relu(ch3x3red, ch3x3, 3, 1))]))
        self.branch3 = nn.Sequential(OrderedDict([("reduce", _conv_relu(in_channels, ch5x5red, 1)),
                                                  ("conv", _conv_relu(ch5x5red, ch5x5, 5, 2))]))
        self.branch4 = nn.Sequential(OrderedDict([("pool", nn.MaxPool2d(3, stride=1, padding=1)),
                                                  ("proj", _conv_relu(in_channels, pool_proj, 1))]))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([b(x) for b in branches], dim=1)


class DepthwiseSeparableConv(nn.Sequential):
    """Depthwise KxK conv (one filter per channel, groups=C) then pointwise 1x1 conv.

    With ``batch_norm=True`` each conv is followed by BN + ReLU (MobileNet v1 style).

    本書: 第4章
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, batch_norm=False):
        in_channels, out_channels, k, stride = _positive(
            in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
            stride=stride)
        batch_norm = check_bool(batch_norm, "batch_norm")
        layers = [("depthwise", nn.Conv2d(in_channels, in_channels, k, stride=stride,
                                          padding=k // 2, groups=in_channels,
                                          bias=not batch_norm))]
        if batch_norm:
            layers += [("bn1", nn.BatchNorm2d(in_channels)), ("relu1", nn.ReLU())]
        layers.append(("pointwise", nn.Conv2d(in_channels, out_channels, 1, bias=not batch_norm)))
        if batch_norm:
            layers += [("bn2", nn.BatchNorm2d(out_channels)), ("relu2", nn.ReLU())]
        super().__init__(OrderedDict(layers))


class MLP(nn.Module):
    """Flatten, then Linear-ReLU(-Dropout) hidden layers and a linear output layer.

    本書: 第6章
    """

    def __init__(self, in_features=784, hidden=(256, 128), num_classes=10, dropout=0.0):
        super().__init__()
        dropout, hidden = _dropout(dropout), check_ints(hidden, "hidden", 1, nonempty=False)
        in_features, num_classes = _positive(in_features=in_features, num_classes=num_classes)
        layers, c, self.in_features = [("flatten", nn.Flatten())], in_features, in_features
        for i, h in enumerate(hidden, start=1):
            layers += [(f"fc{i}", nn.Linear(c, h)), (f"relu{i}", nn.ReLU())]
            if dropout > 0:
                layers.append((f"drop{i}", nn.Dropout(dropout)))
            c = h
        layers.append((f"fc{len(hidden) + 1}", nn.Linear(c, num_classes)))
        self.net = nn.Sequential(OrderedDict(layers))

    def forward(self, x):
        if not (torch.is_tensor(x) and x.dim() >= 2 and x[0].numel() == self.in_features):
            raise ValueError(f"x must be a batch tensor (N, ...) of {self.in_features} features per "
                             f"example for this MLP; got "
                             f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}")
        return self.net(x)


class SimpleCNN(nn.Module):
    """Small CNN for the BN / Dropout experiments: [conv3x3 (+BN) + ReLU + 2x2 max pool] per width,
    then flatten, FC ``hidden`` + ReLU (+ Dropout), FC to the classes.

    ``batch_norm`` adds BN after every conv (whose bias is then dropped); ``dropout`` is
    the drop probability before the last FC layer (0 means no Dropout layer).

    本書: 第5章、第6章
    """

    def __init__(self, in_channels=1, widths=(16, 32, 64), num_classes=10, input_size=28,
                 batch_norm=False, dropout=0.0, hidden=128):
        super().__init__()
        dropout, widths = _dropout(dropout), check_ints(widths, "widths", 1)
        in_channels, num_classes, side, hidden = _positive(
            in_channels=in_channels, num_classes=num_classes, input_size=input_size, hidden=hidden)
        batch_norm, self.input_size = check_bool(batch_norm, "batch_norm"), side
        layers, c = [], in_channels
        for i, w in enumerate(widths, start=1):
            layers.append((f"conv{i}", nn.Conv2d(c, w, 3, padding=1, bias=not batch_norm)))
            if batch_norm:
                layers.append((f"bn{i}", nn.BatchNorm2d(w)))
            layers += [(f"relu{i}", nn.ReLU()), (f"pool{i}", nn.MaxPool2d(2))]
            c, side = w, side // 2
        if side < 1:
            raise ValueError(f"input_size={input_size} is too small for {len(widths)} 2x2 pools")
        self.features = nn.Sequential(OrderedDict(layers))
        self.flatten = nn.Flatten()
        head = [("fc1", nn.Linear(c * side * side, hidden)), ("relu", nn.ReLU())]
        if dropout > 0:
            head.append(("drop", nn.Dropout(dropout)))
        head.append(("fc2", nn.Linear(hidden, num_classes)))
        self.classifier = nn.Sequential(OrderedDict(head))

    def forward(self, x):
        _check_images(self, x, self.features.conv1.in_channels, self.input_size)
        return self.classifier(self.flatten(self.features(x)))


# ---------------------------------------------------------------- CIFAR-10 (chapter 7)
class CIFAR10Net(nn.Module):
    """The lesson's CIFAR-10 CNN: six conv3x3+BN+ReLU (64-128-256-256-512-512), three
    max-pools, global average pooling, Dropout 0.5 and one linear layer (the baseline).

    本書: 第7章
    """

    def __init__(self, num_classes=10):
        super().__init__()
        cfg = [(3, 64, True), (64, 128, True), (128, 256, False), (256, 256, True),
               (256, 512, False), (512, 512, False)]
        layers = []
        for i, (cin, cout, pool) in enumerate(cfg, start=1):
            layers += [(f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False)),
                       (f"bn{i}", nn.BatchNorm2d(cout)), (f"relu{i}", nn.ReLU())]
            if pool:
                layers.append((f"pool{i}", nn.MaxPool2d(2)))
        self.features = nn.Sequential(OrderedDict(layers))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(512, _positive(num_classes=num_classes)[0])

    def forward(self, x):
        _check_images(self, x, 3)
        return self.fc(self.dropout(self.flatten(self.gap(self.features(x)))))


class FrozenScaleBatchNorm(nn.BatchNorm2d):
    """BatchNorm whose scale stays 1 (only the shift is learned), as in fast CIFAR trainers.

    本書: 第7章
    """

    def __init__(self, num_features, momentum=0.4, eps=1e-12):
        num_features, momentum = _positive(num_features=num_features)[0], check_number(
            momentum, "momentum", 0, 1)
        super().__init__(num_features, eps=check_number(eps, "eps", 0, open_min=True),
                         momentum=momentum)
        self.weight.requires_grad = False


class DiracConv2d(nn.Conv2d):
    """Conv2d (no bias by default) whose first ``in_channels`` filters start as the identity.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, cin, cout, kernel_size=3, padding="same", bias=False):
        cin, cout, kernel_size = _positive(cin=cin, cout=cout, kernel_size=kernel_size)
        if padding != "same":
            padding = check_int(padding, "padding", 0, kind="'same' or an int")
        super().__init__(cin, cout, kernel_size, padding=padding, bias=check_bool(bias, "bias"))

    def reset_parameters(self):
        super().reset_parameters()
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        nn.init.dirac_(self.weight.data[:min(self.in_channels, self.out_channels)])


class FastBlock(nn.Module):
    """conv3x3 -> 2x2 max-pool -> BN -> GELU -> conv3x3 -> BN -> GELU.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1, self.pool = DiracConv2d(cin, cout), nn.MaxPool2d(2)      # checks cin, cout
        self.norm1, self.act1 = FrozenScaleBatchNorm(cout), nn.GELU()
        self.conv2 = DiracConv2d(cout, cout)
        self.norm2, self.act2 = FrozenScaleBatchNorm(cout), nn.GELU()

    def forward(self, x):
        _check_images(self, x, self.conv1.in_channels)
        x = self.act1(self.norm1(self.pool(self.conv1(x))))
        return self.act2(self.norm2(self.conv2(x)))


class FastCIFARNet(nn.Module):
    """The book's fast CIFAR-10 net (after KellerJordan's airbench and Page's ResNet work):
    a frozen 2x2 patch-whitening conv, three FastBlocks (max-pool downsampling, BN, no conv
    bias, dirac init), a 3x3 max-pool and a bias-free linear layer scaled by 1/9.

    Call ``init_whitening(X)`` with normalised training images before training.

    本書: 第7章
    """

    def __init__(self, widths=(64, 256, 256), num_classes=10, whiten_size=2):
        super().__init__()
        self.widths = check_ints(widths, "widths", 1)
        num_classes, whiten_size = _positive(num_classes=num_classes, whiten_size=whiten_size)
        cw = 2 * 3 * whiten_size ** 2
        self.whiten = nn.Conv2d(3, cw, whiten_size, padding=0, bias=True)
        self.whiten.weight.requires_grad = False
        nn.init.zeros_(self.whiten.bias)
        self.act0 = nn.GELU()
        ins = (cw,) + self.widths[:-1]
        self.blocks = nn.Sequential(OrderedDict(
            (f"block{i}", FastBlock(a, b)) for i, (a, b) in enumerate(zip(ins, self.widths), 1)))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(self.widths[-1], num_classes, bias=False)
        self.scale = 1 / 9

    @torch.no_grad()
    def init_whitening(self, X, eps=5e-4):
        """Set the whitening filters from the patch covariance of images X (N x 3 x H x W)."""
        k = self.whiten.kernel_size[0]
        _check_images(self, X, 3)
        if not X.is_floating_point() or min(X.shape[2:]) < k or len(X) == 0:
            raise ValueError(f"X must be normalised float images (N, 3, H, W) with N >= 1 and H, "
                             f"W >= {k}; got {X.dtype} of shape {tuple(X.shape)}")
        eps = check_number(eps, "eps", 0)
        P = X.float().unfold(2, k, 1).unfold(3, k, 1)              # N, C, H', W', k, k
        P = P.permute(0, 2, 3, 1, 4, 5).reshape(-1, 3 * k * k).double()
        evals, evecs = torch.linalg.eigh(P.T @ P / len(P))
        W = (evecs.T / (evals + eps).sqrt()[:, None]).reshape(-1, 3, k, k).flip(0)
        self.whiten.weight.copy_(torch.cat([W, -W]).to(self.whiten.weight))

    def forward(self, x):
        _check_images(self, x, 3)
        x = self.blocks(self.act0(self.whiten(x)))
        return self.fc(self.flatten(self.pool(x))) * self.scale


def fast_cifar_net(widths=(64, 256, 256), num_classes=10):
    """The book's fast CIFAR-10 net (see ``FastCIFARNet``).

    本書: 第7章
    """
    return FastCIFARNet(widths, num_classes)


__all__ += ["CIFAR10Net", "FrozenScaleBatchNorm", "DiracConv2d", "FastBlock", "FastCIFARNet",
            "fast_cifar_net"]
