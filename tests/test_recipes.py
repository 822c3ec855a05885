"""The CIFAR-10 recipes' parts: FastCIFARNet, whitening, schedule, lookahead, book checkpoint,
transfer helpers and the chapter-7 widget."""
import pytest
import torch
from torch import nn

from cnnlib import widgets
from cnnlib.nn import models, recipes, transfer


pytestmark = pytest.mark.usefixtures("one_thread")


def test_fast_net_shapes_and_frozen_parts():
    m = models.fast_cifar_net((8, 16, 16), num_classes=7)
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 7)
    assert not m.whiten.weight.requires_grad
    assert all(not b.weight.requires_grad for b in m.modules()
               if isinstance(b, models.FrozenScaleBatchNorm))
    assert all(c.bias is None for c in m.modules() if isinstance(c, models.DiracConv2d))


def test_dirac_init_passes_input_channels_through():
    torch.manual_seed(0)
    conv = models.DiracConv2d(4, 6)
    x = torch.randn(1, 4, 5, 5)
    assert torch.allclose(conv(x)[:, :4], x, atol=1e-6)         # identity filters, no bias
    assert not torch.allclose(conv(x)[:, 4:], torch.zeros(1, 2, 5, 5))


def test_whitening_decorrelates_patches():
    torch.manual_seed(0)
    base = torch.randn(64, 1, 16, 16)
    X = torch.cat([base, 0.5 * base + 0.1 * torch.randn_like(base), torch.randn_like(base)], 1)
    m = models.fast_cifar_net((8, 8, 8))
    m.init_whitening(X, eps=0.0)
    with torch.no_grad():
        Z = nn.functional.conv2d(X, m.whiten.weight[:12])          # the first half (+W)
    Z = Z.permute(1, 0, 2, 3).reshape(12, -1).double()
    cov = Z @ Z.T / Z.shape[1]
    assert torch.allclose(cov, torch.eye(12, dtype=torch.float64), atol=1e-3)
    assert torch.equal(m.whiten.weight[12:], -m.whiten.weight[:12])


def test_triangle_schedule():
    f = recipes.triangle(100, start=0.2, peak_at=0.25, end=0.0)
    assert f(0) == pytest.approx(0.2) and f(25) == pytest.approx(1.0) and f(100) == pytest.approx(0.0)
    assert f(10) < f(20) and f(50) > f(80)


def test_lookahead_pulls_towards_average():
    m = nn.Linear(1, 1, bias=False)
    la = recipes.Lookahead(m, total=10, start=0.0, every=1, decay=0.5, power=0.0)
    with torch.no_grad():
        m.weight.fill_(0.0)
        la({})                               # first call stores the EMA (0)
        m.weight.fill_(1.0)
        la({})                               # rho = 0.5 -> weight becomes 0.5
    assert m.weight.item() == pytest.approx(0.5)


def test_lookahead_ends_on_the_average():
    m = nn.Linear(1, 1, bias=False)
    la = recipes.Lookahead(m, total=3, start=0.0, every=1, decay=0.5, power=0.0)
    with torch.no_grad():
        for w in (0.0, 1.0, 5.0):            # EMA 0 -> 0.5 (weight pulled to it) -> final step
            m.weight.fill_(w)
            la({})
    assert m.weight.item() == pytest.approx(0.5)   # the last step copies the EMA back unchanged


def test_train_book_runs_and_checkpoint_round_trip(tmp_path):
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.arange(64) % 10
    model, hist = recipes.train_book((X, y), (X[:16], y[:16]), mean=(0.5,) * 3, std=(0.25,) * 3,
                                     hyp=dict(epochs=1, batch_size=32, widths=(8, 8, 8)),
                                     progress=False)
    assert hist.epochs == 1 and 0 <= hist.tta["acc"] <= 1
    p = recipes.save_book_model(model, mean=(0.5,) * 3, std=(0.25,) * 3, source="synthetic",
                                path=tmp_path / "b.pt", test_acc=hist.tta["acc"])
    m2, meta = recipes.load_book_model(p)
    assert meta["arch"] == "fast_cifar_net" and meta["config"]["widths"] == [8, 8, 8]
    assert meta["source"] == "synthetic" and len(meta["classes"]) == 10
    x = torch.randn(3, 3, 32, 32)
    assert torch.allclose(model.eval().float()(x), m2(x), atol=1e-6)
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        recipes.train_book((X, y), mean=(0.5,) * 3, std=(0.25,) * 3, hyp=dict(epoch=1))


def test_time_to():
    h = {"test_acc": [0.5, 0.81, 0.9], "time": [10.0, 20.0, 30.0]}
    assert recipes.time_to(h, 0.8) == 20.0 and recipes.time_to(h, 0.95) is None


def test_module_requires_grad_attribute_freezes_nothing():
    m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    m[1].requires_grad = False                       # the lesson's line: only a new attribute
    assert transfer.count_trainable(m) == (20, 20)
    transfer.freeze(m[0])
    assert transfer.count_trainable(m) == (8, 20)
    groups = transfer.param_groups({m[0]: 1e-4, m[1]: 1e-2})
    assert len(groups) == 1 and groups[0]["lr"] == 1e-2
    transfer.unfreeze(m[0])
    assert transfer.count_trainable(m) == (20, 20)
    with pytest.raises(ValueError, match="no trainable"):
        transfer.param_groups({transfer.freeze(m): 1e-3})


def test_new_head_and_frozen_bn():
    m = models.fast_cifar_net((8, 8, 8))
    transfer.new_head(m, 3)
    assert m.fc.out_features == 3 and m.fc.bias is None
    with pytest.raises(TypeError, match="nn.Linear"):
        transfer.new_head(m, 3, attr="pool")
    h = transfer.FrozenBN.attach(m)
    m.train()
    before = m.blocks.block1.norm1.running_mean.clone()
    m(torch.randn(4, 3, 32, 32))
    assert torch.equal(before, m.blocks.block1.norm1.running_mean)
    h.remove()


def test_std_widget_explains_common_mistakes():
    w = widgets.cifar_std_exercise(0.2452, 0.2005, 0.4913)
    cases = {"0.245": "正解", "0.2023": "画像ごとの標準偏差", "0.491": "平均", "62": "0〜1",
             "abc": "数として読めません", "": "空です", "0.3": "ではありません"}
    for text, expected in cases.items():
        assert expected in w.check(text)[1], (text, w.feedback)


# ---------------------------------------------------------------- the build-up's switches
def _tiny(n=32):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g), torch.arange(n) % 10


def _train_tiny(**hyp):
    X, y = _tiny()
    return recipes.train_book((X, y), mean=(0.5,) * 3, std=(0.25,) * 3, progress=False, amp=None,
                              tta=None, hyp=dict(epochs=2, batch_size=8, widths=(4, 8, 8), **hyp))


def test_buildup_goes_from_all_off_to_the_book_recipe_one_change_at_a_time():
    names = [n for n, _ in recipes.BUILDUP]
    assert recipes.buildup_hyp(names[-1]) == recipes.BOOK_HYP        # all on = the book's recipe
    base = recipes.buildup_hyp(0)
    assert not any(base[k] for k in ("whiten", "frozen_bn_scale", "lookahead", "alternating_flip"))
    assert base["bias_scaler"] == 1.0 and base["label_smoothing"] == 0.0
    for k in range(1, len(names)):
        before, after = recipes.buildup_hyp(k - 1), recipes.buildup_hyp(names[k])
        changed = {key for key in after if after[key] != before[key]}
        assert changed == set(dict(recipes.BUILDUP)[names[k]]), names[k]
    assert recipes.buildup_hyp(0, {**recipes.BOOK_HYP, "epochs": 3})["epochs"] == 3


def test_all_switches_on_is_bit_for_bit_the_default_recipe():
    m1, h1 = _train_tiny()
    m2, h2 = _train_tiny(**{k: v for k, v in recipes.BOOK_HYP.items()
                            if k not in ("epochs", "batch_size", "widths")})
    assert h1["train_loss"] == h2["train_loss"]
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))


def test_switches_change_what_is_trained():
    off = recipes.buildup_hyp(0)
    switches = {k: off[k] for k in ("whiten", "frozen_bn_scale", "lookahead", "alternating_flip")}
    m_on, h_on = _train_tiny()
    m_off, h_off = _train_tiny(**switches)
    bn = [m for m in m_off.modules() if isinstance(m, models.FrozenScaleBatchNorm)]
    assert m_off.whiten.weight.requires_grad and all(b.weight.requires_grad for b in bn)
    assert not any(torch.all(b.weight == 1) for b in bn)               # the scales were learned
    assert all(torch.all(b.weight == 1) for b in m_on.modules()
               if isinstance(b, models.FrozenScaleBatchNorm))
    assert h_on["train_loss"] != h_off["train_loss"]
    for k, v in switches.items():                                    # each one alone changes the run
        m = _train_tiny(**{k: v})[0]
        assert not all(torch.equal(a, b) for a, b in zip(m.state_dict().values(),
                                                         m_on.state_dict().values())), k


def test_book_optimizer_scales_only_bn_shifts():
    m = models.fast_cifar_net((4, 8, 8))
    for b in m.modules():
        if isinstance(b, models.FrozenScaleBatchNorm):
            b.weight.requires_grad = True                             # scales trained, as in "base"
    opt = recipes.book_optimizer(m, recipes.BOOK_HYP, 256)
    fast, slow = opt.param_groups
    assert fast["lr"] == pytest.approx(slow["lr"] * recipes.BOOK_HYP["bias_scaler"])
    names = {id(p): n for n, p in m.named_parameters()}
    assert all(names[id(p)].endswith("norm1.bias") or names[id(p)].endswith("norm2.bias")
               for p in fast["params"])
    assert any(names[id(p)].endswith("norm1.weight") for p in slow["params"])
