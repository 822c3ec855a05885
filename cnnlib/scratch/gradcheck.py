"""Numerical gradients by central differences, and the relative error used by every check."""
import numpy as np

from ..checks import check_callable, check_number


def numerical_gradient(f, x, h=1e-5):
    """d f(x) / dx by central differences; f returns a scalar, x (float64) is restored.

    本書: 第1章、第2章、第3章、第5章、第6章
    """
    check_callable(f, "f", "a function of x returning a scalar")
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        raise TypeError("numerical_gradient needs x as a float64 ndarray (it is perturbed in "
                        f"place); got {type(x).__name__} {getattr(x, 'dtype', '')}")
    check_number(h, "h", 0, open_min=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = _scalar(f(x))
        x[idx] = old - h
        f_minus = _scalar(f(x))
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def _scalar(value):
    """f's result as a float, or a TypeError saying f must return a scalar."""
    if np.ndim(value) != 0:
        raise TypeError(f"f must return a scalar (e.g. the loss, or np.sum(y * dy)); got an "
                        f"array of shape {np.shape(value)}")
    return float(value)


def relative_error(a, b):
    """||a - b|| / max(||a|| + ||b||, 1e-300): 0 for equal arrays, 1 for opposite ones.

    本書: 第1章、第2章、第3章、第5章、第6章
    """
    a, b = np.asarray(a), np.asarray(b)
    for name, v in (("a", a), ("b", b)):
        if v.dtype.kind not in "biuf":
            raise TypeError(f"relative_error needs real numeric arrays; {name} has dtype "
                            f"{v.dtype}")
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes; got {a.shape} and {b.shape}")
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
