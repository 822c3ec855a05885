"""cnnlib.nn.loop: the book's visible training loop learns, is reproducible, and its accuracy is right."""
import torch
from torch import nn

from cnnlib.nn import loop as LP


def blobs(n=256, seed=0):
    """Two well-separated classes of 1x4x4 images (class 1 is bright)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 1, 4, 4, generator=g) * 0.5 + 2.0 * y.view(-1, 1, 1, 1).float()
    return X, y


def model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))


def test_train_lowers_the_loss_and_learns():
    m, data = model(), blobs()
    before = LP.accuracy(m, data)
    losses = LP.train(m, data, epochs=20, lr=0.1, batch_size=32)
    assert len(losses) == 20 * 8
    assert sum(losses[-8:]) < 0.2 * sum(losses[:8])
    assert LP.accuracy(m, data) > max(before, 0.95)
    assert not m.training


def test_same_seed_same_run_and_on_step_sees_every_update():
    seen = []
    a = LP.train(model(), blobs(), epochs=2, lr=0.1, seed=3, on_step=lambda s, m: seen.append(s))
    b = LP.train(model(), blobs(), epochs=2, lr=0.1, seed=3)
    c = LP.train(model(), blobs(), epochs=2, lr=0.1, seed=4)
    assert a == b and a != c
    assert seen == list(range(len(a)))


def test_accuracy_counts_right_answers():
    m = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    with torch.no_grad():
        m[1].weight.zero_()
        m[1].bias.copy_(torch.tensor([0.0, 1.0]))        # always class 1
    X, y = blobs(100)
    assert LP.accuracy(m, (X, y), batch_size=7) == int(y.sum()) / len(y)
