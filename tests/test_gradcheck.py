"""cnnlib.scratch.gradcheck: central differences on functions with known gradients, relative error."""
import numpy as np
import pytest
import torch

from cnnlib.scratch.gradcheck import numerical_gradient, relative_error

NUMERIC_TOL = 1e-8      # central differences (h=1e-5) on smooth functions vs the exact gradient


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    cube = numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert relative_error(cube, 3 * x ** 2) <= NUMERIC_TOL
    sine = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    assert relative_error(sine, np.cos(x)) <= NUMERIC_TOL
    A = rng.standard_normal((4, 4))
    quad = numerical_gradient(lambda v: v.ravel()[:4] @ A @ v.ravel()[:4], x)
    expected = np.zeros(12)
    expected[:4] = (A + A.T) @ x.ravel()[:4]
    assert relative_error(quad, expected.reshape(3, 4)) <= NUMERIC_TOL


def test_numerical_gradient_restores_x_and_uses_h():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(5)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_array_equal(x, before)
    coarse = numerical_gradient(lambda v: np.sum(v ** 3), x, h=1e-1)
    np.testing.assert_allclose(coarse - 3 * x ** 2, 1e-2, rtol=1e-6)   # error h^2 f'''/6 = h^2


def test_relative_error_properties():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, a + 1e-3) == relative_error(a + 1e-3, a)
    assert relative_error(1e6 * a, 1e6 * (a + 1e-3)) == pytest.approx(relative_error(a, a + 1e-3))
    assert relative_error(np.arange(3), np.arange(3.0)) == 0.0                   # ints accepted
    assert relative_error(torch.ones(2, dtype=torch.float64), np.ones(2)) == 0.0  # tensors too


@pytest.mark.parametrize("call, error, fragments", [
    (lambda: numerical_gradient(np.sum, np.zeros(2, np.float32)), TypeError,
     ["float64 ndarray", "float32"]),
    (lambda: numerical_gradient(np.sum, [0.0, 1.0]), TypeError, ["float64 ndarray", "list"]),
    (lambda: numerical_gradient(np.sum, np.zeros(2), h=0), ValueError, ["h", "positive"]),
    (lambda: numerical_gradient(np.sum, np.zeros(2), h=-1e-5), ValueError, ["h", "positive"]),
    (lambda: numerical_gradient(np.sum, np.zeros(2), h=np.nan), ValueError, ["h", "finite"]),
    (lambda: numerical_gradient(np.sum, np.zeros(2), h=True), TypeError, ["h", "real", "bool"]),
    (lambda: numerical_gradient(np.sum, np.zeros(2), h="1e-5"), TypeError, ["h", "real"]),
    (lambda: numerical_gradient(lambda v: v * 2, np.zeros(2)), TypeError,
     ["f must return a scalar", "(2,)"]),
    (lambda: relative_error(np.zeros(2), np.zeros(3)), ValueError,
     ["equal shapes", "(2,)", "(3,)"]),
    (lambda: relative_error(np.zeros(2) + 1j, np.zeros(2)), TypeError,
     ["real numeric", "a", "complex128"]),
    (lambda: relative_error(np.zeros(2), np.array(["a", "b"])), TypeError, ["real numeric", "b"]),
])
def test_bad_arguments_are_rejected(call, error, fragments):
    with pytest.raises(error) as excinfo:
        call()
    missing = [f for f in fragments if f not in str(excinfo.value)]
    assert not missing, f"message {str(excinfo.value)!r} lacks {missing}"
