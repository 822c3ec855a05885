"""Textbook convolution, the input-gradient formulas, and the bundled sample photo (float64)."""
import numpy as np
import pytest
import torch

from cnnlib.scratch import convmath as CM
from cnnlib.scratch import functional as F
from cnnlib.data import DatasetMissingError
from cnnlib.data import images

TOL = 1e-10


def rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def test_correlate_is_conv2d_and_convolve_flips_the_kernel():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    assert rel(CM.correlate2d(x, k), F.conv2d(x[None, None], k[None, None])[0, 0]) < TOL
    flipped = F.conv2d(x[None, None], k[::-1, ::-1].copy()[None, None])[0, 0]
    assert rel(CM.convolve2d(x, k), flipped) < TOL
    assert rel(CM.convolve2d(x, k), CM.correlate2d(x, k)) > 0.1     # differ for this kernel


def test_convolve_matches_numpy_1d_convolution():
    a, b = np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 0, -2])
    np.testing.assert_allclose(CM.convolve2d(a[None], b[None])[0], np.convolve(a, b, "valid"))
    np.testing.assert_allclose(CM.correlate2d(a[None], b[None])[0], np.correlate(a, b, "valid"))


def test_valid_mode_rejects_large_kernel():
    with pytest.raises(ValueError, match="larger than the input"):
        CM.convolve2d(np.ones((2, 2)), np.ones((3, 1)))


@pytest.mark.parametrize("seed", range(12))
def test_full_correlation_form_equals_autograd(seed):
    rng = np.random.default_rng(seed)
    s, p, d = tuple(rng.integers(1, 4, 2)), tuple(rng.integers(0, 3, 2)), tuple(rng.integers(1, 3, 2))
    s, p, d = tuple(map(int, s)), tuple(map(int, p)), tuple(map(int, d))
    K = tuple(int(v) for v in rng.integers(1, 4, 2))
    H = [int(d[a] * (K[a] - 1) + 1 + rng.integers(0, 6)) for a in range(2)]
    x = torch.tensor(rng.normal(size=(2, 3, *H)), requires_grad=True)
    w = torch.tensor(rng.normal(size=(4, 3, *K)))
    y = torch.nn.functional.conv2d(x, w, stride=s, padding=p, dilation=d)
    dy = torch.tensor(rng.normal(size=tuple(y.shape)))
    (y * dy).sum().backward()
    dx = CM.conv2d_input_grad_full(dy.numpy(), w.numpy(), x.shape, s, p, d)
    assert rel(dx, x.grad.numpy()) < TOL


def test_stride1_formula_right_for_stride1_wrong_for_stride2():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    for stride, ok in ((1, True), (2, False)):
        oh = F.conv_output_size(6, 3, 0, stride)
        dy = rng.normal(size=(oh, oh))
        dx, _, _ = F.conv2d_backward(dy[None, None], x[None, None], w[None, None], stride)
        err = rel(CM.input_grad_stride1_formula(dy, w, x.shape), dx[0, 0])
        assert (err < TOL) == ok, (stride, err)


def test_dilate_inserts_zeros():
    out = CM.dilate(np.arange(1.0, 5).reshape(1, 1, 2, 2), 2)[0, 0]
    np.testing.assert_array_equal(out, [[1, 0, 2], [0, 0, 0], [3, 0, 4]])


def test_kernel_lookup():
    assert CM.kernel("sobel_x").shape == (3, 3)
    with pytest.raises(ValueError, match="unknown kernel"):
        CM.kernel("gauss")


def test_sample_photo_loads_gray_and_resized():
    full = images.load_sample_image()
    assert full.shape == (600, 512) and full.dtype == np.float64
    assert 0.0 <= full.min() and full.max() <= 1.0 and full.std() > 0.1
    small = images.load_sample_image(size=60)
    assert small.shape == (60, round(512 * 60 / 600))
    assert images.load_sample_image(size=(10, 12), gray=False).shape == (10, 12, 3)


@pytest.mark.parametrize("size, err", [(0, ValueError), (-3, ValueError), (10**6, ValueError),
                                       (2.5, TypeError), ((1, 2, 3), ValueError),
                                       ("big", TypeError)])
def test_sample_photo_bad_size(size, err):
    with pytest.raises(err, match="size must"):
        images.load_sample_image(size=size)


def test_sample_photo_missing_is_clear(monkeypatch, tmp_path):
    monkeypatch.setattr(images.matplotlib, "get_data_path", lambda: str(tmp_path))
    with pytest.raises(DatasetMissingError, match="reinstall matplotlib"):
        images.load_sample_image()
    with pytest.raises(ValueError, match="unknown sample image"):
        images.sample_image_path("lena")


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        CM.correlate2d(np.array([["a"]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="k must be a 2-D array"):
        CM.convolve2d(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"stride must be positive \(>= 1\); got 0"):
        CM.dilate(np.ones((1, 1, 2, 2)), 0)
    with pytest.raises(ValueError, match="dy must have shape"):
        CM.conv2d_input_grad_full(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), (1, 1, 5, 5))
