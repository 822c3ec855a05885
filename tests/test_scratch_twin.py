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
