"""cnnlib.nn.models: output shapes, parameter counts (hand-derived and torchvision), backward runs.

The 224x224 reference models are built on the meta device: counting parameters and
inferring shapes there allocates no weights and runs no arithmetic.
"""
import pytest
import torch
import torchvision
from torch import nn

from cnnlib.nn import models as M


def conv_params(cin, cout, k, bias=True, groups=1):
    return cin // groups * cout * k * k + (cout if bias else 0)


def linear_params(fin, fout):
    return fin * fout + fout


def meta(builder, *args, **kwargs):
    with torch.device("meta"):
        return builder(*args, **kwargs)


def run_backward(model, x):
    """One forward and backward pass; every parameter must receive a finite gradient."""
    torch.manual_seed(0)
    model.train()
    y = model(x)
    y.square().mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(p.grad).all(), name
    return y


# ---------------------------------------------------------------- LeNet-5
def test_lenet5_table_of_the_lesson():
    model = M.lenet5()
    per_layer = {n: M.count_params(m) for n, m in model.named_modules()
                 if isinstance(m, (nn.Conv2d, nn.Linear))}
    assert list(per_layer.values()) == [156, 2416, 30840, 10164, 850]
    assert per_layer == {"features.conv1": conv_params(1, 6, 5), "features.conv2": conv_params(6, 16, 5),
                         "classifier.fc1": linear_params(16 * 4 * 4, 120),
                         "classifier.fc2": linear_params(120, 84), "classifier.fc3": linear_params(84, 10)}
    assert M.count_params(model) == 44426


def test_lenet5_original_32x32():
    model = M.lenet5_original()
    expected = conv_params(1, 6, 5) + conv_params(6, 16, 5) + linear_params(16 * 5 * 5, 120) \
        + linear_params(120, 84) + linear_params(84, 10)
    assert M.count_params(model) == expected == 61706
    assert any(isinstance(m, nn.Tanh) for m in model.modules())
    x = torch.randn(3, 1, 32, 32)
    assert run_backward(model, x).shape == (3, 10)
    with pytest.raises(ValueError, match=r"x must be a batch of shape \(N, 1, 32, 32\)"):
        model(torch.randn(1, 1, 28, 28))          # the 32x32 layout does not take 28x28


def test_lenet5_forward_backward_and_bad_args():
    assert run_backward(M.lenet5(), torch.randn(4, 1, 28, 28)).shape == (4, 10)
    with pytest.raises(ValueError, match="input_size"):
        M.LeNet5(input_size=30)
    with pytest.raises(ValueError, match="activation"):
        M.LeNet5(activation="gelu")


# ---------------------------------------------------------------- AlexNet
def alexnet_expected(widths, num_classes=1000):
    c1, c2, c3, c4, c5 = widths
    return (conv_params(3, c1, 11) + conv_params(c1, c2, 5) + conv_params(c2, c3, 3)
            + conv_params(c3, c4, 3) + conv_params(c4, c5, 3) + linear_params(c5 * 36, 4096)
            + linear_params(4096, 4096) + linear_params(4096, num_classes))


def test_alexnet_variants_param_counts():
    tv = M.count_params(meta(torchvision.models.alexnet, weights=None))
    assert M.count_params(meta(M.alexnet_torchvision)) == tv == alexnet_expected(
        (64, 192, 384, 256, 256))
    assert M.count_params(meta(M.alexnet_paper)) == alexnet_expected((96, 256, 384, 384, 256))
    assert [m.out_channels for m in meta(M.alexnet_paper).features if isinstance(m, nn.Conv2d)] \
        == [96, 256, 384, 384, 256]


def test_alexnet_has_relu_between_classifier_layers():
    types = [type(m).__name__ for m in meta(M.alexnet_torchvision).classifier]
    assert types == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear"]


def test_alexnet_shapes_and_backward():
    assert meta(M.alexnet_paper)(torch.zeros(2, 3, 224, 224, device="meta")).shape == (2, 1000)
    feats = meta(M.alexnet_paper).features(torch.zeros(1, 3, 224, 224, device="meta"))
    assert feats.shape == (1, 256, 6, 6)
    model = M.AlexNet(num_classes=5, widths=(8, 8, 8, 8, 8))
    assert run_backward(model, torch.randn(2, 3, 64, 64)).shape == (2, 5)
    with pytest.raises(ValueError, match="widths must be a sequence of 5 ints"):
        M.AlexNet(widths=(64, 192))


# ---------------------------------------------------------------- VGG
@pytest.mark.parametrize("name", ["vgg11", "vgg16", "vgg19"])
def test_vgg_matches_torchvision(name):
    ours = meta(M.vgg, name)
    ref = meta(getattr(torchvision.models, name), weights=None)
    assert M.count_params(ours) == M.count_params(ref)
    n_conv = sum(isinstance(m, nn.Conv2d) for m in ours.modules())
    n_fc = sum(isinstance(m, nn.Linear) for m in ours.modules())
    assert n_conv + n_fc == int(name[3:])               # VGG-16 has 16 weight layers
    assert ours(torch.zeros(1, 3, 224, 224, device="meta")).shape == (1, 1000)


def test_vgg16_count_by_hand():
    widths = [v for v in M.VGG_CFGS["vgg16"] if v != "M"]
    convs = sum(conv_params(a, b, 3) for a, b in zip([3] + widths[:-1], widths))
    fcs = linear_params(512 * 7 * 7, 4096) + linear_params(4096, 4096) + linear_params(4096, 1000)
    assert M.count_params(meta(M.vgg, "vgg16")) == convs + fcs == 138357544


def test_vgg_cifar_and_backward():
    model = M.vgg("vgg_cifar")
    assert run_backward(model, torch.randn(2, 3, 32, 32)).shape == (2, 10)
    small16 = M.vgg("vgg16", num_classes=7, pool_size=1, hidden=16)
    assert run_backward(small16, torch.randn(2, 3, 32, 32)).shape == (2, 7)
    with pytest.raises(ValueError, match="name must be"):
        M.vgg("vgg13")
    with pytest.raises(ValueError, match="cfg"):
        M.VGG([64, "X"])


# ---------------------------------------------------------------- ResNet
def resnet_expected(blocks, widths, stem_k, num_classes, in_channels=3):
    """Parameter count of a BasicBlock ResNet with projection shortcuts, from its description."""
    bn = lambda c: 2 * c  # noqa: E731  (gamma and beta)
    total, c = conv_params(in_channels, widths[0], stem_k, bias=False) + bn(widths[0]), widths[0]
    for i, (n, w) in enumerate(zip(blocks, widths)):
        for j in range(n):
            cin = c if j == 0 else w
            total += conv_params(cin, w, 3, False) + bn(w) + conv_params(w, w, 3, False) + bn(w)
            if cin != w or (j == 0 and i > 0):
                total += conv_params(cin, w, 1, False) + bn(w)
        c = w
    return total + linear_params(c, num_classes)


def test_resnet18_matches_torchvision():
    ours = meta(M.resnet18)
    ref = M.count_params(meta(torchvision.models.resnet18, weights=None))
    assert M.count_params(ours) == ref == resnet_expected((2, 2, 2, 2), (64, 128, 256, 512), 7, 1000)
    assert ours(torch.zeros(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert run_backward(M.resnet18(num_classes=3), torch.randn(2, 3, 32, 32)).shape == (2, 3)


@pytest.mark.parametrize("depth", [20, 56])
def test_resnet_cifar_depths(depth):
    n = (depth - 2) // 6
    model = M.resnet_cifar(depth)
    assert M.count_params(model) == resnet_expected((n, n, n), (16, 32, 64), 3, 10)
    weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) and not
                        (isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1))
                        for m in model.modules())
    assert weight_layers == depth                      # 6n + 2 layers, shortcuts not counted


def test_resnet_cifar_backward_and_bad_depth():
    assert run_backward(M.resnet_cifar(20), torch.randn(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="6n"):
        M.resnet_cifar(18)


def test_small_resnet_of_the_lesson():
    model = M.small_resnet()
    assert M.count_params(model) == resnet_expected((2, 2, 2), (64, 128, 256), 3, 10)
    assert run_backward(model, torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_basic_block_shortcuts():
    same = M.BasicBlock(16, 16)
    assert isinstance(same.shortcut, nn.Identity)
    down = M.BasicBlock(16, 32, stride=2)
    assert isinstance(down.shortcut.conv, nn.Conv2d) and down.shortcut.conv.kernel_size == (1, 1)
    assert down(torch.randn(2, 16, 8, 8)).shape == (2, 32, 4, 4)
    plain = M.BasicBlock(16, 32, stride=2, residual=False)
    assert isinstance(plain.shortcut, nn.Identity)
    assert M.count_params(down) - M.count_params(plain) == conv_params(16, 32, 1, False) + 64


def test_identity_block_adds_its_input():
    torch.manual_seed(0)
    block = M.BasicBlock(4, 4).eval()
    nn.init.zeros_(block.bn2.weight)                   # residual branch outputs exactly 0
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_plain_resnet_has_no_shortcut_path():
    torch.manual_seed(0)
    block = M.BasicBlock(4, 4, residual=False).eval()
    nn.init.zeros_(block.bn2.weight)
    nn.init.zeros_(block.bn2.bias)
    assert torch.count_nonzero(block(torch.randn(2, 4, 5, 5))) == 0


def test_relus_are_modules_and_not_inplace():
    for model in (M.lenet5(), M.vgg("vgg_cifar"), M.resnet_cifar(8), M.small_resnet()):
        relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
        assert relus and not any(m.inplace for m in relus)


# ---------------------------------------------------------------- building blocks, MLP
def test_inception_3a():
    block = M.InceptionModule(192, 64, 96, 128, 16, 32, 32)
    assert block.out_channels == 64 + 128 + 32 + 32 == 256
    expected = (conv_params(192, 64, 1) + conv_params(192, 96, 1) + conv_params(96, 128, 3)
                + conv_params(192, 16, 1) + conv_params(16, 32, 5) + conv_params(192, 32, 1))
    assert M.count_params(block) == expected
    assert run_backward(block, torch.randn(2, 192, 7, 7)).shape == (2, 256, 7, 7)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_depthwise_separable(batch_norm):
    block = M.DepthwiseSeparableConv(32, 64, stride=2, batch_norm=batch_norm)
    assert block.depthwise.groups == 32
    expected = conv_params(32, 32, 3, not batch_norm, groups=32) + conv_params(32, 64, 1, not batch_norm)
    if batch_norm:
        expected += 2 * 32 + 2 * 64
    assert M.count_params(block) == expected
    assert run_backward(block, torch.randn(2, 32, 8, 8)).shape == (2, 64, 4, 4)


def test_depthwise_separable_equals_its_two_convs():
    torch.manual_seed(0)
    block = M.DepthwiseSeparableConv(3, 5)
    x = torch.randn(1, 3, 6, 6)
    # depthwise: channel c is convolved with its own 3x3 filter only
    per_channel = torch.cat([nn.functional.conv2d(x[:, c:c + 1], block.depthwise.weight[c:c + 1],
                                                  block.depthwise.bias[c:c + 1], padding=1)
                             for c in range(3)], dim=1)
    expected = nn.functional.conv2d(per_channel, block.pointwise.weight, block.pointwise.bias)
    torch.testing.assert_close(block(x), expected)


def test_mlp():
    model = M.MLP(784, (32, 16), 10, dropout=0.5)
    assert M.count_params(model) == linear_params(784, 32) + linear_params(32, 16) + linear_params(16, 10)
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2
    assert run_backward(model, torch.randn(4, 1, 28, 28)).shape == (4, 10)
    with pytest.raises(ValueError, match="dropout"):
        M.MLP(dropout=1.0)
    with pytest.raises(TypeError, match="in_features"):
        M.MLP(in_features=7.5)


@pytest.mark.parametrize("batch_norm,dropout", [(False, 0.0), (True, 0.5)])
def test_simple_cnn(batch_norm, dropout):
    model = M.SimpleCNN(1, (8, 16), 10, input_size=28, batch_norm=batch_norm, dropout=dropout,
                        hidden=32)
    convs = conv_params(1, 8, 3, not batch_norm) + conv_params(8, 16, 3, not batch_norm)
    bns = 2 * (8 + 16) if batch_norm else 0
    assert M.count_params(model) == convs + bns + linear_params(16 * 7 * 7, 32) + linear_params(32, 10)
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == (dropout > 0)
    assert run_backward(model, torch.randn(4, 1, 28, 28)).shape == (4, 10)
    with pytest.raises(ValueError, match="too small"):
        M.SimpleCNN(input_size=4)


@pytest.mark.parametrize("build", [M.lenet5, M.vgg, M.resnet18], ids=lambda f: f.__name__)
def test_models_trace_with_torch_fx(build):
    """The input check lets torch.fx's Proxy through: chapter 5 traces ResNet-18's graph."""
    graph = torch.fx.symbolic_trace(build()).graph
    assert any(n.op == "call_module" for n in graph.nodes)
