"""cnnlib.checks: one style of argument error for the whole library."""
import numpy as np
import pytest

from cnnlib.checks import check_bool, check_choice, check_int, check_number, check_str


def test_check_int_normalises_and_names_what_is_allowed():
    assert check_int(np.int64(3), "stride", 1) == 3 and type(check_int(np.int64(3), "s")) is int
    with pytest.raises(TypeError, match=r"stride must be an int; got 1.5 \(float\)"):
        check_int(1.5, "stride", 1)
    with pytest.raises(TypeError, match="got True"):
        check_int(True, "stride", 1)
    with pytest.raises(ValueError, match=r"stride must be positive \(>= 1\); got 0"):
        check_int(0, "stride", 1)
    with pytest.raises(ValueError, match=r"k must be in \[1, 7\]; got 8"):
        check_int(8, "k", 1, 7)


@pytest.mark.parametrize("bad, err", [("1", TypeError), (None, TypeError), (True, TypeError),
                                      (float("inf"), ValueError), (float("nan"), ValueError),
                                      (0.0, ValueError), (-1e-9, ValueError)])
def test_check_number_rejects_non_numbers_non_finite_and_out_of_range(bad, err):
    with pytest.raises(err, match="lr must be"):
        check_number(bad, "lr", 0, open_min=True)


def test_check_number_bounds():
    assert check_number(np.float32(0.5), "p", 0, 1) == 0.5
    assert check_number(0, "p", 0, 1) == 0.0
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]; got 1.5"):
        check_number(1.5, "p", 0, 1)
    with pytest.raises(ValueError, match=r"lr must be positive \(> 0\); got 0"):
        check_number(0, "lr", 0, open_min=True)


def test_check_choice_and_bool():
    assert check_choice("max", "mode", ("max", "avg")) == "max"
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg'; got 'avg '"):
        check_choice("avg ", "mode", ("max", "avg"))
    with pytest.raises(ValueError, match="got \\[1\\]"):
        check_choice([1], "mode", ("max",))                 # unhashable: still a clear error
    assert check_bool(np.bool_(True), "flag") is True
    with pytest.raises(TypeError, match="flag must be True or False; got 1"):
        check_bool(1, "flag")


def test_check_str():
    assert check_str("質問", "question") == "質問" and check_str("", "hint") == ""
    with pytest.raises(TypeError, match=r"question must be a str; got 3 \(int\)"):
        check_str(3, "question")
    with pytest.raises(ValueError, match="name must be a non-empty str; got ' '"):
        check_str(" ", "name", nonempty=True)
