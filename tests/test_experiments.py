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
def test_bn_lr_figure_draws_every_seed_and_run():
    # chapter 5's runs, built as the page builds them with the book's loop
    from cnnlib.nn.loop import accuracy, train
    (X, y), test = data(32), data(16, seed=1)
    runs = {}
    for seed in (0, 1):
        for bn in (False, True):
            torch.manual_seed(seed)
            model = M.SimpleCNN(1, (4, 8), batch_norm=bn, input_size=12)
            losses = train(model, (X, y), epochs=1, lr=0.01, batch_size=8, seed=seed)
            runs[seed, 0.01, bn] = {"loss": np.array(losses), "test_acc": accuracy(model, test)}
    runs[0, 1.0, False] = {"loss": np.array([2.3, np.nan, np.nan]), "test_acc": 0.1}
    fig = FE.bn_lr_figure(runs, smooth=2)
    assert [ax.get_title() for ax in fig.axes] == ["学習率 0.01", "学習率 1.0"]
    assert len(fig.axes[0].lines) == 4                    # 2 seeds x (with, without BN)
    assert [line.get_linestyle() for line in fig.axes[0].lines] == ["-", "-", "--", "--"]
    assert len(fig.axes[1].lines) == 1 and "NaN" in fig.axes[1].get_legend().get_texts()[0].get_text()
    assert len(fig.axes[0].lines[0].get_xdata()) == 4 - 2 + 1     # 4 steps, moving average of 2
    short = FE.bn_lr_figure({(0, 0.1, True): {"loss": [1.0, 0.5], "test_acc": 0.5}}, smooth=20)
    assert len(short.axes[0].lines[0].get_xdata()) == 2  # fewer steps than the window: raw losses


def _dropout_runs(ps=(0.0, 0.5), seeds=(0, 1), epochs=4, every=2):
    """Chapter 6's runs, built as the page builds them with the book's loop (tiny data)."""
    from cnnlib.nn.loop import accuracy, train
    (X, y), val, test = data(24), data(16, seed=1), data(20, seed=2)
    runs = {}
    for p in ps:
        for seed in seeds:
            torch.manual_seed(seed)
            model = M.MLP(144, (16,), 10, dropout=p)
            opt = torch.optim.Adam(model.parameters(), lr=1e-2)
            rec = {"epoch": [], "train_acc": [], "val_acc": [], "val_loss": []}
            for done in range(every, epochs + 1, every):
                train(model, (X, y), epochs=every, batch_size=8, optimizer=opt, seed=1000 * seed + done)
                rec["epoch"].append(done)
                rec["train_acc"].append(accuracy(model, (X, y)))
                rec["val_acc"].append(accuracy(model, val))
                with torch.no_grad():
                    rec["val_loss"].append(torch.nn.functional.cross_entropy(model(val[0]), val[1]).item())
            runs[p, seed] = {**{k: np.array(v) for k, v in rec.items()},
                             "test_acc": accuracy(model, test), "model": model}
    return runs


def test_dropout_table_averages_the_last_evaluations_per_seed():
    runs = _dropout_runs()
    table = E.dropout_table(runs, last=2)
    assert set(table) == {0.0, 0.5} and all(len(v) == 2 for v in table[0.5].values())
    r = runs[0.5, 1]
    assert table[0.5]["val"][1] == pytest.approx(r["val_acc"][-2:].mean())
    assert table[0.5]["gap"][1] == pytest.approx((r["train_acc"] - r["val_acc"])[-2:].mean())
    assert table[0.5]["val_loss"][1] == pytest.approx(r["val_loss"][-2:].mean())
    assert table[0.5]["test"][1] == r["test_acc"]
    assert E.dropout_table(runs)[0.0]["train"][0] == pytest.approx(runs[0.0, 0]["train_acc"][-1])   # last=1
    hand = {(0.3, 0): {"epoch": [1, 2], "train_acc": [0.5, 1.0], "val_acc": [0.25, 0.75],
                       "val_loss": [2.0, 1.0], "test_acc": None}}
    row = E.dropout_table(hand, last=2)[0.3]
    assert row["train"].tolist() == [0.75] and row["gap"].tolist() == [0.25]
    assert row["val_loss"].tolist() == [1.5] and np.isnan(row["test"]).all()
    uneven = {**hand, (0.3, 1): {**hand[0.3, 0], "epoch": [1], "train_acc": [1.0], "val_acc": [1.0],
                                 "val_loss": [1.0]}}
    with pytest.raises(ValueError, match="equally often"):
        E.dropout_table(uneven)


def test_dropout_figure_draws_mean_and_band_per_p():
    runs = _dropout_runs()
    fig = FE.dropout_figure(runs, "t")
    acc, gap, loss = fig.axes[:3]
    assert len(acc.lines) == 4 and len(gap.lines) == len(loss.lines) == 2    # train + val per p
    mean_val = np.mean([runs[0.5, s]["val_acc"] for s in (0, 1)], axis=0)
    assert np.allclose(acc.lines[3].get_ydata(), mean_val)
    assert list(acc.lines[3].get_xdata()) == [2, 4]
    assert len(acc.collections) == 4                      # a min-max band per curve
    lowest = min(min(r["train_acc"].min(), r["val_acc"].min()) for r in runs.values())
    assert lowest - 0.02 <= acc.get_ylim()[0] <= lowest and acc.get_ylim()[1] > 1


def test_show_source_displays_highlighted_code(monkeypatch):
    import IPython.display

    from cnnlib.tools import source
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    source.show_source(A.measured_receptive_field)
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Code)
    assert "def measured_receptive_field" in shown[0].data
