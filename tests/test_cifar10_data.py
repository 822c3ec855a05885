"""cnnlib.data.cifar10 on a small synthetic ImageFolder tree made in tmp_path (lossless PNG)."""
import numpy as np
import pytest
import torch
from PIL import Image

from cnnlib.data import DatasetCorruptError, DatasetMissingError
from cnnlib.data import cifar10 as C

CLASSES = C.CLASSES


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """root/{train,test}/<class>/NNNN.png with random 6x6 images (4 and 2 per class, which the
    loader is told are the split sizes); returns (root, arrays)."""
    monkeypatch.setenv("CNNLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(C, "PER_CLASS", {"train": 4, "test": 2})
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 4), ("test", 2)):
        for c in CLASSES:
            (tmp_path / "data" / split / c).mkdir(parents=True)
            for i in range(n):
                a = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
                Image.fromarray(a).save(tmp_path / "data" / split / c / f"{i:04d}.png")
                arrays.setdefault(split, []).append((CLASSES.index(c), a))
    return tmp_path / "data", arrays


def test_reads_image_folder_exactly(tree):
    root, arrays = tree
    s = C.load_cifar10("train", path=root)
    assert s.X.dtype == torch.uint8 and s.X.shape == (40, 3, 6, 6)
    order = torch.randperm(40, generator=torch.Generator().manual_seed(C.FOLDER_ORDER_SEED))
    assert s.classes == CLASSES and s.y.tolist() == [arrays["train"][i][0] for i in order]
    want = np.stack([arrays["train"][i][1] for i in order]).transpose(0, 3, 1, 2)
    assert np.array_equal(s.X.numpy(), want)
    assert "ImageFolder" in s.source


def test_image_folder_split_comes_in_a_mixed_class_order_like_torchvision(tree):
    root, _ = tree
    y = C.load_cifar10("train", path=root).y.tolist()
    assert sorted(y) == sorted(list(range(10)) * 4)          # every image, once
    assert y != sorted(y) and len(set(y[:4])) > 1            # not the folders' class-sorted order
    assert C.load_cifar10("train", path=root).y.tolist() == y   # the same order every time (cache)


def test_cache_is_used_and_keyed_by_content(tree):
    root, _ = tree
    C.load_image_folder(root / "test")
    cached = list((C.cache_dir() / "cifar10").glob("test-*.pt"))
    assert len(cached) == 1
    # a changed file list gives a new key (and the new image is read)
    Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(root / "test" / "cat" / "0009.png")
    s = C.load_image_folder(root / "test")
    assert len(s) == 21 and len(list((C.cache_dir() / "cifar10").glob("test-*.pt"))) == 2


def test_broken_cache_is_rebuilt(tree):
    root, _ = tree
    C.load_cifar10("test", path=root)
    (f,) = (C.cache_dir() / "cifar10").glob("test-*.pt")
    f.write_bytes(b"garbage")
    assert len(C.load_cifar10("test", path=root)) == 20


def test_missing_data_raises_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    with pytest.raises(DatasetMissingError, match="CNNLIB_DATA"):
        C.load_cifar10("train", root=tmp_path / "nothing")
    with pytest.raises(DatasetMissingError, match="does not exist"):
        C.load_cifar10("train", path=tmp_path / "nothing")
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(DatasetMissingError, match="no class folders"):
        C.load_cifar10("train", path=tmp_path / "empty")
    (tmp_path / "empty" / "train" / "cat").mkdir()
    with pytest.raises(DatasetMissingError, match="no images"):
        C.load_image_folder(tmp_path / "empty" / "train")
    with pytest.raises(DatasetCorruptError, match="exactly the class folders"):
        C.load_cifar10("train", path=tmp_path / "empty")
    with pytest.raises(ValueError, match="split"):
        C.load_cifar10("val", path=tmp_path)


def test_mixed_sizes_rejected(tree):
    root, _ = tree
    Image.fromarray(np.zeros((7, 6, 3), np.uint8)).save(root / "train" / "dog" / "0003.png")
    with pytest.raises(ValueError, match="same size"):
        C.load_cifar10("train", path=root)


def test_jpeg_copy_is_labelled(tree):
    root, _ = tree
    copy = root.parent / C.JPEG_DIRNAME
    root.rename(copy)
    assert C.load_cifar10("train", path=copy).source == C.SOURCE_JPEG
    assert C.load_cifar10("train", root=root.parent).source == C.SOURCE_JPEG   # found by data_root


def test_channel_stats_match_numpy(tree):
    root, _ = tree
    X = C.load_cifar10("train", path=root).X
    mean, std = C.channel_stats(X, chunk=5)                 # chunking must not change the result
    x = X.numpy().astype(np.float64) / 255
    assert np.allclose(mean.numpy(), x.mean((0, 2, 3)), rtol=0, atol=1e-12)
    assert np.allclose(std.numpy(), x.std((0, 2, 3)), rtol=0, atol=1e-12)
    per_image = x.std((2, 3), ddof=1).mean(0)
    assert np.allclose(C.mean_image_std(X, chunk=5).numpy(), per_image, atol=1e-12)
    assert (C.mean_image_std(X) < std).all()                # the quoted-constant mistake: smaller


def test_normalizer_round_trip(tree):
    root, _ = tree
    X = C.load_cifar10("train", path=root).X
    mean, std = C.channel_stats(X)
    Z = C.normalizer(mean, std)(X)
    assert Z.dtype == torch.float32
    assert torch.allclose(Z.double().mean((0, 2, 3)), torch.zeros(3, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(Z.double().std((0, 2, 3), unbiased=False), torch.ones(3, dtype=torch.float64),
                          atol=1e-5)
    assert torch.allclose(C.denormalize(Z, mean, std), X.float() / 255, atol=1e-6)


def test_subset_is_balanced_and_seeded(tree):
    root, _ = tree
    s = C.load_cifar10("train", path=root)
    a, b = s.subset(20, seed=1), s.subset(20, seed=1)
    assert torch.equal(a.X, b.X) and torch.bincount(a.y).tolist() == [2] * 10
    with pytest.raises(ValueError, match="n must be"):
        s.subset(0)


def test_split_carves_a_balanced_held_out_part_disjoint_from_the_rest(tree):
    root, _ = tree
    s = C.load_cifar10("train", path=root)
    rest, held = s.split(3, seed=2)
    assert torch.equal(held.X, s.subset(3, seed=2).X) and torch.bincount(held.y).tolist() == [1, 1, 1]
    assert len(rest) + len(held) == len(s)
    assert torch.equal(held.X, s.X[s.order(seed=2)[:3]])
    assert sorted(s.order(seed=2).tolist()) == list(range(len(s)))
    pixels = lambda part: {tuple(x.flatten().tolist()) for x in part.X}
    assert not pixels(rest) & pixels(held) and pixels(rest) | pixels(held) == pixels(s)
    for bad, error in ((0, ValueError), (len(s), ValueError), (2.0, TypeError)):
        with pytest.raises(error, match="n must be"):
            s.split(bad)
