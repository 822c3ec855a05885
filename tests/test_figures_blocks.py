"""cnnlib.figures.blocks: what the block diagrams write comes from the models they are given."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from torch import nn  # noqa: E402

from cnnlib.figures import blocks as FB  # noqa: E402
from cnnlib.nn import models as M  # noqa: E402
from cnnlib.nn.summarize import summary  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()]   # arrows have ""


def test_shape_text_drops_the_batch():
    assert FB.shape_text((1, 6, 28, 28)) == "6×28×28"
    assert FB.shape_text((1, 120)) == "120"


@pytest.mark.parametrize("size", [28, 32])
def test_lenet_figure_writes_every_layers_output_shape(size):
    model = M.LeNet5(input_size=size, activation="tanh")
    fig = FB.lenet_figure(model, (1, 1, size, size), names=["C1", "S2", "C3", "S4", "C5", "F6", "出力"])
    shown = texts(fig)
    drawn = [r for r in summary(model, (1, 1, size, size)).rows
             if r.type in ("Conv2d", "AvgPool2d", "Linear")]
    shapes = [t for t in shown if t[0].isdigit()]
    assert shapes == [f"1×{size}×{size}"] + [FB.shape_text(r.output_shape) for r in drawn]
    assert {"C1", "S2", "C3", "S4", "C5", "F6", "出力"} <= set(shown)
    assert shown.count("畳み込み\n5×5 + tanh") == 2 and shown.count("平均プーリング\n2×2") == 2
    assert "全結合" in shown                           # the output layer has no activation


def test_residual_block_figure_reads_the_blocks_and_their_inputs():
    model = M.resnet_cifar(20)
    model.train()
    fig = FB.residual_block_figure(model, (1, 3, 32, 32), ["layer1.0", "layer2.0", "layer3.0"])
    shown = texts(fig)
    assert "入力 x\n16×32×32" in shown and "出力\n32×16×16" in shown and "出力\n64×8×8" in shown
    assert "近道: 恒等写像（x をそのまま足す）" in shown
    assert "近道: 射影 1×1 畳み込み 16→32、ストライド 2 → BN" in shown
    assert "3×3 畳み込み 32→64\nストライド 2\nBN → ReLU" in shown
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "layer1.0: 恒等写像の近道", "layer2.0: 1×1 射影の近道", "layer3.0: 1×1 射影の近道"]
    assert model.training                                  # the mode is restored
    assert not any(m._forward_pre_hooks for m in model.modules())     # the hooks are removed


def test_inception_figure_follows_the_module():
    inc = M.InceptionModule(192, ch1x1=64, ch3x3red=96, ch3x3=128, ch5x5red=16, ch5x5=32, pool_proj=32)
    shown = texts(FB.inception_figure(inc, (1, 192, 28, 28)))
    assert "チャネル方向に連結 → 256×28×28（64 + 128 + 32 + 32 チャネル）" in shown
    assert {"96×28×28", "16×28×28", "192×28×28", "128×28×28"} <= set(shown)
    assert "1×1 畳み込み\n192→96（削減）\n→ ReLU" in shown
    assert sum("→ ReLU" in t for t in shown) == sum(isinstance(m, nn.Conv2d) for m in inc.modules())
    assert "3×3 最大プーリング\nストライド 1" in shown
    small = M.InceptionModule(8, 4, 2, 6, 2, 3, 5)
    shown = texts(FB.inception_figure(small, (1, 8, 6, 6)))
    assert "チャネル方向に連結 → 18×6×6（4 + 6 + 3 + 5 チャネル）" in shown
    assert "1×1 畳み込み\n8→2（削減）\n→ ReLU" in shown and "2×6×6" in shown


def test_inception_reduction_mark_needs_fewer_channels():
    inc = M.InceptionModule(4, 2, 8, 6, 2, 3, 5)          # 4 -> 8 grows, 4 -> 2 reduces
    shown = texts(FB.inception_figure(inc, (1, 4, 6, 6)))
    assert "1×1 畳み込み\n4→8\n→ ReLU" in shown and "1×1 畳み込み\n4→2（削減）\n→ ReLU" in shown


def test_depthwise_separable_figure_counts_the_weights():
    block = M.DepthwiseSeparableConv(128, 128, 3, batch_norm=True)
    fig = FB.depthwise_separable_figure(block, (1, 128, 32, 32))
    assert fig.weights == {"depthwise": block.depthwise.weight.numel(),
                           "pointwise": block.pointwise.weight.numel(),
                           "standard": nn.Conv2d(128, 128, 3).weight.numel()}
    assert fig.weights == {"depthwise": 1152, "pointwise": 16384, "standard": 147456}
    joined = "\n".join(texts(fig))
    assert "重み 128·3² = 1,152" in joined and "重み 128·128·3² = 147,456" in joined
    assert f"= {(1152 + 16384) / 147456:.4f}\n= 1/128 + 1/3²" in joined
    fig = FB.depthwise_separable_figure(M.DepthwiseSeparableConv(8, 16, 5, stride=2), (1, 8, 10, 10))
    assert fig.weights == {"depthwise": 8 * 25, "pointwise": 8 * 16, "standard": 8 * 16 * 25}
    assert "出力\n16×5×5" in texts(fig)
