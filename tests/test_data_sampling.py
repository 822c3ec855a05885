"""cnnlib.data.balanced_indices: the seeded, class-balanced draw behind every sample the book shows."""
import numpy as np
import pytest

from cnnlib.data import balanced_indices


def test_every_prefix_is_balanced_and_the_draw_is_seeded():
    y = np.repeat(np.arange(10), [30, 5, 40, 12, 9, 50, 20, 7, 8, 60])     # unequal class sizes
    idx = balanced_indices(y, 50, seed=3)
    assert len(set(idx)) == 50
    assert np.array_equal(np.bincount(y[idx[:50]], minlength=10), [5] * 10)
    assert sorted(y[idx[:10]]) == list(range(10))                     # one of each class first
    assert np.array_equal(idx, balanced_indices(y, 50, seed=3))
    assert not np.array_equal(idx, balanced_indices(y, 50, seed=4))


def test_small_classes_run_out_and_the_rest_continue():
    y = np.array([0] * 10 + [1] * 2)
    idx = balanced_indices(y, 12)
    assert list(y[idx[:4]]) == [0, 1, 0, 1] and sorted(idx) == list(range(12))


@pytest.mark.parametrize("labels, n, error", [([], 1, ValueError), ([[0, 1]], 1, ValueError),
                                              ([0, 1], 0, ValueError), ([0, 1], 3, ValueError),
                                              ([0, 1], 1.0, TypeError), ([0, 1], True, TypeError)])
def test_bad_arguments_say_what_is_allowed(labels, n, error):
    with pytest.raises(error, match="labels must|n must"):
        balanced_indices(labels, n)
