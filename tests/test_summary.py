"""cnnlib.summary: shapes, parameters, FLOPs from torch's counter, and the wrong-size message."""
from collections import OrderedDict

import pytest
import torch
from torch import nn

from cnnlib.nn import models as M
from cnnlib.scratch.functional import conv_output_size
from cnnlib.nn.summarize import Summary, format_count, summary


def test_conv_flops_are_2_cin_cout_k2_h_w():
    N, cin, cout, k, H, W, stride, pad = 2, 3, 8, 3, 17, 12, 2, 1
    model = nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=pad), nn.ReLU())
    s = summary(model, (N, cin, H, W))
    oh, ow = conv_output_size(H, k, pad, stride), conv_output_size(W, k, pad, stride)
    conv = s.rows[0]
    assert conv.name == "0" and conv.type == "Conv2d"
    assert conv.output_shape == (N, cout, oh, ow)
    assert conv.flops == N * 2 * cin * cout * k * k * oh * ow
    assert conv.params == cin * cout * k * k + cout
    assert s.rows[1].flops == 0                         # element-wise ops are not counted
    assert s.total_flops == conv.flops


def test_linear_flops_and_totals():
    s = summary(M.MLP(20, (7,), 3), (5, 20))
    fc1, fc2 = [r for r in s.rows if r.type == "Linear"]
    assert (fc1.flops, fc2.flops) == (5 * 2 * 20 * 7, 5 * 2 * 7 * 3)
    assert s.output_shape == (5, 3)


def test_lenet5_rows():
    s = summary(M.lenet5(), (1, 1, 28, 28))
    rows = {r.name: r for r in s.rows}
    assert rows["features.conv1"].output_shape == (1, 6, 24, 24)
    assert rows["features.pool2"].output_shape == (1, 16, 4, 4)
    assert rows["flatten"].output_shape == (1, 256)
    assert [r.params for r in s.rows if r.params] == [156, 2416, 30840, 10164, 850]
    assert sum(r.params for r in s.rows) == s.total_params == s.trainable_params == 44426
    assert sum(r.flops for r in s.rows) == s.total_flops
    assert [r.name for r in s.rows][:3] == ["features.conv1", "features.act1", "features.pool1"]


def test_depth_groups_rows_and_keeps_totals():
    with torch.device("meta"):
        model = M.resnet18()
    s = summary(model, (1, 3, 224, 224), depth=1)
    assert [r.name for r in s.rows] == ["stem", "layer1", "layer2", "layer3", "layer4",
                                        "avgpool", "flatten", "fc"]
    assert s.rows[4].output_shape == (1, 512, 7, 7)
    assert sum(r.params for r in s.rows) == s.total_params == 11689512
    assert sum(r.flops for r in s.rows) == s.total_flops
    with pytest.raises(ValueError, match="depth"):
        summary(model, (1, 3, 224, 224), depth=0)


def test_inception_output_is_the_concatenation():
    s = summary(M.InceptionModule(192, 64, 96, 128, 16, 32, 32), (1, 192, 28, 28))
    assert s.output_shape == (1, 256, 28, 28)


def lenet_layers():
    """LeNet-5's layers in a plain nn.Sequential, which has no input check of its own."""
    m = M.lenet5()
    return nn.Sequential(OrderedDict(features=m.features, flatten=m.flatten,
                                     classifier=m.classifier))


def test_wrong_input_size_names_the_first_failing_layer():
    with pytest.raises(ValueError) as info:
        summary(lenet_layers(), (1, 1, 32, 32))         # 32x32 reaches fc1 with 16*5*5 = 400
    msg = str(info.value)
    assert "'classifier.fc1' (Linear)" in msg and "(1, 400)" in msg and "(1, 1, 32, 32)" in msg
    with pytest.raises(ValueError, match=r"'features.conv1' \(Conv2d\).*\(1, 3, 28, 28\)"):
        summary(lenet_layers(), (1, 3, 28, 28))         # 3 channels into a 1-channel conv
    with pytest.raises(ValueError, match=r"'features.conv2' \(Conv2d\).*\(1, 6, 2, 2\)"):
        summary(lenet_layers(), (1, 1, 8, 8))           # too small for the second 5x5 conv
    with pytest.raises(ValueError, match=r"own forward \(LeNet5\).*\(N, 1, 28, 28\)"):
        summary(M.lenet5(), (1, 1, 32, 32))             # the model checks its input itself


def test_error_in_a_containers_own_forward_names_it():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return self.conv(x).view(x.shape[0], 7)

    with pytest.raises(ValueError, match=r"own forward \(Bad\)"):
        summary(Bad(), (1, 1, 5, 5))


def test_bad_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        summary(lambda x: x, (1, 3))
    for bad in [(1, 0, 28, 28), (1, -3)]:
        with pytest.raises(ValueError, match="positive"):
            summary(M.lenet5(), bad)
    for bad in [(1, 1, 28.0, 28), 28]:
        with pytest.raises(TypeError, match="input_size"):
            summary(M.lenet5(), bad)
    with pytest.raises(ValueError, match="input_size"):
        summary(M.lenet5(), ())


def test_summary_restores_modes_and_removes_hooks():
    model = M.resnet_cifar(8).train()
    model.fc.eval()
    before = model.stem.bn.running_mean.clone()
    summary(model, (2, 3, 32, 32))
    assert model.training and model.layer1.training and not model.fc.training
    torch.testing.assert_close(model.stem.bn.running_mean, before)   # ran in eval mode
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    with pytest.raises(ValueError):
        summary(model, (2, 5, 32, 32))
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert model.training and not model.fc.training


def test_rendering():
    s = summary(M.lenet5(), (1, 1, 28, 28))
    assert isinstance(s, Summary)
    text = str(s)
    assert "features.conv1" in text and "44,426" in text and "(1, 6, 24, 24)" in text
    html = s._repr_html_()
    assert html.count("<tr>") == len(s.rows) + 2 and "cnnlib-summary" in html
    md = s.to_markdown().splitlines()
    assert len(md) == len(s.rows) + 3 and md[1].startswith("| ---")


def test_format_count():
    assert [format_count(n) for n in (0, 999, 1234, 2_500_000, 30_940_528_640)] == \
        ["0", "999", "1.23 K", "2.5 M", "30.9 G"]
