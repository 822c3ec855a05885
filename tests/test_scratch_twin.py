"""The NumPy network and its PyTorch twin see the same mini-batches, so they train alike."""
import numpy as np
import torch

from cnnlib.figures import scratch as figs
from cnnlib.nn import twin as TW
from cnnlib.scratch import layers as L
from cnnlib.scratch import train as scratch


def test_twin_sees_the_same_batches_and_follows_the_numpy_training():
    rng = np.random.default_rng(0)
    X = rng.random((96, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    net = scratch.small_cnn(channels=(2, 4), seed=1)
    twin = TW.torch_twin(net)
    hist = scratch.fit_numpy(net, X, y, L.Adam(net, 1e-3), epochs=2, batch_size=32, seed=5, progress=False)
    out = TW.fit_torch(twin, torch.from_numpy(X), torch.from_numpy(y), epochs=2, batch_size=32,
                            lr=1e-3, seed=5, progress=False)
    assert len(out["loss"]) == len(hist["loss"]) == 6 and len(out["epoch_cpu"]) == 2
    np.testing.assert_allclose(out["loss"], hist["loss"], rtol=1e-4)        # float32 rounding only
    np.testing.assert_allclose(twin[0].weight.detach().numpy(), net.layers[0].params["W"], atol=1e-4)
    other = TW.torch_twin(scratch.small_cnn(channels=(2, 4), seed=1))    # another batch order
    moved = TW.fit_torch(other, torch.from_numpy(X), torch.from_numpy(y), epochs=2, batch_size=32,
                              lr=1e-3, seed=6, progress=False)
    assert not np.allclose(moved["loss"][:3], hist["loss"][:3], rtol=1e-4)


def test_plot_maps_share_one_grey_scale():
    import matplotlib
    matplotlib.use("Agg")
    maps = np.stack([np.zeros((4, 4)), np.full((4, 4), 2.0), np.eye(4)])
    fig = figs.plot_maps(maps, "t", ncols=2)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3 and {im.get_clim() for im in images} == {(0.0, 2.0)}
    assert [ax.get_title() for ax in fig.axes][:3] == ["チャネル 0", "チャネル 1", "チャネル 2"]


def test_filter_net_init_scale_and_shapes():
    he, small = scratch.filter_net(5, 16, seed=3), scratch.filter_net(5, 16, init_std=0.01, seed=3)
    assert small.layers[0].params["W"].shape == (16, 1, 5, 5) and small.layers[0].params["W"].dtype == np.float32
    assert abs(small.layers[0].params["W"].std() - 0.01) < 0.002
    assert abs(he.layers[0].params["W"].std() - np.sqrt(2 / 25)) < 0.05
    assert small.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)
    assert np.allclose(small.layers[0].params["W"] / 0.01, he.layers[0].params["W"] / np.sqrt(2 / 25),
                       rtol=1e-5, atol=1e-5)                           # same pattern, only scaled
    assert not np.array_equal(small.layers[0].params["W"], scratch.filter_net(5, 16, init_std=0.01, seed=4)
                              .layers[0].params["W"])


def test_per_filter_measures():
    rng = np.random.default_rng(0)
    ramp = np.tile(np.linspace(-1, 1, 5), (5, 1))[None, None]           # a smooth edge
    W = np.concatenate([ramp, rng.standard_normal((1, 1, 5, 5))])
    nc = scratch.neighbour_correlation_per_filter(W)
    assert nc.shape == (2,) and nc[0] > 0.7 and nc[1] < nc[0]
    assert nc[1] == scratch.neighbour_correlation(W[1:])
    rand = scratch.random_neighbour_correlation(5, draws=400, seed=1)
    assert rand.shape == (400,) and abs(rand.mean()) < 0.05 and np.percentile(rand, 97.5) < nc[0]
    W0 = np.ones((2, 1, 2, 2))
    W1 = W0.copy()
    W1[1] *= 3                                                            # moved by 2x its norm
    assert np.allclose(scratch.relative_change(W0, W1), [0, 2])
    blob = np.ones((1, 1, 3, 3))
    edge = np.concatenate([-np.ones((1, 1, 3, 1)), np.ones((1, 1, 3, 2))], axis=3)
    assert np.allclose(scratch.minority_sign_share(np.concatenate([blob, edge])), [0, 1 / 3])


def test_filters_before_after_figure_states_its_scales():
    import matplotlib
    matplotlib.use("Agg")
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((6, 1, 3, 3)) * 0.01
    fig = figs.plot_filters_before_after(W0, W0 * 30 + 0.1, "t", ncols=3)
    titles = [sf._suptitle.get_text() for sf in fig.subfigs]
    assert titles[0].startswith("学習前") and titles[1].startswith("学習後")
    assert f"±{np.abs(W0).max():.2g}" in titles[0]
    texts = [t.get_text() for sf in fig.subfigs for ax in sf.axes for t in ax.texts]
    assert sum("変化" in t for t in texts) == 6 and sum("隣接" in t for t in texts) == 12
