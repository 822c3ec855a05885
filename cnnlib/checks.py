"""Argument checks for every public boundary of cnnlib, in one style.

Each checker returns the value normalised (a Python int or float, ...) or raises ``TypeError`` (wrong
kind of value) or ``ValueError`` (right kind, value not allowed). Every message names the argument,
what it got and what is allowed: ``"stride must be positive (>= 1); got 0"``.

NumPy only (no torch), so the from-scratch layer can use it.
"""
import math
import numbers

import numpy as np

__all__ = ["check_int", "check_number", "check_choice", "check_bool", "check_str"]


def _range_text(minimum, maximum, open_min=False):
    if minimum is not None and maximum is not None:
        return f"in [{minimum}, {maximum}]" if not open_min else f"in ({minimum}, {maximum}]"
    if minimum is not None:
        if open_min:
            return {0: "positive (> 0)"}.get(minimum, f"> {minimum}")
        return {0: "non-negative (>= 0)", 1: "positive (>= 1)"}.get(minimum, f">= {minimum}")
    if maximum is not None:
        return f"<= {maximum}"
    return "any value"


def check_int(value, name, minimum=None, maximum=None, kind="an int", shown=None):
    """``value`` as a Python int in [minimum, maximum] (bools are not ints here)."""
    shown = value if shown is None else shown
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {kind}; got {shown!r} ({type(shown).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {_range_text(minimum, maximum)}; got {shown!r}")
    return int(value)


def check_number(value, name, minimum=None, maximum=None, open_min=False):
    """``value`` as a finite Python float in the range (``open_min``: strictly above minimum)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    below = minimum is not None and (v <= minimum if open_min else v < minimum)
    if below or (maximum is not None and v > maximum):
        raise ValueError(f"{name} must be {_range_text(minimum, maximum, open_min)}; got {value!r}")
    return v


def check_choice(value, name, choices):
    """``value`` if it is one of ``choices`` (compared with ==), else a ValueError listing them."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:                                   # unhashable or incomparable value
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_bool(value, name):
    """``value`` if it is a bool (True/False, NumPy's bool included), as a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r} ({type(value).__name__})")
    return bool(value)


def check_str(value, name, nonempty=False):
    """``value`` if it is a str (non-empty after stripping spaces if ``nonempty``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str; got {value!r} ({type(value).__name__})")
    if nonempty and not value.strip():
        raise ValueError(f"{name} must be a non-empty str; got {value!r}")
    return value
