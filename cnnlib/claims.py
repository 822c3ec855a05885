"""Conclusions held to the numbers: a sentence that states a result fails the build when a rebuild's
numbers stop supporting it.

The book prints every number or sets it on ``g`` (``cnnlib.prose``) for the prose; this module
keeps the *sentences about* those numbers honest.
A sentence that compares, ranks or interprets a result ("faster", "the best", "monotone",
"agrees", "unrelated") is written in one of three ways:

1. **glued**: the sentence's words come from the data (``g.name = value``, shown by
   ``{eval}`g.name```);
2. **chosen**: ``choose({sentence: condition, ...})`` returns the one sentence whose condition
   holds, to be set on ``g`` for the prose (an error if none or more than one holds);
3. **guarded**: the sentence stays in the Markdown, and a hidden cell (tag ``remove-cell``)
   calls ``claim(sentence, condition, **numbers)``. ``sentence`` is the claim's text as the
   page says it (tests/test_claims.py checks that it appears in the chapter's Markdown, ignoring
   white space),
   and ``condition`` states *exactly* what the sentence says: "monotone" is every step
   (``monotone``), "faster" a smaller measured time, "agrees" above the stated baseline by
   the stated margin (``exceeds``); "A beat B in every run" is every value of A above every value
   of B (``outranks``: the runs' spread, e.g. over seeds, is part of the evidence).

When a condition is false, :class:`ClaimError` names the sentence and the numbers, and the build
(``raise_on_error``) fails on that cell.

"Larger than the noise" needs a stated noise: for two classifiers scored on the same test images,
``paired_se`` is the standard error of their accuracy difference (the test set's sampling noise),
so ``exceeds(acc_a, acc_b, 2 * paired_se(correct_a, correct_b))`` says "a beats b by more than
twice that"; run-to-run noise is measured by seeded repeats (the range over seeds).

Used in every chapter that draws a conclusion from a computation (chapters 1-8).
"""
import math

import numpy as np

__all__ = ["ClaimError", "claim", "choose", "monotone", "exceeds", "outranks"]


class ClaimError(AssertionError):
    """A sentence of the book is no longer supported by the numbers beside it.

    本書: 章のコードからは直接使いません
    """


def _numbers_text(numbers):
    return ", ".join(f"{k}={v!r}" for k, v in numbers.items()) or "(no numbers given)"


def claim(sentence, holds, **numbers):
    """Guard ``sentence`` (as written in the page) by ``holds``; return the sentence.

    ``numbers`` are the values the sentence rests on; they appear in the error message.

    本書: 第1章、第2章、第3章、第4章、第5章、第6章、第7章、第8章
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise TypeError(f"sentence must be the claim's text as a non-empty str, got {sentence!r}")
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"holds must be a bool (the condition the sentence states), got "
                        f"{type(holds).__name__} {holds!r}")
    if not holds:
        raise ClaimError(f"the book says 「{sentence}」, but the numbers do not show it: "
                         f"{_numbers_text(numbers)}")
    return sentence


def choose(cases, **numbers):
    """The one sentence of ``cases`` ({sentence: condition}) whose condition holds.

    Exactly one condition must be true: none or several is a :class:`ClaimError` (the cases
    must cover the outcomes and exclude each other).

    本書: 第3章、第5章、第6章、第7章、第8章
    """
    if not isinstance(cases, dict) or not cases:
        raise TypeError(f"cases must be a non-empty dict {{sentence: condition}}, got {cases!r}")
    true = [s for s, ok in cases.items() if ok]
    if len(true) != 1:
        raise ClaimError(f"exactly one sentence must hold, but {len(true)} do "
                         f"({true or list(cases)}): {_numbers_text(numbers)}")
    return true[0]


__all__ += ["paired_se"]


def paired_se(a, b):
    """Standard error of ``mean(a) - mean(b)`` for paired per-example scores.

    ``a`` and ``b`` score the same examples in the same order, e.g. 1/0 for "classifier A/B got
    test image i right": the result is ``std(a - b) / sqrt(n)`` (sample std), the size of the
    accuracy difference that test-set sampling alone produces. Images both classifiers get right
    (or both wrong) add nothing, which makes this much smaller than the two accuracies' own errors.

    本書: 第2章、第3章
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"a and b must score the same examples (at least 2); got sizes {a.size} "
                         f"and {b.size}")
    return float(np.std(a - b, ddof=1) / np.sqrt(a.size))


def monotone(values, increasing=True, strict=True):
    """True when every step of ``values`` goes the stated way (not just the ends).

    本書: 第4章、第6章
    """
    v = [float(x) for x in values]
    if len(v) < 2 or any(math.isnan(x) for x in v):
        return False
    steps = [b - a for a, b in zip(v, v[1:])]
    if not increasing:
        steps = [-d for d in steps]
    return all(d > 0 for d in steps) if strict else all(d >= 0 for d in steps)


def exceeds(value, baseline, margin):
    """True when ``value`` is above ``baseline`` by more than ``margin`` (all finite).

    本書: 第2章、第3章、第7章、第8章
    """
    nums = [float(value), float(baseline), float(margin)]
    if not all(math.isfinite(x) for x in nums):
        return False
    if nums[2] < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    return nums[0] - nums[1] > nums[2]


def outranks(a, b, margin=0.0):
    """True when every value of ``a`` is above every value of ``b`` by more than ``margin``
    (e.g. accuracies over several seeds: the worst run of A beats the best run of B).

    本書: 第7章
    """
    a, b = [float(x) for x in a], [float(x) for x in b]
    if not a or not b:
        raise ValueError("a and b must each hold at least one value")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    return all(math.isfinite(x) for x in a + b) and min(a) - max(b) > margin
