"""cnnlib.data.mnist: real offline data when present, one clear error when missing."""
import os

import numpy as np
import pytest
import torch

from cnnlib.data import DatasetMissingError
from cnnlib.data.mnist import load_mnist, mnist_raw_dir, to_torch

HAVE_MNIST = (mnist_raw_dir() / "t10k-images-idx3-ubyte").is_file() if os.environ.get(
    "CNNLIB_DATA") else False


@pytest.mark.skipif(not HAVE_MNIST, reason="offline MNIST not found under $CNNLIB_DATA")
def test_offline_mnist_is_ready_for_numpy_and_torch(monkeypatch):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    X, y = load_mnist("test")
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]          # the known first labels
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    Xt, yt = to_torch(X[:5], y[:5])
    assert Xt.dtype == torch.float32 and yt.dtype == torch.int64 and Xt.shape == (5, 1, 28, 28)
    Xs, ys = load_mnist("train", limit=3)
    assert Xs.shape == (3, 1, 28, 28) and ys.tolist() == [5, 0, 4]


def _no_download(*args, **kwargs):
    raise AssertionError("the loader tried to download")


def test_missing_data_offline_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    monkeypatch.setattr("torchvision.datasets.MNIST.download", _no_download)
    with pytest.raises(DatasetMissingError) as err:
        load_mnist("train", root=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "CNNLIB_OFFLINE" in message
    assert err.value.__cause__ is None                             # no network traceback inside


def test_download_false_and_bad_arguments(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNLIB_OFFLINE", raising=False)
    monkeypatch.setattr("torchvision.datasets.MNIST.download", _no_download)
    with pytest.raises(DatasetMissingError, match="download=False"):
        load_mnist("test", root=tmp_path, download=False)
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("valid", root=tmp_path)
    with pytest.raises(ValueError, match="limit must be"):
        load_mnist("test", root=tmp_path, limit=0)
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    with pytest.raises(ValueError, match="contradicts CNNLIB_OFFLINE"):
        load_mnist("test", root=tmp_path, download=True)


def test_failed_download_becomes_dataset_missing_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNLIB_OFFLINE", raising=False)

    def fail(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr("torchvision.datasets.MNIST.download", fail)
    with pytest.raises(DatasetMissingError, match="download failed") as err:
        load_mnist("train", root=tmp_path)
    assert "Error downloading" in str(err.value) and err.value.__suppress_context__
