"""Numerical gradients by central differences, and the relative error used by every check."""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """d f(x) / dx by central differences; f returns a scalar, x (float64) is restored."""
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        raise TypeError("numerical_gradient needs x as a float64 ndarray (it is perturbed in "
                        f"place); got {type(x).__name__} {getattr(x, 'dtype', '')}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = float(f(x))
        x[idx] = old - h
        f_minus = float(f(x))
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """||a - b|| / max(||a|| + ||b||, 1e-300): 0 for equal arrays, 1 for opposite ones."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes; got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
