"""cnnlib.nn.architectures and cnnlib.nn.experiments on tiny inputs (fast; figures are built, not shown)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

from cnnlib.figures import architectures as FA  # noqa: E402
from cnnlib.figures import experiments as FE  # noqa: E402
from cnnlib.nn import architectures as A  # noqa: E402
from cnnlib.nn import experiments as E  # noqa: E402
from cnnlib.nn import models as M  # noqa: E402
from cnnlib.nn.train import evaluate  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def data(n, shape=(1, 12, 12), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g), torch.randint(0, 10, (n,), generator=g)


# ---------------------------------------------------------------- architectures
def test_architecture_stats_subset():
    rows = [r for r in A.ARCHITECTURES if r[1] in ("LeNet-5", "ResNet-18", "MobileNetV2")]
    stats = A.architecture_stats(rows)
    assert stats["LeNet-5"]["params"] == 61706
    assert stats["ResNet-18"]["params"] == 11689512
    ref = A.on_meta(torchvision.models.mobilenet_v2, weights=None)
    assert stats["MobileNetV2"]["params"] == M.count_params(ref)
    assert stats["ResNet-18"]["flops"] > stats["MobileNetV2"]["flops"] > stats["LeNet-5"]["flops"]
    assert FA.timeline_figure(stats).axes[0].get_yscale() == "log"
    assert len(FA.params_flops_figure(stats).axes[0].collections) == 3


def test_on_meta_allocates_nothing():
    model = A.on_meta(M.vgg, "vgg16")
    assert all(p.device.type == "meta" for p in model.parameters())


@pytest.mark.parametrize("ks,expected", [([3], 3), ([3, 3], 5), ([5], 5), ([3, 3, 3], 7),
                                         ([7], 7), ([1, 3], 3)])
def test_receptive_field(ks, expected):
    assert A.measured_receptive_field(ks) == expected == 1 + sum(k - 1 for k in ks)


def test_receptive_field_bad_input():
    for bad, err in (([], ValueError), ([2], ValueError), ([3, 0], ValueError),
                     ([True], TypeError), (3, TypeError)):
        with pytest.raises(err, match="kernel_sizes"):
            A.measured_receptive_field(bad)
    with pytest.raises(ValueError, match="size must be in"):
        A.measured_receptive_field([3], size=10**6)                 # would allocate 10^12 pixels
    with pytest.raises(ValueError, match="too small"):
        A.measured_receptive_field([7, 7], size=10)


# ---------------------------------------------------------------- gradient flow
def test_grad_flow_figure_draws_what_chapter_4s_loop_records():
    from cnnlib.nn.loop import train
    X, y = data(12)
    runs = {}
    for name, residual in (("プレーン", False), ("残差接続あり", True)):
        torch.manual_seed(0)
        model = M.ResNet((1,) * 3, (4, 8, 8), num_classes=10, in_channels=1, stem="cifar",
                         residual=residual)
        norms = {}

        def record(step, model, norms=norms):
            if step in (0, 2):
                norms[step] = [p.grad.norm().item() for n, p in model.named_parameters()
                               if p.dim() > 1 and "shortcut" not in n]

        losses = train(model, (X, y), batch_size=4, optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
                       on_step=record)
        runs[name] = {"loss": losses, "norms": norms}
        assert len(losses) == 3 and len(norms[0]) == 8              # 6n + 2 weight layers, n = 1
    fig = FE.grad_flow_figure(runs, 8)
    first = fig.axes[0].lines
    assert [line.get_label() for line in first] == ["プレーン", "残差接続あり"]
    assert list(first[0].get_ydata()) == runs["プレーン"]["norms"][0]
    assert list(fig.axes[1].lines[1].get_ydata()) == runs["残差接続あり"]["norms"][2]
    assert fig.axes[1].get_title() == "8 層: 3 ステップ目"


# ---------------------------------------------------------------- BN and dropout
def test_bn_lr_runs():
    train, test = data(32), data(16, seed=1)
    res = E.bn_lr_runs(train, test, lrs=(0.01,), epochs=1, batch_size=8, widths=(4, 8))
    assert set(res) == {(0.01, False), (0.01, True)}
    assert all(len(r["loss"]) == 4 and 0 <= r["test_acc"] <= 1 for r in res.values())
    fig = FE.bn_lr_figure({0: res, 1: res}, smooth=2)
    assert len(fig.axes[0].lines) == 4                    # 2 seeds x (with, without BN)


def test_dropout_runs_and_table():
    train, val, test = data(24), data(16, seed=1), data(20, seed=2)
    runs = E.dropout_runs(train, val, ps=(0.0, 0.5), seeds=(0, 1), hidden=(16,), epochs=5,
                          batch_size=8, eval_every=2, test=test)
    assert set(runs) == {(0.0, 0), (0.0, 1), (0.5, 0), (0.5, 1)}
    r = runs[0.5, 1]
    assert list(r["epoch"]) == [2, 4, 5] and len(r["train_acc"]) == len(r["val_loss"]) == 3
    assert r["test_acc"] == pytest.approx(evaluate(r["model"], test)["acc"])
    assert not np.array_equal(runs[0.5, 0]["val_loss"], runs[0.5, 1]["val_loss"])   # seeds differ
    table = E.dropout_table(runs, last=2)
    assert table[0.5]["val"][1] == pytest.approx(r["val_acc"][-2:].mean())
    assert table[0.5]["gap"][1] == pytest.approx((r["train_acc"] - r["val_acc"])[-2:].mean())
    assert table[0.5]["test"][1] == r["test_acc"] and len(table[0.0]["train"]) == 2
    again = E.dropout_runs(train, val, ps=(0.5,), seeds=(1,), hidden=(16,), epochs=5, batch_size=8,
                           eval_every=2)
    assert np.array_equal(again[0.5, 1]["val_loss"], r["val_loss"]) and again[0.5, 1]["test_acc"] is None
    assert np.isnan(E.dropout_table(again)[0.5]["test"]).all()
    FE.dropout_figure(runs, "t")
    with pytest.raises(ValueError, match="eval_every"):
        E.dropout_runs(train, val, ps=(0.0,), eval_every=0)


def test_show_source_displays_highlighted_code(monkeypatch):
    import IPython.display

    from cnnlib.tools import source
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    source.show_source(A.measured_receptive_field)
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Code)
    assert "def measured_receptive_field" in shown[0].data
