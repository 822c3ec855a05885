"""cnnlib.data.augment: batch ops on tensors (shapes, exact flips/crops, Cutout area, Mixup)."""
import pytest
import torch
import torch.nn.functional as F

from cnnlib.data import augment as A



pytestmark = pytest.mark.usefixtures("one_thread")


def batch(n=16, c=3, h=8, w=8, dtype=torch.float64):
    return torch.arange(n * c * h * w, dtype=dtype).reshape(n, c, h, w)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_flip_is_exact_mirror_or_identity():
    X = batch()
    Y = A.random_flip(X, generator=gen())
    assert Y.shape == X.shape
    flipped = [bool(torch.equal(Y[i], X[i].flip(-1))) for i in range(len(X))]
    kept = [bool(torch.equal(Y[i], X[i])) for i in range(len(X))]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 0 < sum(flipped) < len(X)          # seed 0: some flipped, some not
    assert torch.equal(A.random_flip(X, p=1.0), X.flip(-1))
    assert torch.equal(A.random_flip(X, p=0.0), X)


@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_crop_is_a_window_of_the_padded_image(mode):
    X, p = batch(dtype=torch.float32), 2
    Y = A.random_crop(X, p, mode=mode, generator=gen(1))
    assert Y.shape == X.shape and Y.dtype == X.dtype
    Xp = F.pad(X, (p,) * 4, mode=mode)
    offsets = set()
    for i in range(len(X)):
        hits = [(sy, sx) for sy in range(2 * p + 1) for sx in range(2 * p + 1)
                if torch.equal(Y[i], Xp[i, :, sy:sy + 8, sx:sx + 8])]
        assert hits, f"image {i} is not a window of its padded copy"
        offsets.add(hits[0])
    assert len(offsets) > 1


def test_crop_uint8_and_zero_padding():
    X = batch(dtype=torch.uint8)
    assert torch.equal(A.random_crop(X, 0), X)
    Y = A.random_crop(X, 3, generator=gen(2))
    assert Y.dtype == torch.uint8 and Y.shape == X.shape


@pytest.mark.parametrize("size", [3, 4])
def test_cutout_area(size):
    X = torch.ones(200, 3, 16, 16)
    Y = A.cutout(X, size, fill=0, generator=gen(3))
    zero = (Y == 0).all(1)                              # the hole spans all channels
    area = zero.sum((1, 2))
    assert (area <= size * size).all() and (area >= 1).all()
    assert (area == size * size).any()                  # unclipped holes have the full area
    assert ((Y == 0) == zero.unsqueeze(1)).all()        # same hole in every channel
    rows, cols = zero.any(2), zero.any(1)               # the hole is one rectangle
    assert torch.equal(zero.sum((1, 2)), rows.sum(1) * cols.sum(1))


def test_mixup_is_convex_combination():
    X = batch(dtype=torch.float32)
    y = torch.arange(16) % 4
    Xm, ya, yb, lam = A.mixup(X, y, alpha=0.4, generator=gen(4))
    assert 0 <= lam <= 1 and torch.equal(ya, y)
    # every mixed image is lam * its own image + (1 - lam) * one partner, whose label is yb
    for i in range(16):
        j = [k for k in range(16) if torch.allclose(Xm[i], lam * X[i] + (1 - lam) * X[k], atol=1e-3)]
        assert j and yb[i] == y[j[0]]


def test_mixup_soft_target_loss_equals_mixed_loss():
    torch.manual_seed(0)
    logits = torch.randn(8, 5, dtype=torch.float64)
    ya, yb, lam = torch.randint(0, 5, (8,)), torch.randint(0, 5, (8,)), 0.3
    a = A.mixup_loss(logits, ya, yb, lam)
    b = F.cross_entropy(logits, A.mixup_targets(ya, yb, lam, 5).double())
    assert torch.allclose(a, b, rtol=1e-12)


def test_augment_reproducible_and_soft_targets():
    X, y = batch(dtype=torch.float32), torch.arange(16) % 10
    a1 = A.Augment(cutout=3, mixup=1.0, seed=5)(X, y)
    a2 = A.Augment(cutout=3, mixup=1.0, seed=5)(X, y)
    assert torch.equal(a1[0], a2[0]) and torch.equal(a1[1], a2[1])
    assert a1[1].shape == (16, 10) and torch.allclose(a1[1].sum(1), torch.ones(16))


def test_bad_arguments():
    with pytest.raises(ValueError, match="N x C x H x W"):
        A.random_flip(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="padding"):
        A.random_crop(batch(), -1)
    with pytest.raises(ValueError, match="mode"):
        A.random_crop(batch(), 2, mode="wrap")
    with pytest.raises(ValueError, match="size"):
        A.cutout(batch(), 0)
    with pytest.raises(ValueError, match="alpha"):
        A.mixup(batch(), torch.zeros(16), alpha=0)


def test_alternating_flip_shows_each_image_both_ways_every_two_epochs():
    X = batch(n=10, dtype=torch.float32)
    y = torch.arange(10)                              # labels identify the images
    batches = A.AlternatingFlipBatches(X, y, batch_size=4, seed=0)
    assert len(batches) == 3

    def epoch():
        seen = {}
        for xb, yb in batches:
            for x, i in zip(xb, yb.tolist()):
                assert torch.equal(x, X[i]) or torch.equal(x, X[i].flip(-1))
                seen[i] = torch.equal(x, X[i].flip(-1))
        assert sorted(seen) == list(range(10))       # every image once per epoch
        return seen

    e0, e1, e2 = epoch(), epoch(), epoch()
    assert 0 < sum(e0.values()) < 10                  # a random half starts flipped
    assert all(e1[i] != e0[i] for i in range(10))     # ... and all flip the next epoch
    assert e2 == e0
    with pytest.raises(ValueError, match="differ in length"):
        A.AlternatingFlipBatches(X, y[:3])
    with pytest.raises(ValueError, match="batch_size"):
        A.AlternatingFlipBatches(X, y, batch_size=0)
