"""cnnlib.scratch.layers against PyTorch (float64), whole-network gradient check, optimizers, shapes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from cnnlib.figures import scratch as figs
from cnnlib.nn import twin as TW
from cnnlib.scratch import layers as L
from cnnlib.scratch import train as scratch
from cnnlib.tools import source
from cnnlib.scratch.gradcheck import numerical_gradient, relative_error

TOL = 1e-10   # float64 layer vs torch: both compute the same sums, only the order differs


def rng(seed=0):
    return np.random.default_rng(seed)


def t(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def check_layer(layer, x, torch_fn, seed=1):
    """Forward and backward of a NumPy layer equal torch's within TOL (float64)."""
    y = layer.forward(x)
    dy = rng(seed).standard_normal(y.shape)
    dx = layer.backward(dy)
    xt = t(x)
    yt = torch_fn(xt)
    yt.backward(torch.tensor(dy))
    assert y.shape == tuple(yt.shape)
    assert relative_error(y, yt.detach().numpy()) < TOL
    assert relative_error(dx, xt.grad.numpy()) < TOL
    return dy


@pytest.mark.parametrize("k,s,p", [(3, 1, 0), (3, 1, 1), (5, 2, 2), ((2, 3), (2, 1), (1, 0))])
def test_conv2d_matches_torch(k, s, p):
    layer = L.Conv2d(3, 4, k, stride=s, padding=p, seed=0, dtype=np.float64)
    layer.params["b"] = rng(2).standard_normal(4)
    x = rng(3).standard_normal((2, 3, 9, 8))
    W, b = t(layer.params["W"]), t(layer.params["b"])
    check_layer(layer, x, lambda xt: tF.conv2d(xt, W, b, stride=s, padding=p))
    assert relative_error(layer.grads["W"], W.grad.numpy()) < TOL
    assert relative_error(layer.grads["b"], b.grad.numpy()) < TOL


def test_he_init_scale():
    W = L.Conv2d(16, 64, 3, seed=0).params["W"]
    assert W.dtype == np.float32
    assert abs(W.std() - np.sqrt(2 / (16 * 9))) < 0.05 * np.sqrt(2 / (16 * 9))


def test_relu_flatten_match_torch():
    x = rng().standard_normal((2, 3, 4, 5))
    check_layer(L.ReLU(), x, torch.relu)
    check_layer(L.Flatten(), x, lambda xt: torch.flatten(xt, 1))


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 0), (2, 1, 0), (3, 2, 1), ((2, 3), (1, 2), 1)])
def test_pooling_matches_torch(k, s, p):
    x = rng().standard_normal((2, 3, 7, 8))
    check_layer(L.MaxPool2d(k, s, p), x, lambda xt: tF.max_pool2d(xt, k, s, p))
    check_layer(L.AvgPool2d(k, s, p), x, lambda xt: tF.avg_pool2d(xt, k, s, p))


def test_maxpool_overlapping_windows_add_and_ties_go_to_first():
    x = np.array([[[[0., 1, 0], [0, 5, 0], [0, 0, 0]]]])        # 5 wins all four 2x2/s1 windows
    pool = L.MaxPool2d(2, 1)
    pool.forward(x)
    dx = pool.backward(np.ones((1, 1, 2, 2)))
    assert dx[0, 0, 1, 1] == 4 and dx.sum() == 4
    tie = np.ones((1, 1, 2, 2))
    pool = L.MaxPool2d(2)
    pool.forward(tie)
    xt = t(tie)
    tF.max_pool2d(xt, 2).sum().backward()
    assert np.array_equal(pool.backward(np.ones((1, 1, 1, 1))), xt.grad.numpy())


def test_global_avg_pool_matches_torch():
    x = rng().standard_normal((2, 3, 4, 5))
    check_layer(L.GlobalAvgPool2d(), x, lambda xt: xt.mean(dim=(2, 3)))


def test_linear_matches_torch():
    layer = L.Linear(6, 4, seed=0, dtype=np.float64)
    layer.params["b"] = rng(2).standard_normal(4)
    W, b = t(layer.params["W"]), t(layer.params["b"])
    check_layer(layer, rng(3).standard_normal((5, 6)), lambda xt: tF.linear(xt, W, b))
    assert relative_error(layer.grads["W"], W.grad.numpy()) < TOL
    assert relative_error(layer.grads["b"], b.grad.numpy()) < TOL


def test_softmax_cross_entropy_matches_torch():
    logits, labels = rng().standard_normal((7, 5)) * 10, rng(1).integers(0, 5, 7)
    crit = L.SoftmaxCrossEntropy()
    loss = crit(logits, labels)
    lt = t(logits)
    ref = tF.cross_entropy(lt, torch.tensor(labels))
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    assert relative_error(crit.backward(), lt.grad.numpy()) < TOL
    with pytest.raises(ValueError, match="labels must be integers"):
        crit(logits, np.full(7, 5))


def test_dropout_inverted_scaling_and_eval_identity():
    p, x = 0.3, np.full((200, 500), 2.0)
    drop = L.Dropout(p, seed=0)
    y = drop.forward(x)
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 0.005               # 100,000 draws: sd 0.0014
    assert np.allclose(y[kept], 2.0 / (1 - p))              # survivors scaled by 1/(1-p)
    assert abs(y.mean() - 2.0) < 0.02                       # E[y] = x
    assert np.array_equal(drop.backward(np.ones_like(x)) != 0, kept)
    drop.training = False
    assert drop.forward(x) is x and drop.backward(x) is x
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        L.Dropout(1.0)


def tiny_net():
    return L.Sequential(
        L.Conv2d(2, 3, 3, padding=1, seed=0), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(3, 4, 3, stride=1, seed=1), L.ReLU(), L.AvgPool2d(2, 1),
        L.Flatten(), L.Linear(4, 5, seed=2), L.ReLU(), L.Linear(5, 3, seed=3),
        input_shape=(2, 8, 8)).astype(np.float64)


def test_whole_network_gradient_check():
    net, crit = tiny_net(), L.SoftmaxCrossEntropy()
    for layer in net.layers:                                 # non-zero biases: all terms tested
        if "b" in layer.params:
            layer.params["b"] = rng(9).standard_normal(layer.params["b"].shape) * 0.1
    x, labels = rng(4).standard_normal((3, 2, 8, 8)), np.array([0, 2, 1])

    def loss(_=None):
        return crit(net.forward(x), labels)

    loss()
    dx = net.backward(crit.backward())
    errors = [relative_error(dx, numerical_gradient(loss, x))]
    for layer in net.layers:
        for name, param in layer.params.items():
            errors.append(relative_error(layer.grads[name], numerical_gradient(loss, param)))
    assert len(errors) == 9 and max(errors) <= 1e-6, errors


def test_sequential_catches_bad_shapes_before_training():
    with pytest.raises(ValueError, match=r"layer 0 Conv2d\(3, 8.*expects 3 input channels.*\(1, 28, 28\)"):
        L.Sequential(L.Conv2d(3, 8, 3), input_shape=(1, 28, 28))
    bad = L.Sequential(L.Conv2d(1, 4, 3), L.ReLU(), L.MaxPool2d(2), L.Flatten(), L.Linear(100, 10))
    with pytest.raises(ValueError, match=r"layer 4 Linear\(100, 10\).*expects 100.*\(676,\)") as err:
        bad.check((1, 28, 28))
    assert "[3] Flatten (676,)" in str(err.value)             # the trail shows where 676 came from
    with pytest.raises(ValueError, match="layer 1 Linear.*put Flatten"):
        L.Sequential(L.Conv2d(1, 4, 3), L.Linear(4, 2)).check((1, 8, 8))
    with pytest.raises(ValueError, match="layer 2 MaxPool2d.*does not fit input"):
        L.Sequential(L.Conv2d(1, 1, 3), L.ReLU(), L.MaxPool2d(5)).check((1, 6, 6))
    with pytest.raises(ValueError, match="layer 0 Conv2d.*expects per-sample input"):
        scratch.small_cnn().forward(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(TypeError, match="layer 1 must be"):
        L.Sequential(L.ReLU(), "relu")


def test_fit_refuses_mismatched_data_before_training():
    net = scratch.small_cnn()
    X, y = np.zeros((4, 1, 32, 32), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"layer 7 Linear\(784, 10\).*\(1024,\)"):
        scratch.fit_numpy(net, X, y, L.SGD(net, 0.1), progress=False)


def _optimizer_run(make_np, make_torch, steps=5):
    layer = L.Linear(4, 3, seed=0, dtype=np.float64)
    W, b = t(layer.params["W"]), t(layer.params["b"])
    opt_np, opt_t = make_np([layer]), make_torch([W, b])
    for i in range(steps):
        gW, gb = rng(10 + i).standard_normal((3, 4)), rng(20 + i).standard_normal(3)
        layer.grads.update(W=gW, b=gb)
        opt_np.step()
        W.grad, b.grad = torch.tensor(gW), torch.tensor(gb)
        opt_t.step()
    assert relative_error(layer.params["W"], W.detach().numpy()) < 1e-12
    assert relative_error(layer.params["b"], b.detach().numpy()) < 1e-12


def test_sgd_momentum_matches_torch():
    _optimizer_run(lambda m: L.SGD(m, lr=0.1, momentum=0.9, weight_decay=0.01),
                   lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01))
    _optimizer_run(lambda m: L.SGD(m, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1))


def test_adam_matches_torch():
    _optimizer_run(lambda m: L.Adam(m, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01))
    _optimizer_run(lambda m: L.Adam(m, lr=0.003, betas=(0.8, 0.99), weight_decay=0.1),
                   lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.8, 0.99), weight_decay=0.1))


def test_optimizer_needs_gradients():
    with pytest.raises(ValueError, match="call backward"):
        L.SGD([L.Linear(2, 2)], lr=0.1).step()
    with pytest.raises(ValueError, match="lr must be"):
        L.Adam([L.Linear(2, 2)], lr=0)


def test_torch_twin_computes_the_same_function():
    net = scratch.small_cnn(kernel_size=5, hidden=16).astype(np.float64)
    twin = TW.torch_twin(net).double()
    x = rng().random((3, 1, 28, 28))
    assert relative_error(net.predict(x), twin(torch.tensor(x)).detach().numpy()) < 1e-10
    assert net.num_params == sum(p.numel() for p in twin.parameters())


def test_short_training_lowers_the_loss():
    r = rng()
    X = r.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = (X[:, 0, :14].sum(axis=(1, 2)) > X[:, 0, 14:].sum(axis=(1, 2))).astype(np.int64)
    net = scratch.small_cnn(channels=(2, 4), num_classes=2)
    before = scratch.evaluate_numpy(net, X, y)[0]
    hist = scratch.fit_numpy(net, X, y, L.Adam(net, 1e-2), epochs=5, batch_size=16, progress=False)
    assert scratch.evaluate_numpy(net, X, y)[0] < 0.5 * before and len(hist["loss"]) == 20


def test_mlp_like_matches_parameter_count():
    target = scratch.small_cnn().num_params
    model = scratch.mlp_like(target)
    assert abs(model.num_params - target) / target < 0.1
    assert model.num_params == scratch.mlp((model.layers[1].n_out,) * 2).num_params


def test_fit_records_times_and_decays_the_learning_rate():
    r = rng()
    X, y = r.random((32, 1, 28, 28)).astype(np.float32), r.integers(0, 10, 32)
    net = scratch.small_cnn(channels=(2, 2))
    opt = L.Adam(net, 1e-2)
    hist = scratch.fit_numpy(net, X, y, opt, epochs=2, batch_size=16, val=(X, y), evals_per_epoch=2,
                       lr_decay=0.5, progress=False)
    assert hist["lr"] == [1e-2, 5e-3] and opt.lr == pytest.approx(2.5e-3)
    assert len(hist["epoch_time"]) == len(hist["epoch_cpu"]) == 2 and hist["eval_step"] == [1, 2, 3, 4]
    assert not net.layers[0].training                         # fit leaves the model in eval mode


def test_fit_torch_uses_given_optimizer_and_scheduler():
    net = TW.torch_twin(scratch.small_cnn(channels=(2, 2)))
    X, y = torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    hist = TW.fit_torch(net, X, y, epochs=2, batch_size=16, optimizer=opt, scheduler=sched,
                             progress=False)
    assert len(hist["epoch_time"]) == 2 and opt.param_groups[0]["lr"] == pytest.approx(0.025)
    assert 0 <= TW.evaluate_torch(net, X, y) <= 1


def test_feature_maps_and_figures():
    import matplotlib
    matplotlib.use("Agg")
    net = scratch.small_cnn()
    outs = scratch.feature_maps(net, np.zeros((1, 28, 28), np.float32))
    assert [o.shape for _, o in outs][:6] == [(8, 28, 28), (8, 28, 28), (8, 14, 14), (16, 14, 14),
                                              (16, 14, 14), (16, 7, 7)]
    hist = {"loss": list(np.linspace(2, 1, 120)), "eval_step": [60, 120], "val_acc": [0.5, 0.6]}
    assert len(figs.plot_history({"a": hist}, 60).axes) == 2
    assert len(figs.plot_filter_mosaic(net.layers[3].params["W"], "t").axes) == 1
    mosaic = figs.filter_mosaic(net.layers[3].params["W"])
    assert mosaic.shape == (8 * 4 - 1, 16 * 4 - 1) and np.isnan(mosaic[3, 0])
    assert np.nanmax(np.abs(mosaic)) == 1.0
    assert len(figs.plot_maps(outs[5][1], "t").axes) == 16
    assert len(scratch.smooth(np.ones(100), 10)) == 91


def test_neighbour_correlation():
    r = rng()
    assert abs(scratch.neighbour_correlation(r.standard_normal((64, 1, 7, 7)))) < 0.05
    ramp = np.tile(np.arange(5.0), (8, 1, 5, 1))                     # smooth left-to-right ramps
    assert scratch.neighbour_correlation(ramp + 0.01 * r.standard_normal(ramp.shape)) > 0.4


def test_source_text_keeps_equation_comments_close():
    text = source.source_text(L.Linear.backward)
    assert text.startswith("def backward(self, dy):")
    assert 'self.grads["W"] = dy.T @ self.x  # dL/dW = dy^T x' in text
