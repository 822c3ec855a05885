"""cnnlib.nn.cam: Grad-CAM / Grad-CAM++ against hand computations, hygiene (hooks, memory,
training flags), shapes and ranges, occlusion, and clear errors. float64 throughout."""
import gc
import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn as nn

from cnnlib.figures.cam import overlay, plot_feature_maps, plot_filters, plot_overlays
from cnnlib.nn.cam import (GradCAM, GradCAMPlusPlus, capture_activations, compose_filters,
                           filters_rgb, occlusion, randomize_weights, scale_maps, spearman,
                           upsample_and_scale)
from cnnlib.scratch import functional as Fn

TOL = 1e-12  # float64 everywhere; the maps are a handful of multiply-adds


def tiny_model(conv_w, conv_b, lin_w, lin_b=None):
    """conv(3x3, pad 1) -> global average pool -> linear, with the given float64 weights."""
    F_, C = conv_w.shape[:2]
    model = nn.Sequential(nn.Conv2d(C, F_, 3, padding=1), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(F_, lin_w.shape[0])).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(conv_w))
        model[0].bias.copy_(torch.as_tensor(conv_b))
        model[3].weight.copy_(torch.as_tensor(lin_w))
        model[3].bias.copy_(torch.as_tensor(np.zeros(lin_w.shape[0]) if lin_b is None else lin_b))
    return model


def identity_model():
    """A_0 = x + 0.5, A_1 = -0.5 x (centre-tap kernels); scores = W @ mean(A)."""
    w = np.zeros((2, 1, 3, 3))
    w[0, 0, 1, 1], w[1, 0, 1, 1] = 1.0, -0.5
    W = np.array([[1.0, 0.5], [-1.0, 1.0], [0.3, -0.2]])
    return tiny_model(w, np.array([0.5, 0.0]), W), W


def all_hooks(model):
    """Every module hook dict that should be empty after Grad-CAM is done."""
    return [(name, kind) for name, m in model.named_modules()
            for kind in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                         "_backward_pre_hooks") if len(getattr(m, kind))]


@pytest.fixture
def x5():
    g = torch.Generator().manual_seed(0)
    return torch.rand(5, 1, 6, 7, generator=g, dtype=torch.float64)


# ---------------------------------------------------------------- hand computations

def test_gradcam_by_hand_identity_kernels(x5):
    """Centre-tap kernels make A analytic: A_0 = x + .5, A_1 = -.5 x; dy_c/dA_k = W_ck / (HW)."""
    model, W = identity_model()
    HW = 6 * 7
    for c in range(3):
        maps = GradCAM(model, model[0])(x5, c)
        a = W[c] / HW                                       # channel weights, by hand
        s = a[0] * (x5[:, 0].numpy() + 0.5) + a[1] * (-0.5 * x5[:, 0].numpy())
        ref = np.maximum(s, 0)
        peak = ref.reshape(5, -1).max(1)[:, None, None]
        ref = np.where(peak > 0, ref / np.where(peak > 0, peak, 1), 0)
        np.testing.assert_allclose(maps.numpy(), ref, rtol=0, atol=TOL)


def test_gradcam_by_hand_random_weights_with_numpy_conv():
    """Generic weights: A from cnnlib.scratch.functional.conv2d (NumPy), weights = averaged gradients."""
    rng = np.random.default_rng(1)
    w, b, W = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4), rng.normal(size=(5, 4))
    model = tiny_model(w, b, W)
    x = rng.normal(size=(3, 2, 5, 5))
    c = [0, 3, 4]
    cam = GradCAM(model, "0")
    maps = cam(torch.as_tensor(x), c)
    A = Fn.conv2d(x, w, b, padding=1)                       # (3, 4, 5, 5)
    G = W[c][:, :, None, None] / 25 * np.ones_like(A)        # d mean(A_k) / dA_kij = 1/25
    alpha = G.mean(axis=(2, 3))
    raw = np.maximum((alpha[:, :, None, None] * A).sum(1), 0)
    np.testing.assert_allclose(cam.activations.numpy(), A, atol=1e-12)
    np.testing.assert_allclose(cam.gradients.numpy(), G, atol=TOL)
    np.testing.assert_allclose(cam.weights.numpy(), alpha, atol=TOL)
    np.testing.assert_allclose(cam.raw.numpy(), raw, atol=1e-12)
    np.testing.assert_allclose(maps.numpy(), raw / raw.reshape(3, -1).max(1)[:, None, None],
                               atol=1e-12)
    np.testing.assert_allclose(cam.logits.numpy(), A.mean(axis=(2, 3)) @ W.T, atol=1e-12)


def test_gradcam_plus_plus_by_hand(x5):
    """Constant gradients g_k = W_ck/HW give alpha = 1 / (2 + S_k g_k), w_k = HW relu(g_k) alpha."""
    model, W = identity_model()
    HW = 42
    cam = GradCAMPlusPlus(model, model[0])
    maps = cam(x5, 0)
    A = np.stack([x5[:, 0].numpy() + 0.5, -0.5 * x5[:, 0].numpy()], 1)
    g = W[0] / HW
    S = A.sum(axis=(2, 3))                                   # (5, 2)
    w = HW * np.maximum(g, 0) / (2 + S * g)
    np.testing.assert_allclose(cam.weights.numpy(), w, atol=TOL)
    raw = np.maximum((w[:, :, None, None] * A).sum(1), 0)
    np.testing.assert_allclose(maps.numpy(), raw / raw.reshape(5, -1).max(1)[:, None, None],
                               atol=1e-12)


def test_gradcam_plus_plus_equals_gradcam_for_one_positive_channel(x5):
    """With one channel of positive weight, both methods give the same (scaled) map."""
    model, _ = identity_model()
    with torch.no_grad():
        model[3].weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    a = GradCAM(model, "0")(x5, 0)
    b = GradCAMPlusPlus(model, "0")(x5, 0)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_upsampling_bilinear_by_hand():
    """[0, 1] -> 4 columns with half-pixel centres: 0, .25, .75, 1; then divided by the max."""
    up = upsample_and_scale(torch.tensor([[[0.0, 2.0]]], dtype=torch.float64), (1, 4))
    np.testing.assert_allclose(up.numpy(), [[[0.0, 0.25, 0.75, 1.0]]], atol=TOL)


def test_batch_equals_single_images(x5):
    """Each image of a batch gets its own map (the lesson only used sample 0)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                          nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(6, 3)).double()
    cam = GradCAM(model, "2")
    batch = cam(x5, [0, 1, 2, 0, 1])
    for i, c in enumerate([0, 1, 2, 0, 1]):
        torch.testing.assert_close(batch[i], cam(x5[i:i + 1], c)[0], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- shapes, ranges, targets

def small_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)).double()


@pytest.mark.parametrize("cls", [GradCAM, GradCAMPlusPlus])
@pytest.mark.parametrize("target", [None, 3, [0, 1, 2, 3, 9, 9], torch.arange(6), np.int64(7)])
def test_shapes_and_ranges(cls, target):
    model = small_cnn()
    x = torch.randn(6, 3, 12, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    cam = cls(model, "3")
    maps = cam(x, target)
    assert maps.shape == (6, 12, 10) and maps.dtype == torch.float64
    assert torch.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1
    peaks = maps.flatten(1).amax(1)
    assert torch.all((peaks == 1) | (peaks == 0))
    assert cam.logits.shape == (6, 10) and cam.targets.shape == (6,)
    if target is None:
        assert torch.equal(cam.targets, cam.logits.argmax(1))
    torch.testing.assert_close(cam.probs.sum(1), torch.ones(6))


def test_all_zero_map_stays_zero_without_nan(x5):
    """Weights that make the weighted sum negative everywhere: map is 0, never NaN."""
    model, _ = identity_model()
    with torch.no_grad():
        model[3].weight.copy_(torch.tensor([[-1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    maps = GradCAM(model, "0")(x5, 0)                        # -(x + .5) < 0 for x in [0, 1]
    assert torch.equal(maps, torch.zeros_like(maps))
    maps = GradCAMPlusPlus(model, "0")(x5, 0)                # no positive gradient at all
    assert torch.equal(maps, torch.zeros_like(maps))


def test_inplace_relu_after_target_layer_keeps_pre_relu_activation():
    """The activation saved is the layer's own output, not the one a later ReLU_ overwrote."""
    model = small_cnn()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    cam = GradCAM(model, "0")
    cam(x)
    ref = model[0](x)
    torch.testing.assert_close(cam.activations, ref.detach(), rtol=0, atol=1e-12)
    assert (cam.activations < 0).any()


def test_no_param_grads_and_no_grad_context():
    """Grad-CAM works inside torch.no_grad() and never fills parameter .grad."""
    model = small_cnn()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        maps = GradCAM(model, "3")(x)
    assert maps.max() == 1
    assert all(p.grad is None for p in model.parameters())


def test_frozen_model_still_works():
    """With every parameter frozen (transfer learning) the activation still gets a gradient."""
    model = small_cnn().requires_grad_(False)
    maps = GradCAM(model, "3")(torch.randn(2, 3, 8, 8, dtype=torch.float64))
    assert maps.shape == (2, 8, 8) and maps.max() == 1


# ---------------------------------------------------------------- hygiene

def test_no_hooks_left_and_training_flags_restored():
    model = small_cnn()
    model.train()
    model[4].eval()                                          # a frozen BN: mixed flags
    flags = [m.training for m in model.modules()]
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    GradCAM(model, "3")(x)                                   # direct call
    assert all_hooks(model) == [] and [m.training for m in model.modules()] == flags
    with GradCAMPlusPlus(model, model[3]) as cam:
        cam(x)
        assert len(model[3]._forward_hooks) == 1 and not model.training
        y = model(x)                                         # a plain forward is not altered
        assert y.requires_grad and cam.logits is not None
    assert all_hooks(model) == [] and [m.training for m in model.modules()] == flags
    cam = GradCAM(model, "3")
    cam.__enter__()
    cam.close()
    cam.close()
    assert all_hooks(model) == [] and [m.training for m in model.modules()] == flags
    with pytest.raises(ValueError):
        GradCAM(model, "3")(x, 99)                           # error inside the call
    assert all_hooks(model) == [] and [m.training for m in model.modules()] == flags
    with pytest.raises(ValueError):
        with GradCAM(model, "3") as cam:
            cam(x, 99)
    assert all_hooks(model) == [] and [m.training for m in model.modules()] == flags


def live_tensors():
    """(number of live tensors, number of them carrying backward hooks)."""
    gc.collect()
    ts = [o for o in gc.get_objects() if issubclass(type(o), torch.Tensor)]
    return len(ts), sum(1 for t in ts if t._backward_hooks)


def test_repeated_calls_leave_memory_flat():
    """100 calls: no growth in live tensors, tensor hooks, or Python allocations (50 kB)."""
    model = small_cnn()
    x = torch.randn(4, 3, 16, 16, dtype=torch.float64)
    with GradCAM(model, "3") as cam:
        for _ in range(3):
            cam(x)                                           # warm-up (result attributes)
        n0, h0 = live_tensors()
        tracemalloc.start()
        m0 = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            cam(x)
        gc.collect()
        m1 = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        n1, h1 = live_tensors()
    assert n1 <= n0 and h1 == h0 == 0
    assert m1 - m0 < 50_000, f"Python memory grew by {m1 - m0} bytes over 100 calls"


# ---------------------------------------------------------------- occlusion

class RegionModel(nn.Module):
    """Two logits: (sum of x over rows 2..4, cols 5..7 of channel 0, 0) - depends on one region."""

    def forward(self, x):
        s = x[:, 0, 2:5, 5:8].sum((1, 2))
        return torch.stack([s, torch.zeros_like(s)], 1)


def occlusion_by_loops(model, x, t, size, stride, fill):
    """Reference: one occluded image at a time, plain loops."""
    B, _, H, W = x.shape
    rows = list(range(0, H - size + 1, stride))
    rows += [] if rows[-1] == H - size else [H - size]
    cols = list(range(0, W - size + 1, stride))
    cols += [] if cols[-1] == W - size else [W - size]
    heat, count = np.zeros((B, H, W)), np.zeros((H, W))
    for b in range(B):
        p0 = model(x[b:b + 1]).softmax(1)[0, t].item()
        for r in rows:
            for c in cols:
                xo = x[b:b + 1].clone()
                xo[:, :, r:r + size, c:c + size] = fill
                heat[b, r:r + size, c:c + size] += p0 - model(xo).softmax(1)[0, t].item()
                if b == 0:
                    count[r:r + size, c:c + size] += 1
    return heat / count


def test_occlusion_matches_loops_and_is_local():
    x = torch.rand(3, 2, 11, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    model = RegionModel()
    heat = occlusion(model, x, 0, size=3, stride=2, fill=0.0, batch_size=7)
    ref = occlusion_by_loops(model, x, 0, 3, 2, 0.0)
    np.testing.assert_allclose(heat.numpy(), ref, atol=1e-6)   # softmax in float32
    # only pixels whose covering patches touch the region (rows 2..4, cols 5..7) respond
    far = torch.ones(11, 12, dtype=torch.bool)
    far[0:7, 3:10] = False
    assert heat[:, far].abs().max() == 0
    assert (heat[:, 2:5, 5:8] > 0).all()                     # covering x >= 0 lowers class 0


def test_occlusion_predicted_class_and_per_channel_fill():
    x = torch.rand(2, 2, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    heat = occlusion(RegionModel(), x, size=4, stride=4, fill=[0.0, 5.0])
    assert heat.shape == (2, 8, 8) and torch.isfinite(heat).all()


# ---------------------------------------------------------------- helpers

def test_overlay_blends_and_validates():
    img = np.full((4, 5, 3), 0.5)
    cam = np.zeros((4, 5))
    out = overlay(img, cam, alpha=0.0)
    np.testing.assert_allclose(out, img)
    out = overlay(torch.full((3, 4, 5), 0.5), torch.ones(4, 5), alpha=1.0)
    np.testing.assert_allclose(out[0, 0], [0.5, 0.0, 0.0], atol=1e-12)  # jet(1) = dark red
    with pytest.raises(ValueError, match="must match"):
        overlay(img, np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        overlay(img * 3, cam)
    with pytest.raises(ValueError, match="alpha"):
        overlay(img, cam, alpha=2)
    with pytest.raises(ValueError, match="RGB"):
        overlay(np.zeros((4, 5)), cam)


def test_spearman_known_values():
    a = torch.arange(12.0).reshape(3, 4)
    assert spearman(a, a * 2 + 1) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    # ties by hand: x = (1, 2, 2, 3) ranks (1, 2.5, 2.5, 4); y = (1, 3, 2, 4) ranks (1, 3, 2, 4)
    x, y = np.array([[1.0, 2.0], [2.0, 3.0]]), np.array([[1.0, 3.0], [2.0, 4.0]])
    rx, ry = np.array([-1.5, 0, 0, 1.5]), np.array([-1.5, 0.5, -0.5, 1.5])
    ref = (rx * ry).sum() / np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    assert spearman(x, y) == pytest.approx(ref, abs=1e-15)
    assert np.isnan(spearman(np.zeros((2, 2)), y))
    assert spearman(np.stack([x, x]), np.stack([y, x])).shape == (2,)


def test_capture_activations_values_and_hygiene():
    model = small_cnn()
    model.train()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    acts = capture_activations(model, x, {"c1": "0", "c2": model[3]})
    model.eval()
    ref1 = model[0](x)
    torch.testing.assert_close(acts["c1"], ref1.detach(), rtol=0, atol=1e-12)
    assert acts["c2"].shape == (2, 8, 4, 4)
    assert all_hooks(model) == []
    assert list(capture_activations(model, x, ["0"])) == ["0"]


@pytest.mark.parametrize("init", ["normal", "reset"])
def test_randomize_weights_copies_and_reinitialises(init):
    model = small_cnn()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rnd = randomize_weights(model, ["8", "3"], seed=0, init=init)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    sd = rnd.state_dict()
    assert not torch.equal(sd["8.weight"], before["8.weight"])
    assert not torch.equal(sd["3.weight"], before["3.weight"])
    assert torch.equal(sd["0.weight"], before["0.weight"])
    again = randomize_weights(model, ["8", "3"], seed=0, init=init).state_dict()
    assert all(torch.equal(sd[k], again[k]) for k in sd)
    with pytest.raises(ValueError, match="no parameters"):
        randomize_weights(model, ["1"], init=init)
    with pytest.raises(ValueError, match="no layer named"):
        randomize_weights(model, ["conv9"], init=init)


def test_randomize_weights_normal_keeps_scale():
    model = nn.Sequential(nn.Linear(200, 300)).double()
    with torch.no_grad():
        model[0].weight.mul_(5).add_(1)
    w = model[0].weight.detach()
    r = randomize_weights(model, ["0"], seed=1)[0].weight.detach()
    assert abs(float(r.mean() - w.mean())) < 0.05 * float(w.std())
    assert abs(float(r.std() / w.std()) - 1) < 0.02
    assert abs(float(torch.corrcoef(torch.stack([r.flatten(), w.flatten()]))[0, 1])) < 0.02
    with pytest.raises(ValueError, match="init must be"):
        randomize_weights(model, ["0"], init="zeros")


# ---------------------------------------------------------------- errors

def test_bad_layers():
    model = small_cnn()
    with pytest.raises(ValueError, match=r"no layer named 'conv1'.*\['0', '3'\]"):
        GradCAM(model, "conv1")
    with pytest.raises(ValueError, match="not a submodule"):
        GradCAM(model, nn.Conv2d(3, 4, 3))
    with pytest.raises(TypeError, match="nn.Module or a dotted name"):
        GradCAM(model, 3)
    with pytest.raises(TypeError, match="nn.Module"):
        GradCAM("model", "0")


def test_bad_class_indices():
    model = small_cnn()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    cam = GradCAM(model, "3")
    with pytest.raises(ValueError, match=r"class index 10 is out of range.*10 classes \(0..9\)"):
        cam(x, 10)
    with pytest.raises(ValueError, match="class index -1 is out of range"):
        cam(x, [0, -1])
    with pytest.raises(ValueError, match="one per image"):
        cam(x, [0, 1, 2])
    with pytest.raises(TypeError, match="integers"):
        cam(x, [0.5, 1.0])
    with pytest.raises(TypeError, match="bool"):
        cam(x, True)
    with pytest.raises(TypeError, match="class index must be"):
        cam(x, "cat")


def test_bad_inputs():
    model = small_cnn()
    cam = GradCAM(model, "3")
    with pytest.raises(TypeError, match="torch.Tensor"):
        cam(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="unsqueeze"):
        cam(torch.zeros(3, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="expects 3 input channels, x has 1"):
        cam(torch.zeros(2, 1, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match="floating-point"):
        cam(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="empty batch"):
        cam(torch.zeros(0, 3, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="patch size 9"):
        occlusion(model, torch.zeros(1, 3, 8, 8, dtype=torch.float64), size=9)
    with pytest.raises(ValueError, match="one value per channel"):
        occlusion(model, torch.zeros(1, 3, 8, 8, dtype=torch.float64), fill=[0, 1])
    with pytest.raises(ValueError, match=r"stride must be positive \(>= 1\)"):
        occlusion(model, torch.zeros(1, 3, 8, 8, dtype=torch.float64), stride=0)
    assert all_hooks(model) == []


def test_layer_that_runs_twice_or_never():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)
            self.unused = nn.Conv2d(2, 2, 1)
            self.fc = nn.Linear(2, 3)

        def forward(self, x):
            return self.fc(self.conv(self.conv(x)).mean((2, 3)))

    model = Twice().double()
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="ran 2 times"):
        GradCAM(model, "conv")(x)
    with pytest.raises(ValueError, match="ran 0 times"):
        GradCAM(model, "unused")(x)
    assert all_hooks(model) == []


def test_model_must_return_class_scores():
    model = nn.Sequential(nn.Conv2d(1, 2, 3)).double()
    with pytest.raises(ValueError, match=r"class scores of shape \(B, K\)"):
        GradCAM(model, "0")(torch.zeros(1, 1, 5, 5, dtype=torch.float64))


# ---------------------------------------------------------------- figures

def test_filters_rgb_scales_each_filter():
    w = torch.zeros(2, 3, 2, 2, dtype=torch.float64)
    w[0, 0, 0, 0], w[0, 2, 1, 1] = -2.0, 2.0                  # filter 0 spans [-2, 2]
    img = filters_rgb(w)                                        # filter 1 is constant
    assert img.shape == (2, 2, 2, 3)
    assert img[0, 0, 0, 0] == 0 and img[0, 1, 1, 2] == 1 and img[0, 0, 1, 1] == 0.5
    assert np.all(img[1] == 0.5)
    with pytest.raises(ValueError, match="RGB filters"):
        filters_rgb(torch.zeros(2, 1, 3, 3))


def test_scale_maps():
    m = torch.tensor([[[-1.0, 2.0], [0.5, 1.0]], [[-1.0, 0.0], [0.0, -3.0]]], dtype=torch.float64)
    np.testing.assert_allclose(scale_maps(m).numpy(), [[[0, 1], [0.25, 0.5]], [[0, 0], [0, 0]]])


def test_plots_return_figures():
    import matplotlib.pyplot as plt
    model = small_cnn()
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    acts = capture_activations(model, x, {"a": "0", "b": "3"})
    fig = plot_feature_maps({k: v[0] for k, v in acts.items()}, n=3, image=x[0])
    assert len(fig.axes) == 2 * 4
    fig2 = plot_filters(model[0].weight, ncols=2)
    assert len(fig2.axes) == 4
    maps = GradCAM(model, "3")(x)
    fig3 = plot_overlays(x, {"Grad-CAM": maps, "同じ": maps}, row_titles=["1", "2"])
    assert len(fig3.axes) == 2 * 3
    plt.close("all")


def test_compose_filters_equals_two_convs():
    g = torch.Generator().manual_seed(5)
    inner = torch.randn(4, 3, 2, 2, dtype=torch.float64, generator=g)
    outer = torch.randn(5, 4, 3, 3, dtype=torch.float64, generator=g)
    x = torch.randn(2, 3, 9, 8, dtype=torch.float64, generator=g)
    K = compose_filters(outer, inner)
    assert K.shape == (5, 3, 4, 4)
    two = torch.nn.functional.conv2d(torch.nn.functional.conv2d(x, inner), outer)
    torch.testing.assert_close(torch.nn.functional.conv2d(x, K), two, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="outer"):
        compose_filters(outer, inner[:3])
