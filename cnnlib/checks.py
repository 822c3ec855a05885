"""Argument checks for every public boundary of cnnlib, in one style.

Each checker returns the value normalised (a Python int or float, a tuple, an ndarray ...) or raises
``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, value not allowed). Every message
names the argument, what it got and what is allowed: ``"stride must be positive (>= 1); got 0"``.

NumPy only (no torch), so the from-scratch layer can use it; the checks of tensors, models and
devices are in ``cnnlib.torch_checks``.
"""
import math
import numbers

import numpy as np

__all__ = ["check_int", "check_number", "check_choice", "check_bool", "check_str", "check_ints",
           "check_numbers", "check_pair", "check_callable", "check_array", "check_shape"]


def _range_text(minimum, maximum, open_min=False, open_max=False):
    if minimum is not None and maximum is not None:
        return f"in {'(' if open_min else '['}{minimum}, {maximum}{')' if open_max else ']'}"
    if minimum is not None:
        if open_min:
            return {0: "positive (> 0)"}.get(minimum, f"> {minimum}")
        return {0: "non-negative (>= 0)", 1: "positive (>= 1)"}.get(minimum, f">= {minimum}")
    if maximum is not None:
        return f"< {maximum}" if open_max else f"<= {maximum}"
    return "any value"


def check_int(value, name, minimum=None, maximum=None, kind="an int", shown=None):
    """``value`` as a Python int in [minimum, maximum] (bools are not ints here).

    本書: 第3章
    """
    shown = value if shown is None else shown
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {kind}; got {shown!r} ({type(shown).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {_range_text(minimum, maximum)}; got {shown!r}")
    return int(value)


def check_number(value, name, minimum=None, maximum=None, open_min=False, open_max=False):
    """``value`` as a finite Python float in the range (``open_min``/``open_max``: the bound
    itself is excluded).

    本書: 第3章
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    try:
        v = float(value)
    except OverflowError:                                   # an int too large for a float
        v = math.inf
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {value!r:.50}")
    below = minimum is not None and (v <= minimum if open_min else v < minimum)
    above = maximum is not None and (v >= maximum if open_max else v > maximum)
    if below or above:
        raise ValueError(f"{name} must be {_range_text(minimum, maximum, open_min, open_max)}; "
                         f"got {value!r}")
    return v


def check_choice(value, name, choices):
    """``value`` if it is one of ``choices`` (compared with ==), else a ValueError listing them.

    本書: 章のコードからは直接使いません
    """
    choices = tuple(choices)
    try:
        ok = value in choices
    except (TypeError, ValueError):                     # unhashable or incomparable (an array)
        ok = False
    if isinstance(value, (bool, np.bool_)) and not any(isinstance(c, bool) for c in choices):
        ok = False                                      # True is not the choice 1
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_bool(value, name):
    """``value`` if it is a bool (True/False, NumPy's bool included), as a Python bool.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r} ({type(value).__name__})")
    return bool(value)


def check_str(value, name, nonempty=False):
    """``value`` if it is a str (non-empty after stripping spaces if ``nonempty``).

    本書: 章のコードからは直接使いません
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str; got {value!r} ({type(value).__name__})")
    if nonempty and not value.strip():
        raise ValueError(f"{name} must be a non-empty str; got {value!r}")
    return value


def check_ints(values, name, minimum=None, maximum=None, length=None, nonempty=True, kind=None):
    """``values`` (a list, tuple or 1-D array of ints) as a tuple of checked Python ints.

    ``kind`` describes what is allowed in the message (e.g. "an (H, W) pair of ints").

    本書: 章のコードからは直接使いません
    """
    kind = kind or (f"a sequence of {length} ints" if length is not None else "a sequence of ints")
    if not isinstance(values, (list, tuple, range, np.ndarray)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be {kind} (a list or tuple); got {values!r} "
                        f"({type(values).__name__})")
    if length is not None and len(values) != length:
        raise ValueError(f"{name} must be {kind}; got {len(values)}: {tuple(values)!r}")
    if nonempty and len(values) == 0:
        raise ValueError(f"{name} must hold at least one int; got {values!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum, maximum) for i, v in enumerate(values))


def check_numbers(values, name, *bounds, **kw):
    """``values`` (a non-empty list or tuple of real numbers, each passing
    ``check_number(v, ..., *bounds, **kw)``) as a tuple of Python floats.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a non-empty list of numbers; got {values!r:.80} "
                        f"({type(values).__name__})")
    return tuple(check_number(v, f"{name}[{i}]", *bounds, **kw) for i, v in enumerate(values))


_PAIR = "an int or an (h, w) pair of ints"


def check_pair(value, name, minimum=1):
    """An int or an (h, w) pair of ints, each >= minimum, as a tuple of two Python ints.

    本書: 章のコードからは直接使いません
    """
    if isinstance(value, (tuple, list, np.ndarray)) and np.ndim(value) > 0:
        if len(value) != 2:
            raise ValueError(f"{name} must be {_PAIR}; got {value!r} with {len(value)} entries")
        return tuple(check_int(v, name, minimum, kind=_PAIR, shown=value) for v in value)
    v = check_int(value, name, minimum, kind=_PAIR)
    return v, v


def check_callable(value, name, what="a function", none_ok=False):
    """``value`` if it can be called (or is None when ``none_ok``).

    本書: 章のコードからは直接使いません
    """
    if value is None and none_ok:
        return None
    if not callable(value):
        allowed = f"{what} or None" if none_ok else what
        raise TypeError(f"{name} must be {allowed}; got {value!r:.80} ({type(value).__name__})")
    return value


def check_array(x, name, ndim=None, layout="", finite=False):
    """``x`` as a float32/float64 ndarray (int/bool -> float64, float16 -> float32).

    ``ndim``: the required number of dimensions (``layout`` such as "(N, C, H, W)" is named in
    the message); ``finite``: NaN and infinities are refused.

    本書: 章のコードからは直接使いません
    """
    try:
        a = np.asarray(x)
    except ValueError as err:                                            # ragged nested lists
        raise ValueError(f"{name} must be a rectangular numeric array; NumPy cannot convert "
                         f"the {type(x).__name__} given: {err}") from None
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise TypeError(f"{name} must be a real numeric array (float32 or float64; int and bool "
                        f"are promoted to float64); got {type(x).__name__} of dtype {a.dtype}")
    elif a.dtype.itemsize < 4:
        a = a.astype(np.float32)
    if ndim is not None and a.ndim != ndim:
        layout = f" {layout}" if layout else ""
        raise ValueError(f"{name} must be a {ndim}-D array{layout}; got shape {a.shape}")
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{name} must hold finite numbers; got {np.isnan(a).sum()} NaN and "
                         f"{np.isinf(a).sum()} infinite values")
    return a


def check_shape(shape, name, expected, layout=""):
    """Raise unless ``shape`` equals ``expected`` (both tuples); ``layout`` names the axes.

    本書: 章のコードからは直接使いません
    """
    shape, expected = tuple(shape), tuple(expected)
    if shape != expected:
        layout = f"{layout} = " if layout else ""
        raise ValueError(f"{name} must have shape {layout}{expected}; got {shape}")
    return shape
